"""Vault and file routes. Staff and admins manage vaults and file contents; auditors see
metadata only, never contents."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from vault03_api import clock
from vault03_api.auth.access import CurrentPrincipal, access
from vault03_api.auth.exceptions import Forbidden, NotAuthenticated
from vault03_api.auth.models import Role
from vault03_api.bounds import NameQuery, RowId, Window, WindowDep
from vault03_api.customers.exceptions import CustomerNotFound
from vault03_api.deps import ReadSessionDep, SessionDep, StateDep
from vault03_api.errors import error_responses
from vault03_api.transactions import run_read
from vault03_api.vaults import service
from vault03_api.vaults.exceptions import (
    BadUpload,
    DownloadNotAudited,
    FileCorrupt,
    FileNotFound,
    RangeNotSatisfiable,
    TooLarge,
    VaultNotFound,
    VersionNotFound,
)
from vault03_api.vaults.models import StoredFile, Vault
from vault03_api.vaults.multipart import MultipartFile
from vault03_api.vaults.schemas import FileOut, FileVersionOut, VaultIn, VaultOut, VaultPatch
from vault03_api.vaults.transfer import download_response, receive_file, send_file

router = APIRouter(prefix="/api", tags=["vaults"])

_ERRORS = (NotAuthenticated, Forbidden)
_WRITERS = (Role.ADMIN, Role.STAFF)
_READERS = (Role.ADMIN, Role.STAFF, Role.AUDITOR)
_UPLOAD_ERRORS = error_responses(VaultNotFound, TooLarge, BadUpload, *_ERRORS)


def _vault_out(vault: Vault, usage: service.VaultUsage) -> VaultOut:
    return VaultOut.model_validate(
        {**vault.model_dump(), "file_count": usage.file_count, "used_bytes": usage.used_bytes}
    )


def _vaults_out(session: SessionDep, vaults: list[Vault]) -> list[VaultOut]:
    usage = service.usage(session, vault_ids=[v.id for v in vaults if v.id is not None])
    return [_vault_out(v, usage.get(v.id or 0, service.VaultUsage())) for v in vaults]


def _file_out(stored: StoredFile) -> FileOut:
    return FileOut.model_validate(stored, from_attributes=True)


# --- vaults ------------------------------------------------------------------------------


@router.post(
    "/customers/{customer_id}/vaults",
    response_model=VaultOut,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(CustomerNotFound, *_ERRORS),
)
@access(*_WRITERS)
def create_vault(customer_id: RowId, body: VaultIn, session: SessionDep) -> VaultOut:
    vault = service.create_vault(
        session, customer_id=customer_id, values=body.model_dump(), now=clock.utcnow()
    )
    return _vault_out(vault, service.VaultUsage())


@router.get(
    "/customers/{customer_id}/vaults",
    response_model=list[VaultOut],
    responses=error_responses(CustomerNotFound, *_ERRORS),
)
@access(*_READERS)
def list_vaults(
    customer_id: RowId, session: ReadSessionDep, window: WindowDep, q: NameQuery = None
) -> list[VaultOut]:
    """The customer's vaults by name, with their file counts and sizes; `q` searches names."""
    vaults = service.list_vaults(
        session, customer_id=customer_id, query=q, limit=window.limit, offset=window.offset
    )
    return _vaults_out(session, vaults)


@router.get(
    "/vaults/{vault_id}",
    response_model=VaultOut,
    responses=error_responses(VaultNotFound, *_ERRORS),
)
@access(*_READERS)
def get_vault(vault_id: RowId, session: ReadSessionDep) -> VaultOut:
    return _vaults_out(session, [service.get_vault(session, vault_id=vault_id)])[0]


@router.patch(
    "/vaults/{vault_id}",
    response_model=VaultOut,
    responses=error_responses(VaultNotFound, BadUpload, *_ERRORS),
)
@access(*_WRITERS)
def update_vault(vault_id: RowId, body: VaultPatch, session: SessionDep) -> VaultOut:
    vault = service.update_vault(
        session, vault_id=vault_id, changes=body.model_dump(exclude_unset=True), now=clock.utcnow()
    )
    return _vaults_out(session, [vault])[0]


@router.delete(
    "/vaults/{vault_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(VaultNotFound, *_ERRORS),
)
@access(*_WRITERS)
def delete_vault(vault_id: RowId, session: SessionDep) -> None:
    """Soft delete: the contents are unreachable at once and purged after the retention."""
    service.delete_vault(session, vault_id=vault_id, now=clock.utcnow())


@router.delete(
    "/customers/{customer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(CustomerNotFound, *_ERRORS),
    tags=["customers"],
)
@access(*_WRITERS)
def delete_customer(customer_id: RowId, session: SessionDep) -> None:
    """Soft delete the customer and their vaults; blobs are purged after the retention."""
    service.delete_customer(session, customer_id=customer_id, now=clock.utcnow())


# --- files -------------------------------------------------------------------------------


@router.get(
    "/vaults/{vault_id}/files",
    response_model=list[FileOut],
    responses=error_responses(VaultNotFound, *_ERRORS),
)
@access(*_READERS)
async def list_files(
    vault_id: RowId, state: StateDep, window: WindowDep, q: NameQuery = None
) -> list[FileOut]:
    """The vault's files by name; `q` searches names."""
    # On the event loop (a ReadSessionDep route would take a thread hop): the crowd's most
    # frequent request (bench/crowd.py).
    return await run_read(state.engine, _files_out, vault_id=vault_id, query=q, window=window)


def _files_out(
    session: Session, *, vault_id: int, query: str | None, window: Window
) -> list[FileOut]:
    files = service.list_files(
        session, vault_id=vault_id, query=query, limit=window.limit, offset=window.offset
    )
    return [_file_out(f) for f in files]


