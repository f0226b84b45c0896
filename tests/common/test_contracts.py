"""The message contracts: every kind the API can enqueue, built as the API builds it, goes
through the relay's JSON and is rendered by the real email, SMS, letter and Telegram workers."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import date
from importlib import resources
from pathlib import Path

import pytest
from pypdf import PdfReader

from vault03_common.address import PostalAddress
from vault03_common.events import (
    SCHEMA_VERSION,
    Channel,
    DeliveryRequested,
    EmailPayload,
    PostalPayload,
)
from vault03_common.messages import (
    KINDS,
    AccessCode,
    AccountLocked,
    ByEmail,
    ByLetter,
    BySms,
    ByTelegram,
    DeadLetterAlert,
    MaintenanceNotice,
    Message,
    Office,
    Outgoing,
    PasswordReset,
    SecurityAlert,
    SendTestMessage,
    ServiceRestored,
    ShareAccessNotice,
    ShareExpiryWarning,
    ShareLink,
    ShareLockedNotice,
    ShareReminder,
    ShareUploadNotice,
    StaffInvitation,
    templates,
)
from vault03_common.runtime import PermanentError
from vault03_email.render import render_email
from vault03_email.settings import EmailSettings
from vault03_notifier.handler import handle as send_telegram
from vault03_notifier.settings import NotifierSettings
from vault03_notifier.sink import TelegramSink
from vault03_postal.letter import render_letter
from vault03_postal.settings import PostalSettings
from vault03_sms.message import prepare_sms
from vault03_sms.settings import SmsSettings

LINK = "https://vault.example.org/s/Q2FmZS1iYWJlLWRlYWQtYmVlZg"
SET_PASSWORD = "https://vault.example.org/set-password#token=N3ZkZjg5MmxrczBk"
WHEN = "2026-12-31 18:00 UTC"
NOTICE_BODY = "Ana Lima opened the share of 'Tax 2026' at 2026-12-01 09:14 UTC from 203.0.113.9."

OFFICE = Office(
    name="Cabinet Dupont",
    email="contact@cabinet-dupont.example",
    phone="+33 4 78 00 00 00",
    address=("8 quai Saint-Vincent", "69001 Lyon"),
)

EXAMPLES: dict[str, Message] = {
    "share_link": ShareLink(
        office=OFFICE,
        link=LINK,
        vault_name="Tax 2026",
        code_channel="sms",
        expires_at=WHEN,
        message="Please sign page 2",
    ),
    "access_code": AccessCode(
        office=OFFICE, access_code="K7Q-42X-9PD", vault_name="Tax 2026", expires_at=WHEN
    ),
    "share_reminder": ShareReminder(
        office=OFFICE,
        vault_name="Tax 2026",
        link_sent_at="2026-12-01 09:14 UTC",
        link_subject="Documents requested: Tax 2026",
        code_channel="postal",
        expires_at=WHEN,
        file_request=True,
    ),
    "share_expiry_warning": ShareExpiryWarning(
        office=OFFICE,
        vault_name="Tax 2026",
        recipient_name="Ana Lima",
        expires_at=WHEN,
        console_url="https://vault.example.org/#/shares/7",
    ),
    "invitation": StaffInvitation(
        office=OFFICE,
        link=SET_PASSWORD,
        inviter_name="Claire Martin",
        role="staff",
        expires_at=WHEN,
    ),
    "password_reset": PasswordReset(
        office=OFFICE, link=SET_PASSWORD, expires_at=WHEN, requested_ip="203.0.113.9"
    ),
    "account_locked": AccountLocked(
        office=OFFICE,
        event="Your account was locked after 5 failed sign-ins",
        occurred_at=WHEN,
        ip="203.0.113.9",
        action="It opens again at 2026-12-31 18:15 UTC. If this was not you, tell your admin.",
    ),
    "share_locked_alert": ShareLockedNotice(
        office=OFFICE,
        subject="Share locked: Tax 2026",
        body="The share 7 was locked after 5 wrong codes.",
    ),
    "share_access_notice": ShareAccessNotice(
        office=OFFICE, subject="Share opened: Tax 2026", body=NOTICE_BODY
    ),
    "share_upload_notice": ShareUploadNotice(
        office=OFFICE,
        subject="Document received: scan.pdf",
        body="Ana Lima sent 'scan.pdf' (47.1 KiB).",
        console_url="https://vault.example.org/#/vaults/3",
    ),
    "test": SendTestMessage(
        office=OFFICE, subject="VAULT03 test", body="This is a test message from VAULT03."
    ),
    "maintenance_notice": MaintenanceNotice(
        office=OFFICE, starts_at=WHEN, ends_at="2027-01-01 02:00 UTC", reason="Database upgrade"
    ),
    "service_restored": ServiceRestored(office=OFFICE, restored_at="2027-01-01 01:40 UTC"),
    "security_alert": SecurityAlert(text="VAULT03: login locked for account:ana@example.org"),
    "dead_letter_alert": DeadLetterAlert(
        text="VAULT03: delivery 0193 (email, share_link) was given up after 8 attempt(s)"
    ),
}
ADDRESS = PostalAddress(
    name="Hélène Dubois", line1="12 rue des Lilas", postal_code="69003", city="Lyon"
)
# Fields a template shows in words rather than as given.
SHOWN_OTHERWISE = {("share_link", "code_channel"), ("share_reminder", "code_channel")}


def addressed(message: Message, channel: Channel) -> Outgoing:
    """The message addressed as the API addresses it on `channel`."""
    match channel:
        case Channel.EMAIL:
            assert isinstance(message, ByEmail)
            return message.email(to="ana@example.org", to_name="Ana Lima")
        case Channel.SMS:
            assert isinstance(message, BySms)
            return message.sms(to="+33612345678")
        case Channel.POSTAL:
            assert isinstance(message, ByLetter)
            return message.letter(address=ADDRESS)
        case Channel.TELEGRAM:
            assert isinstance(message, ByTelegram)
            return message.telegram()


def relayed(outgoing: Outgoing) -> DeliveryRequested:
    """The event a worker receives: the stored payload, through JSON, as the relay sends it."""
    stored = json.loads(json.dumps(outgoing.payload.model_dump(mode="json")))
    event = DeliveryRequested.model_validate(
        {"delivery_id": "d-contract", "kind": outgoing.kind, "payload": stored}
    )
    return DeliveryRequested.model_validate_json(event.model_dump_json())


def cases() -> list[tuple[str, Channel]]:
    return [(kind, channel) for kind, cls in KINDS.items() for channel in sorted(cls.channels())]


def test_every_kind_has_an_example_and_a_channel() -> None:
    assert set(EXAMPLES) == set(KINDS)
    for kind, example in EXAMPLES.items():
        assert type(example).kind == kind
        assert type(example).channels(), kind


def _shown_fields(kind: str, message: Message) -> list[str]:
    fields = type(message).model_fields
    return [
        str(getattr(message, name))
        for name, field in fields.items()
        if field.is_required() and (kind, name) not in SHOWN_OTHERWISE and name != "office"
    ]


@pytest.mark.parametrize(("kind", "channel"), cases())
def test_each_kind_renders_on_each_of_its_channels(
    kind: str, channel: Channel, tmp_path: Path
) -> None:
    message = EXAMPLES[kind]
    event = relayed(addressed(message, channel))
    assert event.kind == kind
    match channel:
        case Channel.EMAIL:
            assert isinstance(message, ByEmail)
            email = render_email(event, EmailSettings())
            assert email.subject == message.email_subject()
            assert email.sender_name == "Cabinet Dupont"
            for shown in (OFFICE.name, "contact@cabinet-dupont.example", "+33 4 78 00 00 00"):
                assert shown in email.text and shown in email.html, (kind, shown)
            for value in _shown_fields(kind, message):
                assert value in email.text, (kind, value)
                assert value.replace("'", "&#39;") in email.html, (kind, value)
        case Channel.SMS:
            sms = prepare_sms(event, SmsSettings())
            assert isinstance(message, BySms)
            assert sms.text == message.sms_text() and sms.to == "+33612345678"
            assert sms.text.startswith("Cabinet Dupont: ")
        case Channel.POSTAL:
            assert isinstance(event.payload, PostalPayload)
            pdf = render_letter(event.payload, PostalSettings(), today=date(2026, 12, 1))
            text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
            assert "69003 Lyon" in text
            assert "Cabinet Dupont\n8 quai Saint-Vincent\n69001 Lyon" in text, text
            for value in _shown_fields(kind, message):
                assert value in text, (kind, value)
        case Channel.TELEGRAM:
            settings = NotifierSettings(chat_ids=["-100123"])
            client = TelegramSink(tmp_path / "telegram.jsonl")
            asyncio.run(send_telegram(event, client=client, settings=settings))
            line = json.loads((tmp_path / "telegram.jsonl").read_text())
            assert isinstance(message, ByTelegram)
            assert line["text"] == message.telegram_text() and line["chat_id"] == "-100123"


def test_every_template_is_sent_by_some_kind() -> None:
    root = resources.files("vault03_email") / "templates"
    files = {entry.name.split(".")[0] for entry in root.iterdir() if not entry.name.startswith("_")}
    sent = set(templates(Channel.EMAIL))
    assert files == sent, f"templates no kind renders: {sorted(files - sent)}"
    for name in sent:
        assert (root / f"{name}.txt.j2").is_file() and (root / f"{name}.html.j2").is_file()


def test_an_invalid_message_is_refused_where_it_is_made() -> None:
    with pytest.raises(ValueError, match="inviter_name"):
        StaffInvitation(
            office=OFFICE, link=SET_PASSWORD, inviter_name="", role="staff", expires_at=WHEN
        )
    with pytest.raises(ValueError, match="code_channel"):
        ShareLink(office=OFFICE, link=LINK, vault_name="Tax", code_channel="pigeon")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="office"):
        AccessCode(access_code="K7Q-42X-9PD", vault_name="Tax")  # type: ignore[call-arg]
    homeless = Office(name="Cabinet Dupont")
    code = AccessCode(office=homeless, access_code="K7Q-42X-9PD", vault_name="Tax")
    with pytest.raises(ValueError, match="return address"):
        code.letter(address=ADDRESS)


def _newer(template: str, context: dict[str, object]) -> DeliveryRequested:
    payload = EmailPayload(to="ana@example.org", template=template, subject="S", context=context)
    return DeliveryRequested(
        delivery_id="d-new", kind="invitation", payload=payload, schema_version=SCHEMA_VERSION + 1
    )


def test_a_newer_version_the_worker_cannot_read_fails_for_good_naming_the_field() -> None:
    context = EXAMPLES["invitation"].context()
    context["invited_by"] = context.pop("inviter_name")  # a rename in a later version
    with pytest.raises(PermanentError) as failure:
        render_email(_newer("staff_invitation", context), EmailSettings())
    reason = str(failure.value)
    assert "inviter_name" in reason and "invited_by" in reason
    assert f"schema version {SCHEMA_VERSION + 1} is newer" in reason


def test_a_newer_version_that_still_reads_is_rendered() -> None:
    context = EXAMPLES["invitation"].context()
    email = render_email(_newer("staff_invitation", context), EmailSettings())
    assert SET_PASSWORD in email.text
