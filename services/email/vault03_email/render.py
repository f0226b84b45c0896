"""Email bodies rendered from the templates kept in this service.

Each template renders a text and an HTML body from the message its payload carries: the
fields are the message contracts' (`vault03_common.messages`), read back with the same model
the API built. Each is written in the message's `language` through the gettext catalogues
(`vault03_common.i18n`), times by the `moment` filter in the office's time zone. Every message
names the office that sends it (`office`: the From name and the signature); `to_name` (from the
payload) and `sender_name` (the office's name) are available to every template.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

import jinja2

from vault03_common import i18n
from vault03_common.events import SCHEMA_VERSION, Channel, DeliveryRequested, EmailPayload
from vault03_common.i18n import N_
from vault03_common.messages import (
    ByPerson,
    Message,
    ShareLink,
    ShareReminder,
    StaffInvitation,
    UnreadableMessage,
    read_message,
    templates,
)
from vault03_common.runtime import PermanentError
from vault03_email.settings import EmailSettings


@dataclass(frozen=True)
class TemplateSpec:
    """The fields a template reads: the model it renders, its required and optional fields."""

    model: type[Message]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @classmethod
    def of(cls, model: type[Message]) -> TemplateSpec:
        fields = model.model_fields
        return cls(
            model=model,
            required=tuple(name for name, field in fields.items() if field.is_required()),
            optional=tuple(name for name, field in fields.items() if not field.is_required()),
        )


TEMPLATES: dict[str, TemplateSpec] = {
    name: TemplateSpec.of(model) for name, model in templates(Channel.EMAIL).items()
}


_CODE_CHANNEL_TEXT = {
    "sms": N_("You will also need an access code, which reaches you separately by text message."),
    "postal": N_("You will also need an access code, which reaches you separately by post."),
    "email": N_(
        "You will also need an access code, which reaches you separately in another email."
    ),
}
# A reminder: the code has already gone.
_CODE_SENT_TEXT = {
    "sms": N_("You will also need the access code that reached you separately by text message."),
    "postal": N_("You will also need the access code that reached you separately by post."),
    "email": N_("You will also need the access code that reached you separately in another email."),
}
_ROLE_NAMES = {"admin": N_("administrator"), "staff": N_("staff member"), "auditor": N_("auditor")}

_loader = jinja2.PackageLoader("vault03_email", "templates")


@jinja2.pass_context
def _moment(context: jinja2.runtime.Context, value: datetime | str) -> str:
    if isinstance(value, str):  # written out before languages (a delivery queued then)
        return value
    office = context["office"]
    return i18n.moment(value, language=context["language"], time_zone=office["time_zone"])


@functools.cache
def _environment(language: str, *, html: bool) -> jinja2.Environment:
    """The text or HTML templates, translating into `language`."""
    env = jinja2.Environment(
        loader=_loader,
        undefined=jinja2.StrictUndefined,
        autoescape=html,  # noqa: S701  (plain-text bodies are not escaped; the HTML ones are)
        keep_trailing_newline=not html,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["moment"] = _moment
    return env


@dataclass(frozen=True)
class RenderedEmail:
    """One email ready for a sender: addresses, subject and both bodies."""

    delivery_id: str
    kind: str
    sender_email: str
    sender_name: str
    to: str
    to_name: str | None
    subject: str
    text: str
    html: str
    reply_to: str | None = None

    def mime(self) -> EmailMessage:
        """The message as MIME (text + HTML alternative), as the local sink stores it."""
        message = EmailMessage()
        message["From"] = formataddr((self.sender_name, self.sender_email))
        message["To"] = formataddr((self.to_name or "", self.to))
        if self.reply_to:
            message["Reply-To"] = self.reply_to
        message["Subject"] = self.subject
        message["Message-ID"] = make_msgid(idstring=self.delivery_id, domain="vault03.local")
        message["X-Vault03-Delivery-Id"] = self.delivery_id
        message.set_content(self.text)
        message.add_alternative(self.html, subtype="html")
        return message


def template_context(
    payload: EmailPayload, settings: EmailSettings, *, schema_version: int = SCHEMA_VERSION
) -> dict[str, Any]:
    """The context a template sees; a message its model cannot read is a permanent error."""
    spec = TEMPLATES.get(payload.template)
    if spec is None:
        raise PermanentError(f"unknown email template {payload.template!r}")
    try:
        message = read_message(
            spec.model, payload.context, template=payload.template, schema_version=schema_version
        )
    except UnreadableMessage as exc:
        raise PermanentError(str(exc)) from exc
    context: dict[str, Any] = message.model_dump()
    context["to_name"] = payload.to_name
    assert isinstance(message, ByPerson)  # every email kind names its office
    context["sender_name"] = message.office.name
    if isinstance(message, ShareLink):
        context["code_channel_text"] = message.gettext(_CODE_CHANNEL_TEXT[message.code_channel])
    if isinstance(message, ShareReminder):
        context["code_channel_text"] = message.gettext(_CODE_SENT_TEXT[message.code_channel])
    if isinstance(message, StaffInvitation):
        context["role"] = message.gettext(_ROLE_NAMES.get(message.role, message.role))
    return context


def render_bodies(
    payload: EmailPayload, settings: EmailSettings, *, schema_version: int = SCHEMA_VERSION
) -> tuple[str, str]:
    """The text and HTML bodies of one email."""
    context = template_context(payload, settings, schema_version=schema_version)
    return _bodies(payload.template, context)


def _bodies(template: str, context: dict[str, Any]) -> tuple[str, str]:
    language = context["language"]
    try:
        text = _environment(language, html=False).get_template(f"{template}.txt.j2").render(context)
        html = _environment(language, html=True).get_template(f"{template}.html.j2").render(context)
    except jinja2.TemplateError as exc:
        raise PermanentError(f"template {template!r}: {exc}") from exc
    return text, html


def render_email(event: DeliveryRequested, settings: EmailSettings) -> RenderedEmail:
    """Everything a sender needs for one email delivery."""
    payload = event.payload
    if not isinstance(payload, EmailPayload):
        raise PermanentError(f"email worker got a {payload.channel.value} payload")
    context = template_context(payload, settings, schema_version=event.schema_version)
    text, html = _bodies(payload.template, context)
    return RenderedEmail(
        delivery_id=event.delivery_id,
        kind=event.kind,
        sender_email=settings.sender_email,
        sender_name=context["sender_name"],
        to=payload.to,
        to_name=payload.to_name,
        subject=payload.subject,
        text=text,
        html=html,
        reply_to=settings.reply_to,
    )
