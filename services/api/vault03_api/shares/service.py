"""Shares for staff: create, resend, revoke, extend, re-issue, and the views of them.

Services never commit. A new link or code always goes out through the outbox in the same
transaction that stores its hash, so a stored secret and its message exist together or not
at all.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from vault03_api import clock
from vault03_api.audit.recorder import note as audit_note
from vault03_api.customers.models import CodeChannel, Customer
from vault03_api.customers.service import get_customer, normalise_mobile
from vault03_api.db import session_scope
from vault03_api.deliveries.models import Delivery
from vault03_api.keyring import KeyRing
from vault03_api.settings import ApiSettings
from vault03_api.shares import messages
from vault03_api.shares.credentials import NewCode, new_access_code, new_link_token
from vault03_api.shares.exceptions import (
    InvalidShare,
    InvalidSharedFiles,
    ShareClosed,
    ShareNotFound,
)
from vault03_api.shares.models import (
    Permission,
    PortalSession,
    Share,
    ShareAccess,
    ShareDelivery,
    ShareFile,
    ShareStatus,
)
from vault03_api.shares.schemas import RecipientIn
from vault03_api.tokens import token_hash
from vault03_api.vaults.models import StoredFile, Vault
from vault03_api.vaults.service import get_vault
from vault03_common.address import PostalAddress

# --- state -------------------------------------------------------------------------------


def share_status(share: Share, *, now: datetime) -> ShareStatus:
    """What a share is now; the first that applies of revoked, expired, locked, exhausted."""
    if share.revoked_at is not None:
        return ShareStatus.REVOKED
    if now >= share.expires_at:
        return ShareStatus.EXPIRED
    if share.locked_until is not None and now < share.locked_until:
        return ShareStatus.LOCKED
    if downloads_left(share) == 0:
        return ShareStatus.EXHAUSTED
    return ShareStatus.ACTIVE


def downloads_left(share: Share) -> int | None:
    """Downloads still allowed (None: no limit)."""
    if share.max_downloads is None:
        return None
    return max(share.max_downloads - share.download_count, 0)


def link_is_dead(share: Share, *, now: datetime) -> bool:
    """Whether the link answers 410: revoked, expired, or used up with nothing left to do."""
    status = share_status(share, now=now)
    if status in (ShareStatus.REVOKED, ShareStatus.EXPIRED):
        return True
    return downloads_left(share) == 0 and not share.can_upload


def get_share(session: Session, *, share_id: int) -> Share:
    share = session.get(Share, share_id)
    if share is None:
        raise ShareNotFound(share_id)
    return share


def _open_share(session: Session, *, share_id: int, now: datetime) -> Share:
    share = get_share(session, share_id=share_id)
    status = share_status(share, now=now)
    if status in (ShareStatus.REVOKED, ShareStatus.EXPIRED):
        raise ShareClosed(f"the share is {status.value}", detail={"status": status.value})
    return share


def _vault_of(session: Session, share: Share) -> Vault:
    vault = session.get(Vault, share.vault_id)
    assert vault is not None
    return vault


def end_portal_sessions(session: Session, *, share_id: int) -> None:
    """Every open portal session of the share ends (its next request is refused)."""
    session.execute(delete(PortalSession).where(col(PortalSession.share_id) == share_id))


# --- creating ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    third_party: bool
    name: str
    email: str
    mobile: str | None
    address_line1: str | None
    address_line2: str | None
    postal_code: str | None
    city: str | None
    country: str | None
    preferred: CodeChannel | None
    language: str

    @property
    def has_address(self) -> bool:
        return PostalAddress.of(self, name=self.name) is not None


def _from_customer(customer: Customer) -> Recipient:
    return Recipient(
        third_party=False,
        name=customer.name,
        email=customer.email,
        mobile=customer.mobile,
        address_line1=customer.address_line1,
        address_line2=customer.address_line2,
        postal_code=customer.postal_code,
        city=customer.city,
        country=customer.country,
        preferred=CodeChannel(customer.preferred_channel),
        language=customer.language,
    )


def _from_third_party(body: RecipientIn, *, region: str | None, language: str) -> Recipient:
    """A third party; one whose language is not named is written to in `language` (the
    office's)."""

    def clean(value: str | None) -> str | None:
        return value.strip() or None if value else None

    mobile = clean(body.mobile)
    return Recipient(
        third_party=True,
        name=body.name.strip(),
        email=str(body.email).lower(),
        mobile=normalise_mobile(mobile, region=region) if mobile else None,
        address_line1=clean(body.address_line1),
        address_line2=clean(body.address_line2),
        postal_code=clean(body.postal_code),
        city=clean(body.city),
        country=body.country.upper() if body.country else None,
        preferred=None,
        language=body.language or language,
    )


def _possible(recipient: Recipient, channel: CodeChannel) -> bool:
    if channel is CodeChannel.SMS:
        return recipient.mobile is not None
    if channel is CodeChannel.POSTAL:
        return recipient.has_address
    return True


def choose_code_channel(recipient: Recipient, asked: CodeChannel | None) -> CodeChannel:
    """The channel asked for (it must be possible), else the recipient's preferred one, else
    the first possible of SMS, postal letter, a second email."""
    if asked is not None:
        if not _possible(recipient, asked):
            need = "a mobile number" if asked is CodeChannel.SMS else "a postal address"
            raise InvalidShare(f"codes by {asked.value} need {need} for the recipient")
        return asked
    order = [CodeChannel.SMS, CodeChannel.POSTAL, CodeChannel.EMAIL]
    if recipient.preferred is not None:
        order.remove(recipient.preferred)
        order.insert(0, recipient.preferred)
    return next(channel for channel in order if _possible(recipient, channel))


def _expiry(
    asked: datetime | None, *, settings: ApiSettings, now: datetime, by_post: bool = False
) -> datetime:
    if asked is None:
        # A code letter is in the post for days: the default period starts when it arrives.
        transit = settings.postal_delivery_days if by_post else 0
        return now + timedelta(days=settings.share_default_days + transit)
    latest = now + timedelta(days=settings.share_max_days)
    if asked <= now:
        raise InvalidShare("the expiry must be in the future")
    if asked > latest:
        raise InvalidShare(
            f"a share may stay open at most {settings.share_max_days} days",
            detail={"latest": latest.isoformat()},
        )
    return asked


@dataclass(frozen=True)
class ShareRequest:
    """What staff ask for (validated by the schema)."""

    recipient: RecipientIn | None
    permissions: Sequence[Permission]
    code_channel: CodeChannel | None
    expires_at: datetime | None
    max_downloads: int | None
    note: str | None
    notify_on_access: bool
    file_ids: Sequence[str] = ()


def _why_not_shareable(stored: StoredFile | None, *, vault_id: int) -> str | None:
    if stored is None:
        return "does not exist"
    if stored.vault_id != vault_id:
        return "is in another vault"
    if stored.deleted_at is not None:
        return "is deleted or an older version (share the document's live version)"
    return None


def chosen_documents(session: Session, *, vault_id: int, file_ids: Sequence[str]) -> list[str]:
    """The documents (lineages) of chosen files, each a live file of the vault; refused in
    words naming every file that is not."""
    lineages: list[str] = []
    refused: dict[str, str] = {}
    for file_id in dict.fromkeys(file_ids):
        stored = session.get(StoredFile, file_id)
        why = _why_not_shareable(stored, vault_id=vault_id)
        if why is not None:
            refused[file_id] = why
        elif stored is not None and stored.lineage not in lineages:
            lineages.append(stored.lineage)
    if refused:
        raise InvalidSharedFiles(
            f"only live files of vault {vault_id} can be shared: "
            + "; ".join(f"file {file_id} {why}" for file_id, why in refused.items()),
            detail={"file_ids": list(refused)},
        )
    return lineages


def shared_lineages(session: Session, *, share_id: int) -> set[str] | None:
    """The documents a share of chosen files opens; None for a share of its whole vault."""
    rows = session.exec(select(ShareFile.lineage).where(ShareFile.share_id == share_id)).all()
    return set(rows) or None


def create_share(
    session: Session,
    *,
    vault_id: int,
    request: ShareRequest,
    code: NewCode,
    created_by: int | None,
    settings: ApiSettings,
    ring: KeyRing,
    now: datetime,
) -> Share:
    """Store a share and queue its two messages: the link by email, the code by its channel."""
    vault = get_vault(session, vault_id=vault_id)
    customer = get_customer(session, customer_id=vault.customer_id)
    recipient = (
        _from_customer(customer)
        if request.recipient is None
        else _from_third_party(
            request.recipient, region=settings.phone_default_region, language=settings.language
        )
    )
    channel = choose_code_channel(recipient, request.code_channel)
    lineages = chosen_documents(session, vault_id=vault_id, file_ids=request.file_ids)
    token = new_link_token()
    share = Share(
        vault_id=vault_id,
        customer_id=customer.id or 0,
        third_party=recipient.third_party,
        recipient_name=recipient.name,
        recipient_email=recipient.email,
        recipient_mobile=recipient.mobile,
        address_line1=recipient.address_line1,
        address_line2=recipient.address_line2,
        postal_code=recipient.postal_code,
        city=recipient.city,
        country=recipient.country,
        code_channel=channel.value,
        can_download=Permission.DOWNLOAD in request.permissions,
        can_upload=Permission.UPLOAD in request.permissions,
        note=(request.note or "").strip() or None,
        language=recipient.language,
        notify_on_access=request.notify_on_access,
        expires_at=_expiry(
            request.expires_at,
            settings=settings,
            now=now,
            by_post=channel is CodeChannel.POSTAL,
        ),
        max_downloads=request.max_downloads,
        token_hash=token_hash(token),
        code_hash=code.code_hash,
        created_by=created_by,
        created_at=now,
        updated_at=now,
        issued_at=now,
    )
    session.add(share)
    session.flush()
    assert share.id is not None
    session.add_all(ShareFile(share_id=share.id, lineage=lineage) for lineage in lineages)
    messages.send_link(session, share=share, vault=vault, token=token, settings=settings, ring=ring)
    messages.send_code(
        session, share=share, vault=vault, code=code.code, settings=settings, ring=ring
    )
    return share


# --- changing ----------------------------------------------------------------------------


def _new_link(
    session: Session, *, share: Share, settings: ApiSettings, ring: KeyRing, now: datetime
) -> None:
    token = new_link_token()
    share.token_hash = token_hash(token)
    share.issued_at = share.updated_at = now
    session.add(share)
    assert share.id is not None
    end_portal_sessions(session, share_id=share.id)
    vault = _vault_of(session, share)
    messages.send_link(session, share=share, vault=vault, token=token, settings=settings, ring=ring)


def _new_code(
    session: Session,
    *,
    share: Share,
    code: NewCode,
    settings: ApiSettings,
    ring: KeyRing,
    now: datetime,
) -> None:
    share.code_hash = code.code_hash
    share.code_failures, share.locked_until = 0, None
    share.updated_at = now
    session.add(share)
    vault = _vault_of(session, share)
    messages.send_code(
        session, share=share, vault=vault, code=code.code, settings=settings, ring=ring
    )


def resend_link(
    session: Session, *, share_id: int, settings: ApiSettings, ring: KeyRing, now: datetime
) -> Share:
    """A new link by email (only its hash was kept): the old link and its sessions stop."""
    share = _open_share(session, share_id=share_id, now=now)
    audit_note(session, share, "link_resent")
    _new_link(session, share=share, settings=settings, ring=ring, now=now)
    return share


def resend_code(
    session: Session,
    *,
    share_id: int,
    code: NewCode,
    settings: ApiSettings,
    ring: KeyRing,
    now: datetime,
) -> Share:
    """A new code over the share's channel; the old one stops working and a lock is lifted."""
    share = _open_share(session, share_id=share_id, now=now)
    audit_note(session, share, "code_resent")
    _new_code(session, share=share, code=code, settings=settings, ring=ring, now=now)
    return share


def revoke(session: Session, *, share_id: int, now: datetime) -> Share:
    """Close the share at once; open portal sessions are refused from their next request."""
    share = get_share(session, share_id=share_id)
    if share.revoked_at is None:
        share.revoked_at = share.updated_at = now
        audit_note(session, share, "revoked")
        session.add(share)
        assert share.id is not None
        end_portal_sessions(session, share_id=share.id)
    return share


def extend(
    session: Session, *, share_id: int, expires_at: datetime, settings: ApiSettings, now: datetime
) -> Share:
    """Move the expiry (at most share_max_days from now); a revoked share stays closed."""
    share = get_share(session, share_id=share_id)
    if share.revoked_at is not None:
        raise ShareClosed("the share is revoked", detail={"status": "revoked"})
    share.expires_at = _expiry(expires_at, settings=settings, now=now)
    share.updated_at = now
    audit_note(session, share, "extended")
    session.add(share)
    return share


def reissuable_share_ids(session: Session, *, now: datetime) -> list[int]:
    """Shares whose links still work: the ones a re-issue replaces."""
    rows = session.exec(
        select(Share).where(col(Share.revoked_at).is_(None), col(Share.expires_at) > now)
    ).all()
    return [share.id for share in rows if share.id is not None and not link_is_dead(share, now=now)]


def reissue(
    session: Session,
    *,
    share_id: int,
    code: NewCode,
    settings: ApiSettings,
    ring: KeyRing,
    now: datetime,
) -> Share | None:
    """New link and new code, sent through the same channels; the old ones and every portal
    session stop. None when the share closed meanwhile."""
    share = get_share(session, share_id=share_id)
    vault = session.get(Vault, share.vault_id)
    if link_is_dead(share, now=now) or vault is None or vault.deleted_at is not None:
        return None
    audit_note(session, share, "reissued")
    _new_code(session, share=share, code=code, settings=settings, ring=ring, now=now)
    _new_link(session, share=share, settings=settings, ring=ring, now=now)
    return share


# --- views -------------------------------------------------------------------------------


def list_shares(
    session: Session,
    *,
    vault_id: int | None = None,
    customer_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Share]:
    """Shares of a vault or of a customer, newest first, `limit` from `offset`."""
    statement = select(Share)
    if vault_id is not None:
        get_vault(session, vault_id=vault_id)
        statement = statement.where(Share.vault_id == vault_id)
    if customer_id is not None:
        get_customer(session, customer_id=customer_id)
        statement = statement.where(Share.customer_id == customer_id)
    statement = statement.order_by(col(Share.id).desc()).limit(limit).offset(offset)
    return list(session.exec(statement).all())


@dataclass(frozen=True)
class SharedDocument:
    """A document a share of chosen files opens: its live version (None once deleted) and
    its newest version (None once purged)."""

    lineage: str
    live: StoredFile | None
    newest: StoredFile | None


def shared_documents(session: Session, *, share_ids: list[int]) -> dict[int, list[SharedDocument]]:
    """The documents of each share of chosen files (a share of its whole vault has none)."""
    if not share_ids:
        return {}
    chosen = session.exec(select(ShareFile).where(col(ShareFile.share_id).in_(share_ids))).all()
    versions: dict[str, list[StoredFile]] = {}
    lineages = {row.lineage for row in chosen}
    for stored in session.exec(
        select(StoredFile)
        .where(col(StoredFile.lineage).in_(lineages))
        .order_by(col(StoredFile.created_at))
    ).all():
        versions.setdefault(stored.lineage, []).append(stored)
    documents: dict[int, list[SharedDocument]] = {}
    for row in chosen:
        files = versions.get(row.lineage, [])
        live = next((f for f in files if f.deleted_at is None), None)
        newest = live or (files[-1] if files else None)
        documents.setdefault(row.share_id, []).append(SharedDocument(row.lineage, live, newest))
    for listed in documents.values():
        listed.sort(key=lambda document: document.newest.name if document.newest else "")
    return documents


def share_deliveries(
    session: Session, *, share_ids: list[int]
) -> list[tuple[ShareDelivery, Delivery]]:
    """The deliveries of these shares, oldest first."""
    if not share_ids:
        return []
    rows = session.exec(
        select(ShareDelivery, Delivery)
        .join(Delivery, col(Delivery.id) == col(ShareDelivery.delivery_id))
        .where(col(ShareDelivery.share_id).in_(share_ids))
        .order_by(col(Delivery.created_at), col(ShareDelivery.purpose).desc())
    ).all()
    return [(link, delivery) for link, delivery in rows]


def access_log(
    session: Session, *, share_id: int, limit: int, before_id: int | None
) -> list[ShareAccess]:
    """A page of the share's access log, newest first."""
    get_share(session, share_id=share_id)
    statement = select(ShareAccess).where(ShareAccess.share_id == share_id)
    if before_id is not None:
        statement = statement.where(col(ShareAccess.id) < before_id)
    return list(session.exec(statement.order_by(col(ShareAccess.id).desc()).limit(limit)).all())


def reissue_all(
    engine: Engine,
    *,
    settings: ApiSettings,
    ring: KeyRing,
    hash_code: Callable[[str], str],
    progress: Callable[[Share], None] | None = None,
    skip: Collection[int] = (),
) -> int:
    """Re-issue every share whose link still works, except those in `skip`, one transaction
    each (a code is hashed before its transaction, so the write lock is never held for
    argon2); `progress` hears of each after its commit. Returns how many."""
    with session_scope(engine) as session:
        share_ids = reissuable_share_ids(session, now=clock.utcnow())
    done = 0
    for share_id in share_ids:
        if share_id in skip:
            continue
        plain = new_access_code()
        code = NewCode(plain, hash_code(plain))
        with session_scope(engine) as session:
            share = reissue(
                session,
                share_id=share_id,
                code=code,
                settings=settings,
                ring=ring,
                now=clock.utcnow(),
            )
        if share is not None:
            done += 1
            if progress is not None:
                progress(share)
    return done
