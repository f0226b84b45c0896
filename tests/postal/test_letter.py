from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from vault03_common.events import PostalAddress, PostalPayload
from vault03_common.runtime import PermanentError
from vault03_postal.letter import printable, render_letter
from vault03_postal.settings import PostalSettings

ADDRESS = PostalAddress(
    name="Hélène Dubois",
    line1="12 rue des Lilas",
    line2="Bât. B",
    postal_code="69003",
    city="Lyon",
    country="FR",
)
OFFICE = {"name": "Cabinet Martin", "address": ["8 quai Saint-Vincent", "69001 Lyon"]}


def page_one_text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_access_code_letter_has_address_code_and_qr_on_page_one() -> None:
    payload = PostalPayload(
        address=ADDRESS,
        template="access_code",
        context={
            "office": OFFICE,
            "access_code": "K7Q-42X-9PD",
            "vault_name": "Succession Dubois",
            "link": "https://vault.example.org/s/4f9c",
            "expires_at": "31/12/2026",
        },
    )
    pdf = render_letter(payload, PostalSettings(), today=date(2026, 12, 1))
    text = page_one_text(pdf)
    assert "Cabinet Martin\n8 quai Saint-Vincent\n69001 Lyon" in text  # the return address
    for line in ("Hélène Dubois", "12 rue des Lilas", "Bât. B", "69003 Lyon"):
        assert line in text
    assert "Access code: K7Q-42X-9PD" in text
    assert "Succession Dubois" in text
    assert "December 1, 2026" in text  # the letter's date, as its language writes it
    assert "\nFRANCE\n" in text  # the country named, on the address's last line
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert len(page.images) == 1  # the QR code of the share link


def test_notice_letter_and_missing_fields() -> None:
    pdf = render_letter(
        PostalPayload(
            address=ADDRESS,
            template="notice",
            context={"office": OFFICE, "subject": "Fermeture", "body": "Le cabinet ferme."},
        ),
        PostalSettings(),
        today=date(2026, 12, 1),
    )
    assert "Le cabinet ferme." in page_one_text(pdf)
    with pytest.raises(PermanentError, match="needs access_code"):
        render_letter(
            PostalPayload(
                address=ADDRESS,
                template="access_code",
                context={"office": OFFICE, "vault_name": "X"},
            ),
            PostalSettings(),
            today=date(2026, 12, 1),
        )
    with pytest.raises(PermanentError, match="unknown letter template"):
        render_letter(
            PostalPayload(address=ADDRESS, template="x"), PostalSettings(), today=date.today()
        )


def test_a_letter_without_the_offices_return_address_is_refused() -> None:
    payload = PostalPayload(
        address=ADDRESS, template="notice", context={"office": {"name": "X"}, "body": "Hi"}
    )
    with pytest.raises(PermanentError, match="no return address"):
        render_letter(payload, PostalSettings(), today=date(2026, 12, 1))


def test_characters_outside_latin1_do_not_break_the_letter() -> None:
    assert printable("Ōno Zażółć — é") == "Ono Zazó?c ? é"  # accents kept where Latin-1 has them
    address = ADDRESS.model_copy(update={"name": "Łukasz Wałęsa"})
    pdf = render_letter(
        PostalPayload(
            address=address, template="notice", context={"office": OFFICE, "body": "Zażółć"}
        ),
        PostalSettings(),
        today=date(2026, 12, 1),
    )
    assert "?ukasz Wa?esa" in page_one_text(pdf)


def test_a_french_letter_names_the_country_and_the_date_in_french() -> None:
    payload = PostalPayload(
        address=ADDRESS.model_copy(update={"country": "DE"}),
        template="access_code",
        context={
            "office": {**OFFICE, "time_zone": "Europe/Paris"},
            "language": "fr",
            "access_code": "K7Q-42X-9PD",
            "vault_name": "Succession Dubois",
            "expires_at": "2026-12-31T17:00:00Z",
        },
    )
    text = page_one_text(render_letter(payload, PostalSettings(), today=date(2026, 12, 1)))
    assert "\nALLEMAGNE\n" in text and "\n1 décembre 2026\n" in text
    assert "Code d'accès : K7Q-42X-9PD" in text
    assert "Ce code est valable jusqu'au 31 décembre 2026, 18:00" in text
