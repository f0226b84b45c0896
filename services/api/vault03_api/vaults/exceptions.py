"""Errors of vaults and files."""

from __future__ import annotations

from vault03_api.errors import AppError, NotFound


class VaultNotFound(NotFound):
    def __init__(self, vault_id: int) -> None:
        super().__init__(f"vault {vault_id} not found")


class FileNotFound(NotFound):
    def __init__(self, file_id: str) -> None:
        super().__init__(f"file {file_id} not found")


class VersionNotFound(NotFound):
    def __init__(self, file_id: str, version_id: str) -> None:
        super().__init__(f"file {file_id} has no version {version_id}")


class TooLarge(AppError):
    """Over the maximum file size or the vault's quota."""

    status_code = 413


class BadUpload(AppError):
    """A filename or a multipart body that cannot be used."""

    status_code = 400


class RangeNotSatisfiable(AppError):
    status_code = 416

    def __init__(self, size: int) -> None:
        super().__init__(
            "the requested range is outside the file",
            detail={"size": size},
            headers={"Content-Range": f"bytes */{size}"},
        )


class FileCorrupt(AppError):
    """The stored file failed its integrity check; nothing of it is returned."""

    status_code = 500

    def __init__(self, file_id: str) -> None:
        super().__init__(
            "the stored file failed its integrity check; the operators have been alerted",
            detail={"file_id": file_id},
        )


class DownloadNotAudited(AppError):
    """The read of a file could not be written to the audit log, so it is refused."""

    status_code = 503

    def __init__(self, file_id: str) -> None:
        super().__init__(
            "the download could not be recorded in the audit log, so it is refused",
            detail={"file_id": file_id, "retry": "try again later; the operators can see why"},
        )
