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
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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

    def contact(self) -> str:
        """How to reach the office: its name with its email and phone, when known."""
        ways = ", ".join(filter(None, [self.email, self.phone]))
        return f"{self.name} ({ways})" if ways else self.name


class ByPerson(Message):
    """A kind a person reads (email, SMS, letter): it names the office that sends it."""

    office: Office


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
    expires_at: str | None = None
    message: str | None = None
    file_request: bool = False
    """An upload-only share: the recipient is asked for documents, none are sent."""

    def email_subject(self) -> str:
        return share_subject(vault_name=self.vault_name, file_request=self.file_request)


def share_subject(*, vault_name: str, file_request: bool) -> str:
    """The subject of a share's link email, which a reminder names so it can be found."""
    if file_request:
        return f"Documents requested: {vault_name}"
    return f"Documents shared with you: {vault_name}"


class ShareReminder(ByEmail, BySms):
    """A recipient is reminded of a share they have not opened, or of a file request they have
    not answered. It carries no link or code (only their hashes are kept, and a new link would
    stop the first email's working): it names the email to look for and its date."""

    kind: ClassVar[str] = "share_reminder"
    template: ClassVar[str] = "share_reminder"

    vault_name: Text
    link_sent_at: Text
    """When the link email went (in the office's time zone)."""
    link_subject: Text
    code_channel: CodeChannelName
    expires_at: Text
    file_request: bool = False

    def email_subject(self) -> str:
        return f"Reminder: {self.link_subject}"

    def sms_text(self) -> str:
        if self.file_request:
            return (
                f"{self.office.name}: a reminder that we are waiting for the documents requested "
                f'in "{self.vault_name}". Send them through the link in our email of '
                f"{self.link_sent_at}, valid until {self.expires_at}."
            )
        return (
            f'{self.office.name}: a reminder that documents shared with you in "{self.vault_name}" '
            f"are waiting. Open them through the link in our email of {self.link_sent_at}, "
            f"valid until {self.expires_at}."
        )


class AccessCode(ByEmail, BySms, ByLetter):
    """The access code of a share; a letter may carry a link as a QR code (ours never do)."""

    kind: ClassVar[str] = "access_code"
    template: ClassVar[str] = "access_code"

    access_code: Text
    vault_name: Text
    expires_at: str | None = None
    link: str | None = None
    file_request: bool = False
    """The code opens a request for documents (an upload-only share)."""

    def email_subject(self) -> str:
        return f"Your access code: {self.vault_name}"

    def sms_text(self) -> str:
        valid = f" Valid until {self.expires_at}." if self.expires_at else ""
        purpose = "to send the documents requested for" if self.file_request else "for"
        return (
            f'{self.office.name}: your access code {purpose} "{self.vault_name}": '
            f"{self.access_code}.{valid} Never give it to anyone."
        )


# --- to staff -----------------------------------------------------------------------------


class StaffInvitation(ByEmail):
    """An invitation to a new staff account: a single-use set-password link."""

    kind: ClassVar[str] = "invitation"
    template: ClassVar[str] = "staff_invitation"

    link: Text
    inviter_name: Text
    role: Text
    expires_at: Text

    def email_subject(self) -> str:
        return "Your VAULT03 account"


class PasswordReset(ByEmail):
    """A single-use link to choose a new password."""

    kind: ClassVar[str] = "password_reset"
    template: ClassVar[str] = "password_reset"

    link: Text
    expires_at: Text
    requested_ip: str | None = None

    def email_subject(self) -> str:
        return "Reset your VAULT03 password"


class AccountLocked(ByEmail):
    """A staff member is told that their account was locked after failed sign-ins."""

    kind: ClassVar[str] = "account_locked"
    template: ClassVar[str] = "security_alert"

    event: Text
    occurred_at: Text
    ip: str | None = None
    details: str | None = None
    action: str | None = None

    def email_subject(self) -> str:
        return "VAULT03 security alert: your account was locked"


class Notice(ByEmail):
    """A plain message: a subject and a body (the template of the notices below)."""

    template: ClassVar[str] = "notice"

    body: Text
    subject: str | None = None
    console_url: str | None = None
    """The item the notice is about, in the staff console (a notice to staff has one)."""

    def email_subject(self) -> str:
        return self.subject or "VAULT03"


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
    expires_at: Text
    console_url: Text
    file_request: bool = False

    def email_subject(self) -> str:
        return f"Share expires soon: {self.vault_name}"


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

    starts_at: Text
    ends_at: Text
    reason: str | None = None
    details: str | None = None

    def email_subject(self) -> str:
        return f"VAULT03 maintenance on {self.starts_at}"


class ServiceRestored(ByEmail):
    """Maintenance is over."""

    kind: ClassVar[str] = "service_restored"
    template: ClassVar[str] = "service_restored"

    restored_at: Text
    details: str | None = None

    def email_subject(self) -> str:
        return "VAULT03 is available again"


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
