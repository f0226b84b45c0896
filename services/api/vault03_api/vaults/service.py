"""Vaults and files: what is reachable, quotas, recording stored files, deletion and purge."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, TypeVar

from sqlalchemy import bindparam, case, func, literal_column, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from vault03_api.alerts import alert_operators
from vault03_api.audit.context import AuditContext
from vault03_api.audit.recorder import PendingEntry, note, record_event, write_entries
from vault03_api.blobs.crypto import unwrap_data_key, wrap_data_key
from vault03_api.blobs.storage import SealedBody
from vault03_api.customers import service as customers_service
from vault03_api.customers.models import Customer
from vault03_api.customers.service import get_customer
from vault03_api.keyring import KeyRing
from vault03_api.vaults.exceptions import (
    BadUpload,
    FileNotFound,
    TooLarge,
    VaultNotFound,
    VersionNotFound,
)
from vault03_api.vaults.models import StoredFile, Vault

_Selected = TypeVar("_Selected")

MAX_NAME_BYTES = 255
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
# Controls, invisible format characters (bidi overrides such as U+202E turn
# "invoice\u202efdp.exe" into "invoiceexe.pdf" on screen), line separators, surrogates.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def sanitise_filename(raw: str) -> str:
    """A name safe to show and to offer in Content-Disposition: no path, no control, format
    (bidi) or reserved characters, no leading dots, at most 255 UTF-8 bytes (the extension
    kept)."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        "_" if unicodedata.category(c) in _INVISIBLE else c for c in " ".join(name.split())
    )
    name = _UNSAFE.sub("_", name).lstrip(". ").rstrip(". ")
    if not name:
        raise BadUpload("the file name is empty once cleaned", detail={"name": raw[:300]})
    if len(name.encode()) > MAX_NAME_BYTES:
        stem, dot, extension = name.rpartition(".")
        if not dot or len(extension.encode()) > 16:
            stem, extension = name, ""
        room = MAX_NAME_BYTES - len(extension.encode()) - (1 if extension else 0)
        stem = stem.encode()[:room].decode(errors="ignore")
        name = f"{stem}.{extension}" if extension else stem
    return name


# A media type's essence, RFC 6838 restricted names (at most 127 characters each side).
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
DEFAULT_MEDIA_TYPE = "application/octet-stream"


def media_type(declared: str | None, *, name: str) -> str:
    """The media type to store and send back for an upload: the declared one's `type/subtype`
    when it is well formed (parameters dropped), else one guessed from the name. Never the
    client's raw text: a header of kilobytes sent back made the file undownloadable."""
    essence = (declared or "").split(";", 1)[0].strip().lower()
    if _MEDIA_TYPE.fullmatch(essence):
        return essence
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or DEFAULT_MEDIA_TYPE


# --- vaults ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VaultUsage:
    file_count: int = 0
    used_bytes: int = 0


def get_vault(session: Session, *, vault_id: int) -> Vault:
    """A vault that is not deleted and whose customer is not deleted."""
    found = session.exec(
        select(Vault)
        .join(Customer, col(Customer.id) == col(Vault.customer_id))
        .where(
            Vault.id == vault_id,
            col(Vault.deleted_at).is_(None),
            col(Customer.deleted_at).is_(None),
        )
    ).first()
    if found is None:
        raise VaultNotFound(vault_id)
    return found


def usage(session: Session, *, vault_ids: list[int]) -> dict[int, VaultUsage]:
    """Live files and their bytes per vault."""
    rows = session.exec(
        select(StoredFile.vault_id, func.count(), func.coalesce(func.sum(StoredFile.size), 0))
        .where(col(StoredFile.vault_id).in_(vault_ids), col(StoredFile.deleted_at).is_(None))
        .group_by(col(StoredFile.vault_id))
    ).all()
    return {vault_id: VaultUsage(int(count), int(size)) for vault_id, count, size in rows}


def create_vault(
    session: Session, *, customer_id: int, values: dict[str, Any], now: datetime
) -> Vault:
    get_customer(session, customer_id=customer_id)
    vault = Vault(customer_id=customer_id, **values, created_at=now, updated_at=now)
    session.add(vault)
    session.flush()
    return vault


