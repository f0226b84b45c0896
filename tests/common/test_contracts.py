"""The message contracts: every kind the API can enqueue, built as the API builds it, goes
through the relay's JSON and is rendered by the real email, SMS, letter and Telegram workers,
in every language (Telegram goes to the operators' chat: their alerts stay in English)."""

from __future__ import annotations

import asyncio
import io
import json
import re
from datetime import UTC, date, datetime
from html import unescape
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from vault03_common import i18n
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
    ByPerson,
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
WHEN = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
NOTICE_BODY = "Ana Lima opened the share of 'Tax 2026' at 2026-12-01 09:14 UTC from 203.0.113.9."

OFFICE = Office(
    name="Cabinet Dupont",
    email="contact@cabinet-dupont.example",
    phone="+33 4 78 00 00 00",
    address=("8 quai Saint-Vincent", "69001 Lyon"),
    time_zone="Europe/Paris",
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
        link_sent_at=datetime(2026, 12, 1, 9, 14, tzinfo=UTC),
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
        body="Ana Lima sent 'scan.pdf' (47.1 KB).",
        console_url="https://vault.example.org/#/vaults/3",
    ),
    "test": SendTestMessage(
        office=OFFICE, subject="VAULT03 test", body="This is a test message from VAULT03."
    ),
    "maintenance_notice": MaintenanceNotice(
        office=OFFICE,
        starts_at=WHEN,
        ends_at=datetime(2027, 1, 1, 2, 0, tzinfo=UTC),
        reason="Database upgrade",
    ),
    "service_restored": ServiceRestored(
        office=OFFICE, restored_at=datetime(2027, 1, 1, 1, 40, tzinfo=UTC)
    ),
    "security_alert": SecurityAlert(text="VAULT03: login locked for account:ana@example.org"),
    "dead_letter_alert": DeadLetterAlert(
        text="VAULT03: delivery 0193 (email, share_link) was given up after 8 attempt(s)"
    ),
}
ADDRESS = PostalAddress(
    name="Hélène Dubois", line1="12 rue des Lilas", postal_code="69003", city="Lyon", country="DE"
)
# Fields a template shows in words rather than as given.
SHOWN_OTHERWISE = {
    ("share_link", "code_channel"),
    ("share_reminder", "code_channel"),
    ("invitation", "role"),
}
# Words of English that no French or German text has (names and the example's own data
# are taken out of the text first).
ENGLISH = {
    "the",
    "your",
    "you",
    "and",
    "with",
    "this",
    "please",
    "until",
    "shared",
    "been",
    "have",
    "has",
    "will",
    "here",
    "which",
    "never",
    "anyone",
    "our",
    "when",
    "reply",
    "sent",
    "valid",
    "access",
    "account",
    "documents",
    "requested",
    "maintenance",
    "available",
    "password",
    "link",
    "hello",
    "dear",
    "alert",
    "code",
    "questions",
    "contact",
}
# ... except where the language has the same word.
SAME_WORD = {"de": {"link", "code"}, "fr": {"code", "contact", "documents"}}


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


def in_language(message: Message, language: str) -> Message:
    """The example as the API builds it for a reader of `language`."""
    if not isinstance(message, ByPerson):
        return message
    return type(message).model_validate({**message.model_dump(), "language": language})


def language_cases() -> list[tuple[str, Channel, str]]:
    return [
        (kind, channel, language)
        for kind, channel in cases()
        if channel is not Channel.TELEGRAM
        for language in i18n.LANGUAGES
    ]


def _data(message: Message) -> list[str]:
    """The example's own texts (names, free text the API composed): not the template's."""
    values: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, str):
            values.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item)

    collect(message.model_dump(mode="json"))
    return [*values, "Ana Lima", "ana@example.org", *ADDRESS.lines()]


def english_left(text: str, message: Message, language: str) -> set[str]:
    """English words in a French or German text, once the example's own data is taken out."""
    for value in sorted(_data(message), key=len, reverse=True):
        text = text.replace(value, " ")
    words = {word.lower() for word in re.findall(r"[A-Za-z]+", text)}
    return words & (ENGLISH - SAME_WORD.get(language, set()))


def test_every_kind_has_an_example_and_a_channel() -> None:
    assert set(EXAMPLES) == set(KINDS)
    for kind, example in EXAMPLES.items():
        assert type(example).kind == kind
        assert type(example).channels(), kind


