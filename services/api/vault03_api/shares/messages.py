"""What a share sends: the link by email, the code over another channel, notices to staff.

Everything goes through the outbox (enqueue_delivery) in the caller's transaction, as the
message contracts of vault03_common.messages (`ShareLink`, `AccessCode`, the staff notices).
The code letter carries no link, so one stolen letter opens nothing.
"""

from __future__ import annotations

from sqlmodel import Session

from vault03_api.alerts import alert_operators
from vault03_api.auth.models import User
from vault03_api.customers.models import CodeChannel
from vault03_api.deliveries.service import enqueue_delivery
from vault03_api.keyring import KeyRing
from vault03_api.settings import ApiSettings
from vault03_api.shares.credentials import display_code, link_url
from vault03_api.shares.models import Share, ShareDelivery
from vault03_api.shown import console_url
from vault03_api.vaults.models import Vault
from vault03_common.address import PostalAddress
from vault03_common.messages import (
    AccessCode,
    Notice,
    Outgoing,
    ShareLink,
    ShareLockedNotice,
)


def is_file_request(share: Share) -> bool:
    """An upload-only share asks the recipient for documents and shows them none."""
    return share.can_upload and not share.can_download


def _record(session: Session, share: Share, *, outgoing: Outgoing, ring: KeyRing) -> None:
    assert share.id is not None
    delivery = enqueue_delivery(session, outgoing=outgoing, ring=ring)
    purpose = "link" if outgoing.kind == ShareLink.kind else "code"
    session.add(ShareDelivery(delivery_id=delivery.id, share_id=share.id, purpose=purpose))


def send_link(
    session: Session,
    *,
    share: Share,
    vault: Vault,
    token: str,
    settings: ApiSettings,
    ring: KeyRing,
) -> None:
    """The link email (kind `share_link`)."""
    message = ShareLink(
        office=settings.office,
        language=share.language,
        link=link_url(settings, token),
        vault_name=vault.name,
        code_channel=CodeChannel(share.code_channel).value,
        expires_at=share.expires_at,
        message=share.note,
        file_request=is_file_request(share),
    )
    outgoing = message.email(to=share.recipient_email, to_name=share.recipient_name)
    _record(session, share, outgoing=outgoing, ring=ring)


def code_message(share: Share, *, vault: Vault, code: str, settings: ApiSettings) -> Outgoing:
    """The code over the share's code channel (never together with the link)."""
    message = AccessCode(
        office=settings.office,
        language=share.language,
        access_code=display_code(code),
        vault_name=vault.name,
        expires_at=share.expires_at,
        file_request=is_file_request(share),
    )
    match CodeChannel(share.code_channel):
        case CodeChannel.SMS:
            assert share.recipient_mobile is not None
            return message.sms(to=share.recipient_mobile)
        case CodeChannel.POSTAL:
            address = PostalAddress.of(share, name=share.recipient_name)
            assert address is not None
            return message.letter(address=address)
        case CodeChannel.EMAIL:
            return message.email(to=share.recipient_email, to_name=share.recipient_name)


def send_code(
    session: Session,
    *,
    share: Share,
    vault: Vault,
    code: str,
    settings: ApiSettings,
    ring: KeyRing,
) -> None:
    """The access code (kind `access_code`) over the share's code channel."""
    outgoing = code_message(share, vault=vault, code=code, settings=settings)
    _record(session, share, outgoing=outgoing, ring=ring)


def share_creator(session: Session, share: Share) -> User | None:
    """The staff member who made the share, while they still have an account."""
    creator = session.get(User, share.created_by) if share.created_by is not None else None
    if creator is None or creator.deleted_at is not None:
        return None
    return creator


def tell_creator(
    session: Session,
    *,
    share: Share,
    notice: type[Notice],
    subject: str,
    body: str,
    settings: ApiSettings,
    about: str | None = None,
) -> None:
    """An email to the staff member who made the share (when they still have an account),
    linking to the console's page `about` (the share's own page unless named)."""
    creator = share_creator(session, share)
    if creator is None:
        return
    route = about or f"/shares/{share.id}"
    message = notice(
        office=settings.office,
        subject=subject,
        body=body,
        console_url=console_url(settings, route),
    )
    enqueue_delivery(session, outgoing=message.email(to=creator.email, to_name=creator.name))


def alert_locked(
    session: Session, *, share: Share, vault: Vault, ip: str | None, settings: ApiSettings
) -> None:
    """Too many wrong codes: the operators' chat and the share's creator hear of it."""
    text = (
        f"share {share.id} (vault {vault.name!r}, to {share.recipient_name}) locked after "
        f"{share.code_failures} wrong access codes, the last from {ip or 'an unknown address'}"
    )
    alert_operators(session, text=text)
    tell_creator(
        session,
        share=share,
        notice=ShareLockedNotice,
        subject=settings.gettext("Share locked: %(vault)s", vault=vault.name),
        body=settings.gettext(
            "The share %(share)s (vault “%(vault)s”, to %(recipient)s) was locked after "
            "%(failures)s wrong access codes, the last from %(ip)s. It opens again at %(when)s; "
            "revoke it, or resend the code, if this was not the recipient.",
            share=share.id,
            vault=vault.name,
            recipient=share.recipient_name,
            failures=share.code_failures,
            ip=ip or settings.gettext("an unknown address"),
            when=settings.shown_time(share.locked_until or share.expires_at),
        ),
        settings=settings,
    )
