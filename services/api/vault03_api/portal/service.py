"""The portal's side of a share: the link, the access code, the portal session, downloads
and uploads, each recorded in the share's access log.

Functions run in one transaction each (BEGIN IMMEDIATE: writers are serialised, so the
download count and the code failures are exact under concurrent requests). A refusal that must
still be logged is returned as a `Refusal`, not raised, so that its log line is committed.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from vault03_api.inflight import InFlight
from vault03_api.portal.exceptions import LinkGone, PortalError, UploadLimitReached
from vault03_api.settings import ApiSettings
from vault03_api.shares import messages
from vault03_api.shares.models import (
    AccessEvent,
    PortalSession,
    Share,
    ShareAccess,
    ShareDownload,
)
from vault03_api.shares.service import downloads_left, link_is_dead, shared_lineages
from vault03_api.shown import shown_size
from vault03_api.tokens import new_token, token_hash
from vault03_api.vaults.exceptions import FileNotFound, RangeNotSatisfiable
from vault03_api.vaults.models import StoredFile, Vault
from vault03_api.vaults.service import Supersedes, get_file, list_files
from vault03_api.vaults.transfer import parse_range
from vault03_common.i18n import N_
from vault03_common.messages import ShareAccessNotice, ShareUploadNotice

# last_seen_at is written at most this often.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Visitor:
    """Who is at the other end of a portal request."""

    ip: str | None
    user_agent: str | None


@dataclass(frozen=True)
class Refusal:
    """A logged refusal: the page to answer with."""

    status_code: int
    message: str
    values: dict[str, Any] = field(default_factory=dict)

    def error(self, *, language: str | None = None) -> PortalError:
        return PortalError(self.status_code, self.message, values=self.values, language=language)


class SessionNeeded(PortalError):
    """No (longer a) portal session: the recipient enters the code again."""

    def __init__(self) -> None:
        super().__init__(
            401,
            N_("Your session has ended. Enter your access code again."),
            template="ended.html.j2",
        )


def log_access(
    session: Session,
    *,
    share: Share,
    event: AccessEvent,
    outcome: str,
    visitor: Visitor,
    now: datetime,
    file: StoredFile | None = None,
    file_name: str | None = None,
) -> None:
    """One access log line (audited like every row), and the share's last access time."""
    assert share.id is not None
    session.add(
        ShareAccess(
            share_id=share.id,
            at=now,
            event=event.value,
            outcome=outcome,
            ip=visitor.ip,
            user_agent=visitor.user_agent,
            file_id=file.id if file else None,
            file_name=file.name if file else file_name,
        )
    )
    share.last_access_at = now
    session.add(share)


def find_share(session: Session, *, token: str) -> Share | None:
    return session.exec(select(Share).where(Share.token_hash == token_hash(token))).first()


def share_language(session: Session, *, token: str) -> str | None:
    """The language of the share a link opens (its pages are written in it), if any."""
    share = find_share(session, token=token)
    return share.language if share is not None else None


def live_share(session: Session, *, token: str, now: datetime) -> Share:
    """The share of a working link; LinkGone otherwise, the same for a token never issued.

    Nothing is written for a dead link, so not even the time taken tells them apart."""
    share = find_share(session, token=token)
    if share is None or link_is_dead(share, now=now):
        raise LinkGone()
    return share


def vault_of(session: Session, share: Share) -> Vault:
    vault = session.get(Vault, share.vault_id)
    if vault is None or vault.deleted_at is not None:
        raise LinkGone()
    return vault


def locked_for(share: Share, *, now: datetime) -> int | None:
    """Seconds until a locked link accepts codes again; None when it is not locked."""
    if share.locked_until is None or share.locked_until <= now:
        return None
    return max(1, int((share.locked_until - now).total_seconds()))


def _failures(share: Share, *, now: datetime) -> int:
    # A lock that has passed forgets the failures that caused it.
    if share.locked_until is not None and share.locked_until <= now:
        return 0
    return share.code_failures


# --- portal sessions -------------------------------------------------------------------