def _shown_fields(kind: str, message: Message) -> list[str]:
    fields = type(message).model_fields
    shown = []
    for name, field in fields.items():
        if not field.is_required() or (kind, name) in SHOWN_OTHERWISE or name == "office":
            continue
        value = getattr(message, name)
        assert isinstance(message, ByPerson) or not isinstance(value, datetime)
        shown.append(
            message.when(value)
            if isinstance(message, ByPerson) and isinstance(value, datetime)
            else str(value)
        )
    return shown


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
            assert sms.text.startswith("Cabinet Dupont")
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


def _rendered_texts(message: Message, channel: Channel) -> list[str]:
    """What the reader gets: subject and bodies, the SMS text, or the letter's text."""
    event = relayed(addressed(message, channel))
    match channel:
        case Channel.EMAIL:
            email = render_email(event, EmailSettings())
            html = unescape(re.sub(r"<[^>]+>", " ", email.html))
            return [email.subject, email.text, html]
        case Channel.SMS:
            return [prepare_sms(event, SmsSettings()).text]  # within the segment limit
        case Channel.POSTAL:
            assert isinstance(event.payload, PostalPayload)
            pdf = render_letter(event.payload, PostalSettings(), today=date(2026, 12, 1))
            return [PdfReader(io.BytesIO(pdf)).pages[0].extract_text()]
    raise AssertionError(channel)


@pytest.mark.parametrize(("kind", "channel", "language"), language_cases())
def test_each_kind_is_written_in_each_language(kind: str, channel: Channel, language: str) -> None:
    message = in_language(EXAMPLES[kind], language)
    assert isinstance(message, ByPerson) and message.language == language
    texts = _rendered_texts(message, channel)
    assert OFFICE.name in texts[-1]
    for text in texts:
        if language != i18n.SOURCE_LANGUAGE:
            assert not english_left(text, message, language), (kind, channel, language, text)
    times = [value for value in message.model_dump().values() if isinstance(value, datetime)]
    for moment in times:
        shown = i18n.moment(moment, language=language, time_zone="Europe/Paris")
        assert any(_spaced(shown) in _spaced(text) for text in texts), (kind, shown)
    if channel is Channel.POSTAL:
        country = {"en": "GERMANY", "fr": "ALLEMAGNE", "de": "DEUTSCHLAND"}[language]
        dated = {"en": "December 1, 2026", "fr": "1 decembre 2026", "de": "1. Dezember 2026"}
        assert country in texts[0] and dated[language] in texts[0].replace("é", "e")


def _spaced(text: str) -> str:
    """Non-breaking spaces as plain ones (the letter's core fonts print them so)."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_a_message_is_written_in_the_office_language_unless_told() -> None:
    office = OFFICE.model_copy(update={"language": "de"})
    code = AccessCode(office=office, access_code="K7Q-42X-9PD", vault_name="Steuer 2026")
    assert code.language == "de" and "Zugangscode" in code.sms_text()
    told = AccessCode(
        office=office, language="fr", access_code="K7Q-42X-9PD", vault_name="Impôts 2026"
    )
    assert "code d'accès" in told.sms_text()
    with pytest.raises(ValueError, match="language"):
        AccessCode(office=office, language="es", access_code="K7", vault_name="V")  # type: ignore[arg-type]


def test_times_are_shown_in_the_office_time_zone() -> None:
    code = AccessCode(office=OFFICE, access_code="K7Q-42X-9PD", vault_name="Tax", expires_at=WHEN)
    assert "December 31, 2026, 6:00" in code.sms_text()  # 17:00 UTC is 18:00 in Paris
    french = in_language(code, "fr")
    assert isinstance(french, AccessCode) and "31 décembre 2026, 18:00" in french.sms_text()


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


@pytest.mark.parametrize(
    ("language", "winter", "summer"),
    [("en", "CET", "CEST"), ("fr", "CET", "CEST"), ("de", "MEZ", "MESZ")],
)
def test_a_time_names_its_zone_in_every_language_never_a_bare_offset(
    language: str, winter: str, summer: str
) -> None:
    # CLDR has short names for Paris's zone in German only; elsewhere it falls back to
    # "+0100", which a reader cannot tell from a typo. The zone's own abbreviation replaces it.
    shown = [
        i18n.moment(
            datetime(2026, month, 14, 22, 37, tzinfo=UTC),
            language=language,
            time_zone="Europe/Paris",
        )
        for month in (12, 7)
    ]
    assert shown[0].endswith(f" {winter}") and shown[1].endswith(f" {summer}"), shown
    assert not any(re.search(r"[+-]\d{2}:?\d{2}|GMT", text) for text in shown), shown
