from __future__ import annotations

from typing import Any

import pytest

from vault03_common.events import DeliveryRequested, EmailPayload
from vault03_common.runtime import PermanentError
from vault03_email.render import TEMPLATES, render_email
from vault03_email.settings import EmailSettings

OFFICE = {"name": "Cabinet Dupont", "email": "contact@cabinet-dupont.example"}
# Times as text, as deliveries queued before languages carry them: shown as they are.
FIELDS: dict[str, dict[str, Any]] = {
    "notice": {"body": "The office is closed on Friday."},
    "share_link": {
        "link": "https://vault.example.org/s/abc",
        "vault_name": "Tax 2025",
        "code_channel": "sms",
        "expires_at": "2026-12-31 18:00",
    },
    "access_code": {"access_code": "483 921", "vault_name": "Tax 2025"},
    "share_reminder": {
        "vault_name": "Tax 2025",
        "link_sent_at": "2026-12-01 09:14",
        "link_subject": "Documents shared with you: Tax 2025",
        "code_channel": "sms",
        "expires_at": "2026-12-31 18:00",
    },
    "share_expiry_warning": {
        "vault_name": "Tax 2025",
        "recipient_name": "Ana Lima",
        "expires_at": "2026-12-31 18:00",
        "console_url": "https://vault.example.org/#/shares/7",
    },
    "staff_invitation": {
        "link": "https://vault.example.org/invite/xyz",
        "inviter_name": "Claire Martin",
        "role": "staff",
        "expires_at": "2026-12-03 09:00",
    },
    "password_reset": {"link": "https://vault.example.org/reset/q", "expires_at": "10:30"},
    "maintenance_notice": {"starts_at": "Sat 22:00", "ends_at": "Sun 02:00"},
    "service_restored": {"restored_at": "Sun 01:40"},
    "security_alert": {"event": "New sign-in", "occurred_at": "2026-11-30 08:12"},
}
SAMPLES = {name: {"office": OFFICE} | fields for name, fields in FIELDS.items()}


def event(template: str, context: dict[str, Any], to_name: str | None = "Ana") -> DeliveryRequested:
    payload = EmailPayload(
        to="ana@example.org", to_name=to_name, template=template, subject="S", context=context
    )
    return DeliveryRequested(delivery_id="d-1", kind=template, payload=payload)


def test_every_template_has_a_sample() -> None:
    assert set(SAMPLES) == set(TEMPLATES)


@pytest.mark.parametrize("template", sorted(SAMPLES))
def test_each_template_renders_its_fields_in_text_and_html(template: str) -> None:
    email = render_email(event(template, SAMPLES[template]), EmailSettings())
    for value in FIELDS[template].values():
        if value in ("sms",):
            continue
        assert str(value) in email.text
        assert str(value) in email.html
    assert email.text.startswith("Hello Ana,\n\n") and "\n\n\n" not in email.text
    assert "Cabinet Dupont" in email.text and email.sender_name == "Cabinet Dupont"
    assert "contact@cabinet-dupont.example" in email.text
    assert email.html.lstrip().startswith("<!doctype html>")


@pytest.mark.parametrize("template", sorted(name for name in SAMPLES if TEMPLATES[name].required))
def test_a_missing_required_field_is_a_permanent_error(template: str) -> None:
    context = dict(SAMPLES[template])
    missing = TEMPLATES[template].required[0]
    del context[missing]
    with pytest.raises(PermanentError, match=missing):
        render_email(event(template, context), EmailSettings())


def test_html_escapes_values_and_text_keeps_them() -> None:
    context = SAMPLES["share_link"] | {"vault_name": "<script>alert(1)</script> & Co"}
    email = render_email(event("share_link", context), EmailSettings())
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in email.html
    assert "<script>alert(1)</script> & Co" in email.text


def test_share_link_says_how_the_code_travels() -> None:
    email = render_email(event("share_link", SAMPLES["share_link"]), EmailSettings())
    assert "by text message" in email.text
    bad = SAMPLES["share_link"] | {"code_channel": "pigeon"}
    with pytest.raises(PermanentError, match="code_channel"):
        render_email(event("share_link", bad), EmailSettings())


def test_unknown_template_is_permanent() -> None:
    with pytest.raises(PermanentError, match="unknown email template"):
        render_email(event("nope", {}), EmailSettings())


def test_greeting_without_a_name_and_mime_form() -> None:
    email = render_email(event("notice", SAMPLES["notice"], to_name=None), EmailSettings())
    assert email.text.startswith("Hello,\n")
    mime = email.mime()
    assert mime["X-Vault03-Delivery-Id"] == "d-1"
    assert mime.get_body(("plain",)).get_content().startswith("Hello,")
