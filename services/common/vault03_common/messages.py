"""Typed message contracts: one model per kind of message the API sends.

The API builds a message (an invalid one is refused there, never enqueued) and addresses it
to a channel (`email`, `sms`, `letter`, `telegram`: only the channels its kind is sent over);
the outbox stores the channel payload, whose `context` is the message's fields. The workers
read the same model back (`read_message`) and render it. A kind is registered by defining
its class: `KINDS` is built from the subclasses, so a new kind cannot miss the contract test.
Schema versions stay in the event envelope (`events.SCHEMA_VERSION`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from vault03_common import i18n
from vault03_common.address import PostalAddress
from vault03_common.events import (
    Channel,
    DeliveryPayload,
    EmailPayload,
    PostalPayload,
    SmsPayload,
    TelegramPayload,
    field_errors,
    newer_version_note,
)

M = TypeVar("M", bound="Message")
Text = Annotated[str, Field(min_length=1)]
"""A field a message cannot do without: present and not empty."""
Moment = Annotated[AwareDatetime | str, Field(union_mode="left_to_right")]
"""A moment (with its offset): shown in the office's time zone, as the message's language
writes it. Text that is no moment is a time already written out, as deliveries queued before
languages carry it: shown as it is."""

KINDS: dict[str, type[Message]] = {}
"""Every kind of message the API can enqueue, by kind name."""


@dataclass(frozen=True)
class Outgoing:
    """A message addressed to one channel: what the outbox stores and the relay publishes."""

    kind: str
    payload: DeliveryPayload


class UnreadableMessage(ValueError):
    """A delivery's fields do not make the message its template reads (names the fields)."""


class Message(BaseModel):
    """Base of the message kinds; a subclass that sets `kind` is registered in `KINDS`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ClassVar[str]
    template: ClassVar[str] = ""
    """The email or letter template that renders the message (shared by related kinds)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            if cls.kind in KINDS:
                raise TypeError(f"message kind {cls.kind!r} is defined twice")
            KINDS[cls.kind] = cls

    @classmethod
    def channels(cls) -> frozenset[Channel]:
        """The channels this kind can be sent over."""
        found = {
            channel
            for mixin, channel in (
                (ByEmail, Channel.EMAIL),
                (BySms, Channel.SMS),
                (ByLetter, Channel.POSTAL),
                (ByTelegram, Channel.TELEGRAM),
            )
            if issubclass(cls, mixin)
        }
        return frozenset(found)

    @classmethod
    def template_model(cls) -> type[Message]:
        """The class that names the template: its fields are what the template reads."""
        for klass in cls.__mro__:
            if "template" in klass.__dict__:
                return klass
        return cls

    def context(self) -> dict[str, Any]:
        """The message's fields as the payload carries them."""
        return self.model_dump(mode="json", exclude_none=True)


class Office(BaseModel):
    """Who writes: the office's identity, from the API's settings, in every message to a person.

    It travels in the message rather than being each worker's setting so that one place (the
    API's config.yaml) names the office for the portal, email, SMS and letters alike.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Text
    email: str | None = None
    phone: str | None = None
    address: tuple[str, ...] = ()
    """The return address printed on letters, one line each."""
    logo_url: str | None = None
    language: i18n.Language = i18n.SOURCE_LANGUAGE
    """The office's default language: what its staff read, and customers unless they chose."""
    time_zone: i18n.TimeZone = "UTC"
    """The IANA time zone every time in a message is shown in."""

    def contact(self) -> str:
        """How to reach the office: its name with its email and phone, when known."""
        ways = ", ".join(filter(None, [self.email, self.phone]))
        return f"{self.name} ({ways})" if ways else self.name


