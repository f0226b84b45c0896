"""VAULT03 API: the only service that owns the database and the encrypted files."""

from vault03_common import __version__

__all__ = ["__version__"]