def _declared_size(request: Request) -> int | None:
    value = request.headers.get("content-length")
    return int(value) if value and value.isdigit() else None


@router.put(
    "/vaults/{vault_id}/files/{filename}",
    response_model=FileOut,
    status_code=status.HTTP_201_CREATED,
    responses=_UPLOAD_ERRORS,
    # No body is an empty file, as an empty body is.
    openapi_extra={"requestBody": {"content": {"application/octet-stream": {}}, "required": False}},
)
@access(*_WRITERS)
async def upload_raw(
    vault_id: RowId, filename: str, request: Request, state: StateDep, principal: CurrentPrincipal
) -> FileOut:
    """Upload the raw request body as `filename` (streamed). Over a staff file of that name
    it is that file's new version (the older one is kept: see /versions); over a file a
    recipient sent it takes the next free `name (n).ext`."""
    stored = await receive_file(
        engine=state.engine,
        blobs=state.blobs,
        ring=state.keyring,
        max_file_bytes=state.settings.max_file_bytes,
        vault_id=vault_id,
        name=service.sanitise_filename(filename),
        supersedes=service.staff_file,
        content_type=request.headers.get("content-type") or "application/octet-stream",
        body=request.stream(),
        declared_size=_declared_size(request),
        uploaded_by=principal.user_id,
    )
    return _file_out(stored)


@router.post(
    "/vaults/{vault_id}/files",
    response_model=FileOut,
    status_code=status.HTTP_201_CREATED,
    responses=_UPLOAD_ERRORS,
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                }
            },
            "required": True,
        }
    },
)
@access(*_WRITERS)
async def upload_form(
    vault_id: RowId, request: Request, state: StateDep, principal: CurrentPrincipal
) -> FileOut:
    """Upload from a browser form: the `file` field, streamed and named like a raw upload."""
    form = MultipartFile(
        request.stream(),
        content_type=request.headers.get("content-type", ""),
        limit=state.settings.max_file_bytes,
    )
    await form.start()
    stored = await receive_file(
        engine=state.engine,
        blobs=state.blobs,
        ring=state.keyring,
        max_file_bytes=state.settings.max_file_bytes,
        vault_id=vault_id,
        name=service.sanitise_filename(form.filename),
        supersedes=service.staff_file,
        content_type=form.content_type,
        body=form.body(drain=True),
        declared_size=None,
        uploaded_by=principal.user_id,
    )
    return _file_out(stored)


@router.get(
    "/files/{file_id}", response_model=FileOut, responses=error_responses(FileNotFound, *_ERRORS)
)
@access(*_READERS)
def get_file(file_id: str, session: ReadSessionDep) -> FileOut:
    return _file_out(service.get_file(session, file_id=file_id))


@router.get(
    "/files/{file_id}/content",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The file"},
        206: {"content": {"application/octet-stream": {}}, "description": "The range asked"},
        **error_responses(
            FileNotFound, RangeNotSatisfiable, FileCorrupt, DownloadNotAudited, *_ERRORS
        ),
    },
)
@access(*_WRITERS)
async def download(file_id: str, request: Request, state: StateDep) -> StreamingResponse:
    """The decrypted contents, streamed; one `Range: bytes=` range is honoured (206)."""
    outgoing = await send_file(
        engine=state.engine,
        blobs=state.blobs,
        ring=state.keyring,
        file_id=file_id,
        range_header=request.headers.get("range"),
    )
    return download_response(outgoing)


@router.delete(
    "/files/{file_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(FileNotFound, *_ERRORS),
)
@access(*_WRITERS)
def delete_file(file_id: str, session: SessionDep) -> None:
    """Soft delete; the blob is purged after the retention."""
    service.delete_file(session, file_id=file_id, now=clock.utcnow())


# --- versions ----------------------------------------------------------------------------


@router.get(
    "/files/{file_id}/versions",
    response_model=list[FileVersionOut],
    responses=error_responses(FileNotFound, *_ERRORS),
)
@access(*_READERS)
def list_versions(file_id: str, session: ReadSessionDep) -> list[FileVersionOut]:
    """Every version of a live file: the live one (`current`), then the newest upload first."""
    return [
        FileVersionOut.model_validate({**_file_out(v).model_dump(), "current": v.id == file_id})
        for v in service.list_versions(session, file_id=file_id)
    ]


@router.get(
    "/files/{file_id}/versions/{version_id}/content",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The version"},
        206: {"content": {"application/octet-stream": {}}, "description": "The range asked"},
        **error_responses(
            FileNotFound,
            VersionNotFound,
            RangeNotSatisfiable,
            FileCorrupt,
            DownloadNotAudited,
            *_ERRORS,
        ),
    },
)
@access(*_WRITERS)
async def download_version(
    file_id: str, version_id: str, request: Request, state: StateDep
) -> StreamingResponse:
    """The decrypted contents of one version, streamed like the live file's."""
    outgoing = await send_file(
        engine=state.engine,
        blobs=state.blobs,
        ring=state.keyring,
        file_id=file_id,
        version_id=version_id,
        range_header=request.headers.get("range"),
    )
    return download_response(outgoing)


@router.post(
    "/files/{file_id}/versions/{version_id}/restore",
    response_model=FileOut,
    responses=error_responses(FileNotFound, VersionNotFound, TooLarge, *_ERRORS),
)
@access(*_WRITERS)
def restore_version(file_id: str, version_id: str, session: SessionDep) -> FileOut:
    """Make an older version the live file again (under the version's id); the file it
    replaces stays as an older version. Audited as `version_restored`."""
    return _file_out(
        service.restore_version(session, file_id=file_id, version_id=version_id, now=clock.utcnow())
    )