class ByPerson(Message):
    """A kind a person reads (email, SMS, letter): it names the office that sends it, and is
    written in `language` (the recipient's; the office's default when the API names none)."""

    office: Office
    language: i18n.Language = i18n.SOURCE_LANGUAGE
    """Filled from the office's language when the API names none."""

    @model_validator(mode="before")
    @classmethod
    def _office_language_by_default(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("language") is None:
            office = data.get("office")
            language = (
                office.language
                if isinstance(office, Office)
                else office.get("language")
                if isinstance(office, Mapping)
                else None
            )
            data = {**data, "language": language or i18n.SOURCE_LANGUAGE}
        return data

    def gettext(self, message: str, **values: Any) -> str:
        """`message` in the message's language, `%(name)s` placeholders filled from `values`."""
        translated = i18n.translations(self.language).gettext(message)
        return translated % values if values else translated

    def when(self, value: datetime | str) -> str:
        """A moment as the reader reads it: the office's time zone, the message's language."""
        if isinstance(value, str):
            return value
        return i18n.moment(value, language=self.language, time_zone=self.office.time_zone)


class ByEmail(ByPerson):
    """A kind sent by email: it names its subject."""

    def email_subject(self) -> str:
        raise NotImplementedError

    def email(self, *, to: str, to_name: str | None = None) -> Outgoing:
        """The message addressed to one mailbox."""
        payload = EmailPayload(
            to=to,
            to_name=to_name,
            template=self.template,
            subject=self.email_subject(),
            context=self.context(),
        )
        return Outgoing(kind=self.kind, payload=payload)


class BySms(ByPerson):
    """A kind sent by SMS: it says its text."""

    def sms_text(self) -> str:
        raise NotImplementedError

    def sms(self, *, to: str) -> Outgoing:
        """The message addressed to one mobile number (E.164)."""
        return Outgoing(kind=self.kind, payload=SmsPayload(to=to, text=self.sms_text()))


class ByLetter(ByPerson):
    """A kind sent as a printed letter (never without the office's return address)."""

    def letter(self, *, address: PostalAddress) -> Outgoing:
        """The message addressed to one postal address."""
        if not self.office.address:
            raise ValueError("a letter needs the office's return address (office_address)")
        payload = PostalPayload(address=address, template=self.template, context=self.context())
        return Outgoing(kind=self.kind, payload=payload)


class ByTelegram(Message):
    """A kind sent to a Telegram chat (the operators' chats unless one is named)."""

    def telegram_text(self) -> str:
        raise NotImplementedError

    def telegram(self, *, chat_id: str | None = None) -> Outgoing:
        """The message addressed to a chat, or to the operators' configured chats."""
        payload = TelegramPayload(text=self.telegram_text(), chat_id=chat_id)
        return Outgoing(kind=self.kind, payload=payload)


# --- to customers and share recipients ----------------------------------------------------

CodeChannelName = Literal["sms", "postal", "email"]


class ShareLink(ByEmail):
    """The link of a share (the access code travels over another channel)."""

    kind: ClassVar[str] = "share_link"
    template: ClassVar[str] = "share_link"

    link: Text
    vault_name: Text
    code_channel: CodeChannelName
    expires_at: Moment | None = None
    message: str | None = None
    file_request: bool = False
    """An upload-only share: the recipient is asked for documents, none are sent."""

    def email_subject(self) -> str:
        return share_subject(
            vault_name=self.vault_name, file_request=self.file_request, language=self.language
        )


def share_subject(*, vault_name: str, file_request: bool, language: str) -> str:
    """The subject of a share's link email, which a reminder names so it can be found."""
    gettext = i18n.translations(language).gettext
    if file_request:
        return gettext("Documents requested: %(vault)s") % {"vault": vault_name}
    return gettext("Documents shared with you: %(vault)s") % {"vault": vault_name}


class ShareReminder(ByEmail, BySms):
    """A recipient is reminded of a share they have not opened, or of a file request they have
    not answered. It carries no link or code (only their hashes are kept, and a new link would
    stop the first email's working): it names the email to look for and its date."""

    kind: ClassVar[str] = "share_reminder"
    template: ClassVar[str] = "share_reminder"

    vault_name: Text
    link_sent_at: Moment
    """When the link email went."""
    link_subject: Text
    code_channel: CodeChannelName
    expires_at: Moment
    file_request: bool = False

    def email_subject(self) -> str:
        return self.gettext("Reminder: %(subject)s", subject=self.link_subject)

    def sms_text(self) -> str:
        values = {
            "office": self.office.name,
            "vault": self.vault_name,
            "sent": self.when(self.link_sent_at),
            "until": self.when(self.expires_at),
        }
        if self.file_request:
            return self.gettext(
                "%(office)s: a reminder that we are waiting for the documents requested in "
                '"%(vault)s". Send them through the link in our email of %(sent)s, valid until '
                "%(until)s.",
                **values,
            )
        return self.gettext(
            '%(office)s: a reminder that documents shared with you in "%(vault)s" are waiting. '
            "Open them through the link in our email of %(sent)s, valid until %(until)s.",
            **values,
        )


class AccessCode(ByEmail, BySms, ByLetter):
    """The access code of a share; a letter may carry a link as a QR code (ours never do)."""

    kind: ClassVar[str] = "access_code"
    template: ClassVar[str] = "access_code"

    access_code: Text
    vault_name: Text
    expires_at: Moment | None = None
    link: str | None = None
    file_request: bool = False
    """The code opens a request for documents (an upload-only share)."""

    def email_subject(self) -> str:
        return self.gettext("Your access code: %(vault)s", vault=self.vault_name)

    def sms_text(self) -> str:
        values = {"office": self.office.name, "vault": self.vault_name, "code": self.access_code}
        if self.file_request:
            text = self.gettext(
                '%(office)s: your access code to send the documents requested for "%(vault)s": '
                "%(code)s.",
                **values,
            )
        else:
            text = self.gettext('%(office)s: your access code for "%(vault)s": %(code)s.', **values)
        if self.expires_at:
            text += " " + self.gettext("Valid until %(when)s.", when=self.when(self.expires_at))
        return text + " " + self.gettext("Never give it to anyone.")


# --- to staff -----------------------------------------------------------------------------


class StaffInvitation(ByEmail):
    """An invitation to a new staff account: a single-use set-password link."""

    kind: ClassVar[str] = "invitation"
    template: ClassVar[str] = "staff_invitation"

    link: Text
    inviter_name: Text
    role: Text
    expires_at: Moment

    def email_subject(self) -> str:
        return self.gettext("Your account at %(office)s", office=self.office.name)


class PasswordReset(ByEmail):
    """A single-use link to choose a new password."""

    kind: ClassVar[str] = "password_reset"
    template: ClassVar[str] = "password_reset"

    link: Text
    expires_at: Moment
    requested_ip: str | None = None

    def email_subject(self) -> str:
        return self.gettext("Reset your password at %(office)s", office=self.office.name)


class AccountLocked(ByEmail):
    """A staff member is told that their account was locked after failed sign-ins."""

    kind: ClassVar[str] = "account_locked"
    template: ClassVar[str] = "security_alert"

    event: Text
    occurred_at: Moment
    ip: str | None = None
    details: str | None = None
    action: str | None = None

    def email_subject(self) -> str:
        return self.gettext(
            "Security alert from %(office)s: your account was locked", office=self.office.name
        )


class Notice(ByEmail):
    """A plain message: a subject and a body (the template of the notices below)."""

    template: ClassVar[str] = "notice"

    body: Text
    subject: str | None = None
    console_url: str | None = None
    """The item the notice is about, in the staff console (a notice to staff has one)."""

    def email_subject(self) -> str:
        return self.subject or self.office.name


class ShareLockedNotice(Notice):
    """The creator of a share hears that it was locked after wrong access codes."""

    kind: ClassVar[str] = "share_locked_alert"


class ShareAccessNotice(Notice):
    """The creator of a share hears that it was opened or a file downloaded."""

    kind: ClassVar[str] = "share_access_notice"


class ShareUploadNotice(Notice):
    """The creator of a share hears that the recipient sent a file back."""

    kind: ClassVar[str] = "share_upload_notice"


class ShareExpiryWarning(ByEmail):
    """The creator of a share hears, days before it expires, that its recipient has not yet
    opened it (or sent the documents it requests)."""

    kind: ClassVar[str] = "share_expiry_warning"
    template: ClassVar[str] = "share_expiry_warning"

    vault_name: Text
    recipient_name: Text
    expires_at: Moment
    console_url: Text
    file_request: bool = False

    def email_subject(self) -> str:
        return self.gettext("Share expires soon: %(vault)s", vault=self.vault_name)


class SendTestMessage(Notice, BySms, ByLetter, ByTelegram):
    """`vault03 deliveries send-test`: the same text over any channel."""

    kind: ClassVar[str] = "test"

    def sms_text(self) -> str:
        return f"{self.office.name}: {self.body}"

    def telegram_text(self) -> str:
        return self.body


# --- to everyone: maintenance -------------------------------------------------------------


class MaintenanceNotice(ByEmail):
    """A maintenance window is announced."""

    kind: ClassVar[str] = "maintenance_notice"
    template: ClassVar[str] = "maintenance_notice"

    starts_at: Moment
    ends_at: Moment
    reason: str | None = None
    details: str | None = None
    short_notice: bool = False
    """An emergency window, announced with less than the usual notice."""

    def email_subject(self) -> str:
        return self.gettext(
            "%(office)s: service maintenance on %(when)s",
            office=self.office.name,
            when=self.when(self.starts_at),
        )


class ServiceRestored(ByEmail):
    """Maintenance is over."""

    kind: ClassVar[str] = "service_restored"
    template: ClassVar[str] = "service_restored"

    restored_at: Moment
    details: str | None = None

    def email_subject(self) -> str:
        return self.gettext("%(office)s: the service is available again", office=self.office.name)


# --- to the operators' chat ---------------------------------------------------------------


class OperatorAlert(ByTelegram):
    """A line of text for the operators' chat."""

    text: Text

    def telegram_text(self) -> str:
        return self.text


class SecurityAlert(OperatorAlert):
    """Lockouts, replayed codes, failed integrity checks."""

    kind: ClassVar[str] = "security_alert"


class DeadLetterAlert(OperatorAlert):
    """A delivery was given up."""

    kind: ClassVar[str] = "dead_letter_alert"


# --- the workers' side --------------------------------------------------------------------


def templates(channel: Channel) -> dict[str, type[Message]]:
    """The templates a channel renders (email or letter), each with the model it reads."""
    return {
        cls.template: cls.template_model()
        for cls in KINDS.values()
        if channel in cls.channels() and cls.template
    }


def read_message(
    model: type[M], context: Mapping[str, Any], *, template: str, schema_version: int
) -> M:
    """The message a payload carries; UnreadableMessage names every field that is wrong."""
    try:
        return model.model_validate(context)
    except ValidationError as exc:
        problems = field_errors(exc)
        newer = newer_version_note(schema_version)
        raise UnreadableMessage(f"template {template!r} needs {problems}{newer}") from exc