def resolve_session(
    session: Session, *, share: Share, cookie: str | None, settings: ApiSettings, now: datetime
) -> PortalSession | None:
    """The portal session of this cookie for this share and its current link, if alive."""
    if not cookie:
        return None
    row = session.exec(
        select(PortalSession).where(PortalSession.token_hash == token_hash(cookie))
    ).first()
    idle = timedelta(minutes=settings.portal_session_idle_minutes)
    if (
        row is None
        or row.share_id != share.id
        or row.link_hash != share.token_hash
        or now >= row.expires_at
        or now - row.last_seen_at >= idle
    ):
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
    return row


@dataclass(frozen=True)
class Opened:
    """A portal session that was just opened: the cookie value and when it ends."""

    token: str
    row: PortalSession


def open_session(
    session: Session, *, share: Share, visitor: Visitor, settings: ApiSettings, now: datetime
) -> Opened:
    assert share.id is not None
    token = new_token()
    row = PortalSession(
        id=str(uuid.uuid4()),
        share_id=share.id,
        token_hash=token_hash(token),
        csrf_token=secrets.token_urlsafe(32),
        link_hash=share.token_hash,
        ip=visitor.ip,
        user_agent=visitor.user_agent,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(minutes=settings.portal_session_minutes),
    )
    session.add(row)
    return Opened(token, row)


@dataclass(frozen=True)
class Page:
    """What the link's page shows: the code form, or (with a session) the files."""

    share: Share
    vault: Vault
    portal: PortalSession | None
    for_you: list[StoredFile]  # the staff's documents (only where the share allows download)
    sent: list[StoredFile]  # documents the recipient sent through this share
    locked_seconds: int | None


def open_page(
    session: Session,
    *,
    token: str,
    cookie: str | None,
    visitor: Visitor,
    settings: ApiSettings,
    now: datetime,
) -> Page:
    """The page of a working link (LinkGone otherwise); the view is logged."""
    share = live_share(session, token=token, now=now)
    vault = vault_of(session, share)
    portal = resolve_session(session, share=share, cookie=cookie, settings=settings, now=now)
    for_you, sent = shown_files(session, share=share) if portal else ([], [])
    if not share.can_download:
        for_you = []
    outcome = "ok" if portal else "code_required"
    log_access(
        session, share=share, event=AccessEvent.VIEW, outcome=outcome, visitor=visitor, now=now
    )
    return Page(share, vault, portal, for_you, sent, locked_for(share, now=now))


def _sent_lineages(session: Session, *, share_id: int) -> set[str]:
    """The documents (lineages) a share's recipient has sent through it."""
    return set(
        session.exec(
            select(StoredFile.lineage)
            .join(ShareAccess, col(ShareAccess.file_id) == col(StoredFile.id))
            .where(
                ShareAccess.share_id == share_id,
                ShareAccess.event == AccessEvent.UPLOAD.value,
                ShareAccess.outcome == "ok",
            )
        ).all()
    )


def shown_files(session: Session, *, share: Share) -> tuple[list[StoredFile], list[StoredFile]]:
    """The vault's live files a share shows: the documents staff put there for the recipient
    (all of them, or those chosen for the share), and those the recipient sent through this
    share (what another share sent is never shown)."""
    files = list_files(session, vault_id=share.vault_id)
    sent = _sent_lineages(session, share_id=share.id or 0)
    chosen = shared_lineages(session, share_id=share.id or 0)
    for_you = [f for f in files if _for_you(f, chosen=chosen)]
    return (
        for_you,
        [f for f in files if f.uploaded_by is None and f.lineage in sent and f not in for_you],
    )


def _for_you(stored: StoredFile, *, chosen: set[str] | None) -> bool:
    return stored.uploaded_by is not None if chosen is None else stored.lineage in chosen


def shows(session: Session, *, share: Share, stored: StoredFile) -> bool:
    """Whether the share opens this (live) file: see `shown_files`."""
    assert share.id is not None
    if stored.vault_id != share.vault_id:
        return False
    chosen = shared_lineages(session, share_id=share.id)
    return _for_you(stored, chosen=chosen) or (
        stored.uploaded_by is None and stored.lineage in _sent_lineages(session, share_id=share.id)
    )


