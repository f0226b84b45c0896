"""Email bodies rendered from the templates kept in this service.

Every template renders a text and an HTML body from `EmailPayload.context`. Callers enqueue
`EmailPayload(template=<name>, subject=..., context={...})`; the fields each template needs:

- `notice`: body
- `share_link`: link, vault_name, code_channel (sms, postal or email: how the access code
  travels); optional expires_at, message (a note from the staff member)
- `access_code`: access_code, vault_name; optional expires_at
- `staff_invitation`: link, inviter_name, role, expires_at
- `password_reset`: link, expires_at; optional requested_ip
- `maintenance_notice`: starts_at, ends_at; optional reason, details
- `service_restored`: restored_at; optional details
- `security_alert`: event (what happened), occurred_at; optional ip, details, action

Times are passed as display strings (already in the office's time zone). `to_name` (from the
payload) and `sender_name` (from the settings) are available to every template.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

import jinja2

from vault03_common.events import DeliveryRequested, EmailPayload
from vault03_common.runtime import PermanentError
from vault03_email.settings import EmailSettings


@dataclass(frozen=True)
class TemplateSpec:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


TEMPLATES: dict[str, TemplateSpec] = {
    "notice": TemplateSpec(required=("body",)),
    "share_link": TemplateSpec(
        required=("link", "vault_name", "code_channel"), optional=("expires_at", "message")
    ),
    "access_code": TemplateSpec(required=("access_code", "vault_name"), optional=("expires_at",)),
    "staff_invitation": TemplateSpec(required=("link", "inviter_name", "role", "expires_at")),
    "password_reset": TemplateSpec(required=("link", "expires_at"), optional=("requested_ip",)),
    "maintenance_notice": TemplateSpec(
        required=("starts_at", "ends_at"), optional=("reason", "details")
    ),
    "service_restored": TemplateSpec(required=("restored_at",), optional=("details",)),
    "security_alert": TemplateSpec(
        required=("event", "occurred_at"), optional=("ip", "details", "action")
    ),
}

_CODE_CHANNEL_TEXT = {
    "sms": "by text message",
    "postal": "by post",
    "email": "in another email",
}

_loader = jinja2.PackageLoader("vault03_email", "templates")
_text = jinja2.Environment(
    loader=_loader,
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # noqa: S701  (plain-text bodies; the HTML environment escapes)
    keep_trailing_newline=True,
)
_html = jinja2.Environment(loader=_loader, undefined=jinja2.StrictUndefined, autoescape=True)


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


def template_context(payload: EmailPayload, settings: EmailSettings) -> dict[str, Any]:
    """The context a template sees; a missing required field is a permanent error."""
    spec = TEMPLATES.get(payload.template)
    if spec is None:
        raise PermanentError(f"unknown email template {payload.template!r}")
    missing = [name for name in spec.required if payload.context.get(name) in (None, "")]
    if missing:
        raise PermanentError(f"template {payload.template!r} needs {', '.join(missing)}")
    context: dict[str, Any] = dict.fromkeys(spec.optional)
    context.update(payload.context)
    context["to_name"] = payload.to_name
    context["sender_name"] = settings.sender_name
    if payload.template == "share_link":
        channel = str(context["code_channel"])
        if channel not in _CODE_CHANNEL_TEXT:
            raise PermanentError(
                f"share_link: code_channel must be sms, postal or email: {channel}"
            )
        context["code_channel_text"] = _CODE_CHANNEL_TEXT[channel]
    return context


def render_bodies(payload: EmailPayload, settings: EmailSettings) -> tuple[str, str]:
    """The text and HTML bodies of one email."""
    context = template_context(payload, settings)
    try:
        text = _text.get_template(f"{payload.template}.txt.j2").render(context)
        html = _html.get_template(f"{payload.template}.html.j2").render(context)
    except jinja2.TemplateError as exc:
        raise PermanentError(f"template {payload.template!r}: {exc}") from exc
    return text, html


def render_email(event: DeliveryRequested, settings: EmailSettings) -> RenderedEmail:
    """Everything a sender needs for one email delivery."""
    payload = event.payload
    if not isinstance(payload, EmailPayload):
        raise PermanentError(f"email worker got a {payload.channel.value} payload")
    text, html = render_bodies(payload, settings)
    return RenderedEmail(
        delivery_id=event.delivery_id,
        kind=event.kind,
        sender_email=settings.sender_email,
        sender_name=settings.sender_name,
        to=payload.to,
        to_name=payload.to_name,
        subject=payload.subject,
        text=text,
        html=html,
        reply_to=settings.reply_to,
    )