def list_vaults(
    session: Session,
    *,
    customer_id: int,
    query: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Vault]:
    """The customer's vaults by name (those whose name holds `query`), `limit` from `offset`."""
    get_customer(session, customer_id=customer_id)
    statement = select(Vault).where(
        Vault.customer_id == customer_id, col(Vault.deleted_at).is_(None)
    )
    if query:
        statement = statement.where(col(Vault.name).icontains(query.strip(), autoescape=True))
    statement = statement.order_by(col(Vault.name), col(Vault.id)).limit(limit).offset(offset)
    return list(session.exec(statement).all())


def update_vault(
    session: Session, *, vault_id: int, changes: dict[str, Any], now: datetime
) -> Vault:
    vault = get_vault(session, vault_id=vault_id)
    if "name" in changes and changes["name"] is None:
        raise BadUpload("a vault needs a name")
    for key, value in changes.items():
        setattr(vault, key, value)
    vault.updated_at = now
    session.add(vault)
    session.flush()
    return vault


def delete_vault(session: Session, *, vault_id: int, now: datetime) -> Vault:
    """Soft delete: its files are unreachable at once, their blobs purged after retention."""
    vault = get_vault(session, vault_id=vault_id)
    vault.deleted_at = now
    vault.updated_at = now
    session.add(vault)
    session.flush()
    return vault


def delete_customer(session: Session, *, customer_id: int, now: datetime) -> Customer:
    """Soft delete a customer: they and their vaults disappear from every listing at once."""
    customer = customers_service.delete_customer(session, customer_id=customer_id, now=now)
    delete_customer_vaults(session, customer_id=customer_id, now=now)
    session.flush()
    return customer


def delete_customer_vaults(session: Session, *, customer_id: int, now: datetime) -> None:
    for vault in session.exec(
        select(Vault).where(Vault.customer_id == customer_id, col(Vault.deleted_at).is_(None))
    ):
        vault.deleted_at = now
        vault.updated_at = now
        session.add(vault)


# --- files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadLimit:
    """How many bytes an upload may have, and what sets that bound."""

    limit: int
    reason: str


def upload_limit(session: Session, *, vault_id: int, max_file_bytes: int) -> UploadLimit:
    vault = get_vault(session, vault_id=vault_id)
    bound = UploadLimit(max_file_bytes, f"the maximum file size is {max_file_bytes} bytes")
    if vault.quota_bytes is None:
        return bound
    used = usage(session, vault_ids=[vault_id]).get(vault_id, VaultUsage()).used_bytes
    room = max(vault.quota_bytes - used, 0)
    if room < bound.limit:
        return UploadLimit(
            room, f"the vault quota of {vault.quota_bytes} bytes has {room} bytes left"
        )
    return bound


Supersedes = Callable[[Session, StoredFile], bool]
"""Whether an upload becomes a new version of a live file holding its name."""


def staff_file(session: Session, holder: StoredFile) -> bool:
    """A staff upload adds a version to a staff file, never to a file a recipient sent."""
    return holder.uploaded_by is not None


def _numbered(name: str, number: int) -> str:
    if number == 1:
        return name
    path = PurePosixPath(name)
    stem, suffix = (path.stem, path.suffix) if path.stem else (name, "")
    return f"{stem} ({number}){suffix}"


def settle_name(
    session: Session, *, vault_id: int, name: str, supersedes: Supersedes | None
) -> tuple[str, StoredFile | None]:
    """The name an upload takes and the live file it supersedes: the first of `name`,
    `name (2)`, `name (3)`... that is free or held by a file `supersedes` accepts (so a
    customer's second "scan.pdf" is a version of the "scan (2).pdf" they sent beside a staff
    "scan.pdf")."""
    taken = set(
        session.exec(
            select(StoredFile.name).where(
                StoredFile.vault_id == vault_id, col(StoredFile.deleted_at).is_(None)
            )
        ).all()
    )
    number = 1
    while (candidate := _numbered(name, number)) in taken:
        if supersedes is not None:
            holder = session.exec(
                select(StoredFile).where(
                    StoredFile.vault_id == vault_id,
                    StoredFile.name == candidate,
                    col(StoredFile.deleted_at).is_(None),
                )
            ).one()
            if supersedes(session, holder):
                return candidate, holder
        number += 1
    return candidate, None


