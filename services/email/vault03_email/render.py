"""Email bodies rendered from the templates kept in this service."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, make_msgid

import jinja2

from vault03_common.events import DeliveryRequested, EmailPayload
from vault03_common.runtime import PermanentError
from vault03_email.settings import EmailSettings

_text = jinja2.Environment(
    loader=jinja2.PackageLoader("vault03_email", "templates"),
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # noqa: S701  (plain-text bodies; the HTML environment escapes)
    keep_trailing_newline=True,
)
_html = jinja2.Environment(
    loader=jinja2.PackageLoader("vault03_email", "templates"),
    undefined=jinja2.StrictUndefined,
    autoescape=True,
)


def render_bodies(payload: EmailPayload, settings: EmailSettings) -> tuple[str, str]:
    """The text and HTML bodies; an unknown template or missing field is a permanent error."""
    context = {**payload.context, "to_name": payload.to_name, "sender_name": settings.sender_name}
    try:
        text = _text.get_template(f"{payload.template}.txt.j2").render(context)
        html = _html.get_template(f"{payload.template}.html.j2").render(context)
    except jinja2.TemplateNotFound as exc:
        raise PermanentError(f"unknown email template {payload.template!r}") from exc
    except jinja2.UndefinedError as exc:
        raise PermanentError(f"template {payload.template!r}: {exc}") from exc
    return text, html


def build_message(event: DeliveryRequested, settings: EmailSettings) -> EmailMessage:
    """A MIME message (text + HTML alternative) for one email delivery."""
    payload = event.payload
    assert isinstance(payload, EmailPayload)
    text, html = render_bodies(payload, settings)
    message = EmailMessage()
    message["From"] = formataddr((settings.sender_name, settings.sender_email))
    message["To"] = formataddr((payload.to_name or "", payload.to))
    message["Subject"] = payload.subject
    message["Message-ID"] = make_msgid(idstring=event.delivery_id, domain="vault03.local")
    message["X-Vault03-Delivery-Id"] = event.delivery_id
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
