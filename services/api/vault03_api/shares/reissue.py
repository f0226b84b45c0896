"""Re-issue every open share's link and code after a key change, resumable: a journal in the
data directory names the shares already done (used by `vault03 shares` and `vault03 keys`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from vault03_api.audit.context import acting
from vault03_api.cli_support import CLI_CONTEXT, open_database
from vault03_api.keyring import KeyRing
from vault03_api.passwords import make_hasher
from vault03_api.settings import ApiSettings
from vault03_api.shares import service
from vault03_api.shares.models import Share

# Shares already re-issued by a run that has not finished, one id a line: run again, and
# those are skipped rather than sent a second link and code. Removed when a run completes.
JOURNAL_NAME = "shares-reissue.journal"


def reissue_every_share(
    settings: ApiSettings, *, ring: KeyRing, echo: Callable[[str], None]
) -> int:
    """New link and code for every share still open, sent through its channels (audited as
    the CLI) and reported to `echo`; returns how many, counting those an interrupted earlier
    run did."""
    journal_path = settings.data_dir / JOURNAL_NAME
    done = _journaled(journal_path)
    if done:
        echo(
            f"resuming an interrupted re-issue: {len(done)} share(s) already re-issued are skipped"
        )
    engine = open_database(settings)
    hasher = make_hasher(settings)
    try:
        with acting(CLI_CONTEXT), journal_path.open("a") as journal:

            def progress(share: Share) -> None:
                # After the share's transaction committed: at worst one share is re-issued
                # twice, when the run stops between its commit and this line.
                journal.write(f"{share.id}\n")
                journal.flush()
                os.fsync(journal.fileno())
                echo(
                    f"share {share.id}: new link to {share.recipient_email}, "
                    f"code by {share.code_channel}"
                )

            count = service.reissue_all(
                engine,
                settings=settings,
                ring=ring,
                hash_code=hasher.hash,
                progress=progress,
                skip=done,
            )
    finally:
        engine.dispose()
    journal_path.unlink()
    return count + len(done)


def _journaled(path: Path) -> set[int]:
    try:
        lines = path.read_text().split()
    except FileNotFoundError:
        return set()
    return {int(line) for line in lines if line.isdigit()}
