"""A4 letters as PDF: the address where a window envelope shows it, the text, code and QR.

A letter renders the message its payload carries (`vault03_common.messages`): the `notice`
template reads `Notice`, `access_code` reads `AccessCode` (its link, if any, is printed as a
QR code). It is written in the message's language (the gettext catalogues of
`vault03_common.i18n`), its date and times as that language writes them and the country of the
address named in it.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from datetime import date

import segno
from fpdf import FPDF

from vault03_common import i18n
from vault03_common.events import SCHEMA_VERSION, Channel, PostalPayload
from vault03_common.messages import (
    AccessCode,
    ByPerson,
    Notice,
    UnreadableMessage,
    read_message,
    templates,
)
from vault03_common.runtime import PermanentError
from vault03_postal.settings import PostalSettings

# Window of a right-window C5/DL envelope (NF EN ISO 269 / La Poste): left edge and top.
ADDRESS_X_MM = 110
ADDRESS_Y_MM = 50
ADDRESS_WIDTH_MM = 85


@dataclass(frozen=True)
class LetterContent:
    sender: list[str]
    subject: str | None
    paragraphs: list[str]
    language: str
    access_code_label: str = ""
    access_code: str | None = None
    link: str | None = None


_TEMPLATES = templates(Channel.POSTAL)


def letter_content(
    payload: PostalPayload, *, schema_version: int = SCHEMA_VERSION
) -> LetterContent:
    """What the letter says, from the message its payload carries."""
    model = _TEMPLATES.get(payload.template)
    if model is None:
        raise PermanentError(f"unknown letter template {payload.template!r}")
    try:
        message = read_message(
            model, payload.context, template=payload.template, schema_version=schema_version
        )
    except UnreadableMessage as exc:
        raise PermanentError(str(exc)) from exc
    assert isinstance(message, ByPerson)  # every letter kind names its office
    if not message.office.address:
        raise PermanentError("the letter carries no return address (the API's office_address)")
    sender = [message.office.name, *message.office.address]
    _ = message.gettext
    match message:
        case Notice():
            return LetterContent(sender, message.subject, [message.body], message.language)
        case AccessCode():
            values = {"office": message.office.name, "vault": message.vault_name}
            opening = (
                _("%(office)s asks you to send documents into the vault “%(vault)s”.", **values)
                if message.file_request
                else _("Documents have been shared with you in the vault “%(vault)s”.", **values)
            )
            paragraphs = [
                opening
                + " "
                + _(
                    "You received the link separately; this letter carries the access code "
                    "that opens it."
                ),
                _("Keep this code private: our staff will never ask you for it."),
                _("Questions? Contact %(contact)s.", contact=message.office.contact()),
            ]
            if message.expires_at:
                paragraphs.append(
                    _("The code is valid until %(when)s.", when=message.when(message.expires_at))
                )
            if message.link:
                paragraphs.append(
                    _("You can also scan the QR code below to open the shared documents.")
                )
            return LetterContent(
                sender,
                _("Your access code"),
                paragraphs,
                message.language,
                access_code_label=_("Access code: %(code)s", code=message.access_code),
                access_code=message.access_code,
                link=message.link,
            )
    raise PermanentError(f"no letter layout for template {payload.template!r}")


def printable(text: str) -> str:
    """Text the PDF core fonts can draw (Latin-1): other characters lose accents, or become ?."""
    try:
        text.encode("latin-1")
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
            out.append(base or "?")
    return "".join(out)


def render_letter(
    payload: PostalPayload,
    settings: PostalSettings,
    *,
    today: date,
    schema_version: int = SCHEMA_VERSION,
) -> bytes:
    """The letter's PDF bytes."""
    content = letter_content(payload, schema_version=schema_version)
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    pdf.set_xy(20, 20)
    pdf.multi_cell(80, 5, printable("\n".join(content.sender)))
    pdf.set_font("helvetica", size=11)
    pdf.set_xy(ADDRESS_X_MM, ADDRESS_Y_MM)
    address = payload.address.lines(language=content.language)
    pdf.multi_cell(ADDRESS_WIDTH_MM, 5.5, printable("\n".join(address)))
    pdf.set_xy(20, 100)
    pdf.cell(
        0, 6, printable(i18n.day(today, language=content.language)), new_x="LMARGIN", new_y="NEXT"
    )
    if content.subject:
        pdf.set_font("helvetica", style="B", size=12)
        pdf.set_x(20)
        pdf.multi_cell(170, 7, printable(content.subject), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=11)
    for paragraph in content.paragraphs:
        pdf.set_x(20)
        pdf.multi_cell(170, 6, printable(paragraph), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    if content.access_code:
        pdf.ln(4)
        pdf.set_font("courier", style="B", size=16)
        pdf.set_x(20)
        pdf.cell(0, 10, printable(content.access_code_label), new_x="LMARGIN", new_y="NEXT")
    if content.link:
        qr = io.BytesIO()
        segno.make(content.link, error="m").save(qr, kind="png", scale=6, border=2)
        qr.seek(0)
        pdf.image(qr, x=20, y=pdf.get_y() + 4, w=40, h=40)
    return bytes(pdf.output())