def add_file(
    session: Session,
    *,
    vault_id: int,
    file_id: str,
    name: str,
    supersedes: Supersedes | None,
    content_type: str,
    body: SealedBody,
    data_key: bytes,
    ring: KeyRing,
    uploaded_by: int | None,
    max_file_bytes: int,
    now: datetime,
) -> StoredFile:
    """Record a stored blob under a name settled here, in the write transaction that records
    it (see `settle_name`), so that concurrent uploads of one name never take the same one: a
    new version supersedes the live one, kept soft deleted as an older version. The quota is
    checked again here too, since uploads to one vault run concurrently."""
    bound = upload_limit(session, vault_id=vault_id, max_file_bytes=max_file_bytes)
    name, superseded = settle_name(session, vault_id=vault_id, name=name, supersedes=supersedes)
    freed = superseded.size if superseded else 0
    if body.size > bound.limit + freed:
        raise TooLarge("the file is too large", detail={"reason": bound.reason})
    if superseded is not None:
        superseded.deleted_at = now
        session.add(superseded)
        session.flush()  # the live name is free before the new row takes it
    key_version = ring.current_version
    stored = StoredFile(
        id=file_id,
        vault_id=vault_id,
        lineage=superseded.lineage if superseded is not None else file_id,
        name=name,
        content_type=media_type(content_type, name=name),
        size=body.size,
        key_version=key_version,
        wrapped_key=wrap_data_key(ring, data_key, file_id=file_id, version=key_version),
        uploaded_by=uploaded_by,
        created_at=now,
    )
    session.add(stored)
    session.flush()
    return stored