def require_session(
    session: Session, *, token: str, cookie: str | None, settings: ApiSettings, now: datetime
) -> tuple[Share, PortalSession]:
    """The share and the visitor's portal session; SessionNeeded without one."""
    share = live_share(session, token=token, now=now)
    portal = resolve_session(session, share=share, cookie=cookie, settings=settings, now=now)
    if portal is None:
        raise SessionNeeded()
    return share, portal


def end_session(
    session: Session,
    *,
    token: str,
    cookie: str | None,
    csrf: str,
    visitor: Visitor,
    settings: ApiSettings,
    now: datetime,
) -> None:
    """Log out of the portal."""
    share, portal = require_session(session, token=token, cookie=cookie, settings=settings, now=now)
    if not secrets.compare_digest(csrf.encode(), portal.csrf_token.encode()):
        raise PortalError(403, N_("The form has expired; reload the page."))
    session.delete(portal)
    log_access(
        session, share=share, event=AccessEvent.LOGOUT, outcome="ok", visitor=visitor, now=now
    )


# --- the access code ---------------------------------------------------------------------


@dataclass(frozen=True)
class CodeGate:
    """A code attempt admitted: the hash to check it against and the reserved attempt."""

    share_id: int
    code_hash: str
    key: str
    locked_seconds: int | None = None
    language: str = "en"
    """The share's language: the code page's, should the code be wrong."""


def in_flight_key(share_id: int) -> str:
    return f"share:{share_id}"


def begin_code(
    session: Session, *, token: str, in_flight: InFlight, settings: ApiSettings, now: datetime
) -> CodeGate:
    """Reads only. Refuses while locked; else reserves an attempt, so that parallel guesses
    cannot pass the limit while their hashes are being checked."""
    share = live_share(session, token=token, now=now)
    assert share.id is not None
    key = in_flight_key(share.id)
    gate = CodeGate(share.id, share.code_hash, key, language=share.language)
    locked = locked_for(share, now=now)
    if locked is not None:
        return replace(gate, locked_seconds=locked)
    budget = settings.share_code_max_failures - _failures(share, now=now)
    if not in_flight.reserve({key: budget}):
        return replace(gate, locked_seconds=1)
    return gate


def refused_attempt(session: Session, *, token: str, visitor: Visitor, now: datetime) -> None:
    """Log a code attempt refused without a check (the link is locked)."""
    share = live_share(session, token=token, now=now)
    log_access(
        session, share=share, event=AccessEvent.CODE, outcome="locked", visitor=visitor, now=now
    )


@dataclass(frozen=True)
class CodeResult:
    opened: Opened | None = None
    locked_seconds: int | None = None
    attempts_left: int = 0
    code_channel: str = ""


def finish_code(
    session: Session,
    *,
    token: str,
    checked_hash: str,
    verified: bool,
    visitor: Visitor,
    settings: ApiSettings,
    now: datetime,
) -> CodeResult:
    """Record a checked code: a portal session when right, a failure (maybe a lock) when not."""
    share = live_share(session, token=token, now=now)
    vault = vault_of(session, share)
    if verified and share.code_hash == checked_hash and locked_for(share, now=now) is None:
        share.code_failures, share.locked_until = 0, None
        opened = open_session(session, share=share, visitor=visitor, settings=settings, now=now)
        log_access(
            session, share=share, event=AccessEvent.CODE, outcome="ok", visitor=visitor, now=now
        )
        if share.notify_on_access:
            messages.tell_creator(
                session,
                share=share,
                notice=ShareAccessNotice,
                subject=settings.gettext("Share opened: %(vault)s", vault=vault.name),
                body=settings.gettext(
                    "%(recipient)s opened the share of “%(vault)s” at %(when)s from %(ip)s.",
                    recipient=share.recipient_name,
                    vault=vault.name,
                    when=settings.shown_time(now),
                    ip=visitor.ip or settings.gettext("an unknown address"),
                ),
                settings=settings,
            )
        return CodeResult(opened=opened)
    locked = locked_for(share, now=now)
    if locked is not None:
        log_access(
            session, share=share, event=AccessEvent.CODE, outcome="locked", visitor=visitor, now=now
        )
        return CodeResult(locked_seconds=locked)
    share.code_failures = _failures(share, now=now) + 1
    share.locked_until = None
    outcome = "wrong_code"
    if share.code_failures >= settings.share_code_max_failures:
        share.locked_until = now + timedelta(minutes=settings.share_lock_minutes)
        outcome = "wrong_code_locked"
    log_access(
        session, share=share, event=AccessEvent.CODE, outcome=outcome, visitor=visitor, now=now
    )
    if share.locked_until is not None:
        messages.alert_locked(session, share=share, vault=vault, ip=visitor.ip, settings=settings)
        return CodeResult(locked_seconds=locked_for(share, now=now))
    return CodeResult(
        attempts_left=settings.share_code_max_failures - share.code_failures,
        code_channel=share.code_channel,
    )


# --- files -------------------------------------------------------------------------------


def begin_download(
    session: Session,
    *,
    token: str,
    cookie: str | None,
    file_id: str,
    range_header: str | None,
    visitor: Visitor,
    settings: ApiSettings,
    now: datetime,
) -> StoredFile | Refusal:
    """Admit a download and count it against the limit.

    Each counted download of a file grants the share that file's size in bytes; a request
    (whole file or a `Range`) is charged its length against what is left of the grants, and
    one that does not fit counts a new download. Resuming, or fetching parts in parallel,
    stays within one download, and no request can get more than `max_downloads` copies'
    worth of bytes of a file: a range from byte 1 after the last copy is refused like a
    whole one."""
    share, _ = require_session(session, token=token, cookie=cookie, settings=settings, now=now)

    def refuse(outcome: str, status_code: int, message: str, file: StoredFile | None) -> Refusal:
        log_access(
            session,
            share=share,
            event=AccessEvent.DOWNLOAD,
            outcome=outcome,
            visitor=visitor,
            now=now,
            file=file,
        )
        return Refusal(status_code, message)

    if not share.can_download:
        return refuse("not_permitted", 403, N_("This share does not allow downloads."), None)
    try:
        stored = get_file(session, file_id=file_id)
    except FileNotFound:
        return refuse("not_found", 404, N_("This file is not in the shared documents."), None)
    if not shows(session, share=share, stored=stored):
        return refuse("not_found", 404, N_("This file is not in the shared documents."), None)
    try:
        wanted = parse_range(range_header, stored.size)
    except RangeNotSatisfiable:
        return refuse(
            "bad_range", 416, N_("The requested part of the file does not exist."), stored
        )
    length = stored.size if wanted is None else wanted.stop - wanted.start
    counted = _charge(session, share=share, stored=stored, length=length)
    if counted is None:
        return refuse(
            "limit_reached", 403, N_("The download limit of this share is reached."), stored
        )
    outcome = "ok" if wanted is None else f"ok_range_{wanted.start}-{wanted.stop - 1}"
    log_access(
        session,
        share=share,
        event=AccessEvent.DOWNLOAD,
        outcome=outcome,
        visitor=visitor,
        now=now,
        file=stored,
    )
    if share.notify_on_access and counted:
        messages.tell_creator(
            session,
            share=share,
            notice=ShareAccessNotice,
            subject=settings.gettext("Document downloaded: %(file)s", file=stored.name),
            body=settings.gettext(
                "%(recipient)s downloaded “%(file)s” at %(when)s from %(ip)s.",
                recipient=share.recipient_name,
                file=stored.name,
                when=settings.shown_time(now),
                ip=visitor.ip or settings.gettext("an unknown address"),
            ),
            settings=settings,
        )
    return stored


def _charge(session: Session, *, share: Share, stored: StoredFile, length: int) -> bool | None:
    """Charge `length` bytes of `stored` to the share: True when that counted a new download
    (granting the file's size again), False when it fit in what was granted, None when the
    download limit refuses it."""
    assert share.id is not None
    grant = session.get(ShareDownload, (share.id, stored.id)) or ShareDownload(
        share_id=share.id, file_id=stored.id
    )
    counted = grant.granted_bytes == 0 or grant.used_bytes + length > grant.granted_bytes
    if counted:
        if downloads_left(share) == 0:
            return None
        share.download_count += 1
        grant.granted_bytes += stored.size
    grant.used_bytes += length
    session.add(grant)
    return counted