def list_files(
    session: Session,
    *,
    vault_id: int,
    query: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[StoredFile]:
    """The vault's live files by name (those whose name holds `query`), `limit` from `offset`;
    VaultNotFound when the vault is not reachable."""
    statement = _reachable(select(StoredFile)).where(
        StoredFile.vault_id == vault_id, col(StoredFile.deleted_at).is_(None)
    )
    if query:
        statement = statement.where(col(StoredFile.name).icontains(query.strip(), autoescape=True))
    statement = statement.order_by(col(StoredFile.name), col(StoredFile.created_at))
    files = list(session.exec(statement.limit(limit).offset(offset)).all())
    if not files:
        get_vault(session, vault_id=vault_id)  # no file, or no vault?
    return files


def _reachable(statement: SelectOfScalar[_Selected]) -> SelectOfScalar[_Selected]:
    """`statement` kept to files whose vault and customer are not deleted."""
    return (
        statement.join(Vault, col(Vault.id) == col(StoredFile.vault_id))
        .join(Customer, col(Customer.id) == col(Vault.customer_id))
        .where(col(Vault.deleted_at).is_(None), col(Customer.deleted_at).is_(None))
    )


# Built once (every download asks): building a statement costs more than running it.
_LIVE_FILE = _reachable(select(StoredFile)).where(
    StoredFile.id == bindparam("file_id"), col(StoredFile.deleted_at).is_(None)
)
_LIVE_FILE_IDS = _reachable(select(StoredFile.id)).where(
    col(StoredFile.id).in_(bindparam("file_ids", expanding=True)),
    col(StoredFile.deleted_at).is_(None),
)


def get_file(session: Session, *, file_id: str) -> StoredFile:
    """A file that is not deleted, in a vault that is reachable (one query: every download
    asks)."""
    stored = session.exec(_LIVE_FILE, params={"file_id": file_id}).first()
    if stored is None:
        raise FileNotFound(file_id)
    return stored


def list_versions(session: Session, *, file_id: str) -> list[StoredFile]:
    """Every version of a live file's document: the live one, then the newest upload first."""
    current = get_file(session, file_id=file_id)
    return list(
        session.exec(
            select(StoredFile)
            .where(StoredFile.lineage == current.lineage)
            .order_by(
                col(StoredFile.deleted_at).is_(None).desc(),
                col(StoredFile.created_at).desc(),
                literal_column("files.rowid").desc(),  # uploads within one clock tick
            )
        ).all()
    )


def get_version(session: Session, *, file_id: str, version_id: str) -> StoredFile:
    """One version (the current one included) of a live file's document."""
    current = get_file(session, file_id=file_id)
    version = session.get(StoredFile, version_id)
    if version is None or version.lineage != current.lineage:
        raise VersionNotFound(file_id, version_id)
    return version


def restore_version(
    session: Session, *, file_id: str, version_id: str, now: datetime
) -> StoredFile:
    """Make an older version the live file again; the live one becomes an older version.
    Both rows stay, so a restore loses nothing and can itself be undone."""
    current = get_file(session, file_id=file_id)
    version = get_version(session, file_id=file_id, version_id=version_id)
    if version.id == current.id:
        return current
    vault = get_vault(session, vault_id=current.vault_id)
    if vault.quota_bytes is not None:
        used = usage(session, vault_ids=[vault.id or 0]).get(vault.id or 0, VaultUsage())
        if used.used_bytes - current.size + version.size > vault.quota_bytes:
            raise TooLarge(
                "the version does not fit in the vault",
                detail={"reason": f"the vault quota is {vault.quota_bytes} bytes"},
            )
    current.deleted_at = now
    session.add(current)
    session.flush()  # the live name is free before the restored version takes it
    version.deleted_at = None
    version.name = current.name
    session.add(version)
    note(session, version, "version_restored")
    session.flush()
    return version


def open_for_download(
    session: Session, *, file_id: str, ring: KeyRing, version_id: str | None = None
) -> tuple[StoredFile, bytes]:
    """The file (or one of its versions) and its data key (a read: the caller audits the
    download with `record_downloads`)."""
    stored = (
        get_file(session, file_id=file_id)
        if version_id is None
        else get_version(session, file_id=file_id, version_id=version_id)
    )
    data_key = unwrap_data_key(
        ring, stored.wrapped_key, file_id=stored.id, version=stored.key_version
    )
    return stored, data_key


@dataclass(frozen=True)
class DownloadRead:
    """A read of a file's (or a version's) contents to audit, by whom and from where."""

    file_id: str
    version_id: str | None
    context: AuditContext


def record_downloads(session: Session, reads: list[DownloadRead]) -> list[Exception | None]:
    """Audit reads of files' contents (action 'r'), several downloads' in one write (see
    transactions.WriteBatch): for each, None, or FileNotFound if the file went meanwhile."""
    wanted = [read.file_id for read in reads if read.version_id is None]
    live = set(session.exec(_LIVE_FILE_IDS, params={"file_ids": wanted}).all())
    outcomes: list[Exception | None] = []
    entries = []
    for read in reads:
        try:
            if read.version_id is not None:
                read_id = get_version(session, file_id=read.file_id, version_id=read.version_id).id
            elif read.file_id in live:
                read_id = read.file_id
            else:
                raise FileNotFound(read.file_id)
        except FileNotFound as missing:
            outcomes.append(missing)
            continue
        entries.append(PendingEntry("files", read_id, "r", event="read", context=read.context))
        outcomes.append(None)
    write_entries(session.connection(), entries)
    return outcomes


def delete_file(session: Session, *, file_id: str, now: datetime) -> StoredFile:
    stored = get_file(session, file_id=file_id)
    stored.deleted_at = now
    session.add(stored)
    session.flush()
    return stored


def record_integrity_failure(session: Session, *, file_id: str, reason: str) -> None:
    """Audit a read refused because the stored file failed authentication (action 'r',
    event 'integrity_failure'), and tell the operators at once."""
    record_event(
        session,
        entity_type="files",
        entity_id=file_id,
        action="r",
        event_name="integrity_failure",
        new_values={"reason": reason},
    )
    alert_operators(session, text=f"file {file_id} failed its integrity check: {reason}")


# --- purge -------------------------------------------------------------------------------


def purge_deleted(session: Session, *, before: datetime, now: datetime) -> list[str]:
    """Delete the rows of files deleted (themselves with all their versions, or with their
    vault) before `before`; returns their ids, whose blobs the caller removes after the commit.
    Older versions of a live file are kept."""
    expired_vaults = select(Vault.id).where(col(Vault.deleted_at) < before)
    live = case((col(StoredFile.deleted_at).is_(None), 1), else_=0)
    expired_documents = (
        select(StoredFile.lineage)
        .group_by(col(StoredFile.lineage))
        .having(func.sum(live) == 0, func.max(StoredFile.deleted_at) < before)
    )
    doomed = session.exec(
        select(StoredFile).where(
            or_(
                col(StoredFile.lineage).in_(expired_documents),
                col(StoredFile.vault_id).in_(expired_vaults),
            )
        )
    ).all()
    for stored in doomed:
        session.delete(stored)
    for vault in session.exec(
        select(Vault).where(col(Vault.deleted_at) < before, col(Vault.purged_at).is_(None))
    ):
        vault.purged_at = now
        session.add(vault)
    session.flush()
    return [stored.id for stored in doomed]


def known_file_ids(session: Session, *, file_ids: list[str]) -> set[str]:
    """Which of these ids have a row (the blob sweep keeps those)."""
    known: set[str] = set()
    for start in range(0, len(file_ids), 500):
        batch = file_ids[start : start + 500]
        known.update(session.exec(select(StoredFile.id).where(col(StoredFile.id).in_(batch))))
    return known