def uploads_received(session: Session, *, share_id: int) -> int:
    """Documents the share has received (its upload lines that ended well)."""
    return session.exec(
        select(func.count()).where(
            ShareAccess.share_id == share_id,
            ShareAccess.event == AccessEvent.UPLOAD.value,
            ShareAccess.outcome == "ok",
        )
    ).one()


def sent_through(share_id: int) -> Supersedes:
    """An upload through the share adds a version to a document sent through that share."""

    def supersedes(session: Session, holder: StoredFile) -> bool:
        return holder.uploaded_by is None and holder.lineage in _sent_lineages(
            session, share_id=share_id
        )

    return supersedes


def begin_upload(
    session: Session,
    *,
    token: str,
    cookie: str | None,
    csrf: str | None,
    visitor: Visitor,
    settings: ApiSettings,
    now: datetime,
) -> Share | Refusal:
    """Admit an upload: a session, its CSRF token, the upload permission, and room under the
    share's upload limit (checked again when the file is recorded: see `record_upload`)."""
    share, portal = require_session(session, token=token, cookie=cookie, settings=settings, now=now)
    assert share.id is not None
    limit = settings.share_max_uploads
    if not csrf or not secrets.compare_digest(csrf.encode(), portal.csrf_token.encode()):
        outcome, refusal = (
            "csrf_refused",
            Refusal(403, N_("The form has expired; reload the page.")),
        )
    elif not share.can_upload:
        outcome, refusal = "not_permitted", Refusal(403, N_("This share does not accept files."))
    elif uploads_received(session, share_id=share.id) >= limit:
        outcome, refusal = (
            "upload_limit_reached",
            Refusal(
                403,
                N_(
                    "This share has received %(limit)s documents, the most it accepts. "
                    "Ask the sender for a new share to send more."
                ),
                {"limit": limit},
            ),
        )
    else:
        return share
    log_access(
        session, share=share, event=AccessEvent.UPLOAD, outcome=outcome, visitor=visitor, now=now
    )
    return refusal


def record_upload(
    session: Session,
    stored: StoredFile,
    *,
    share_id: int,
    visitor: Visitor,
    settings: ApiSettings,
    now: datetime,
) -> None:
    """In the transaction that records a received file: refuse it past the share's upload
    limit (writes are serialised, so parallel uploads cannot pass it), else log it and tell
    the share's creator."""
    if uploads_received(session, share_id=share_id) >= settings.share_max_uploads:
        raise UploadLimitReached(settings.share_max_uploads)
    finish_upload(
        session,
        share_id=share_id,
        stored=stored,
        outcome="ok",
        file_name=stored.name,
        visitor=visitor,
        settings=settings,
        now=now,
    )


def finish_upload(
    session: Session,
    *,
    share_id: int,
    stored: StoredFile | None,
    outcome: str,
    file_name: str | None,
    visitor: Visitor,
    settings: ApiSettings,
    now: datetime,
) -> None:
    """Log an upload (or its failure); tell the share's creator of a file received."""
    share = session.get(Share, share_id)
    if share is None:
        return
    log_access(
        session,
        share=share,
        event=AccessEvent.UPLOAD,
        outcome=outcome,
        visitor=visitor,
        now=now,
        file=stored,
        file_name=file_name,
    )
    if stored is None:
        return
    vault = session.get(Vault, share.vault_id)
    vault_name = vault.name if vault else str(share.vault_id)
    messages.tell_creator(
        session,
        share=share,
        notice=ShareUploadNotice,
        subject=settings.gettext("Document received: %(file)s", file=stored.name),
        body=settings.gettext(
            "%(recipient)s sent “%(file)s” (%(size)s) into the vault “%(vault)s” at %(when)s.",
            recipient=share.recipient_name,
            file=stored.name,
            size=shown_size(stored.size, language=settings.language),
            vault=vault_name,
            when=settings.shown_time(now),
        ),
        settings=settings,
        about=f"/vaults/{share.vault_id}",
    )
