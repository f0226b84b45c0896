"""A4 letters as PDF: the address where a window envelope shows it, the text, an optional QR."""

from __future__ import annotations

import io
from datetime import date

import segno
from fpdf import FPDF

from vault03_common.events import PostalAddress, PostalPayload
from vault03_postal.settings import PostalSettings

# Window of a right-window C5/DL envelope (NF EN ISO 269 / La Poste): left edge and top.
ADDRESS_X_MM = 110
ADDRESS_Y_MM = 50
ADDRESS_WIDTH_MM = 85


def address_lines(address: PostalAddress) -> list[str]:
    lines = [address.name, address.line1]
    if address.line2:
        lines.append(address.line2)
    lines.append(f"{address.postal_code} {address.city}".strip())
    lines.append(address.country)
    return lines


def render_letter(payload: PostalPayload, settings: PostalSettings, *, today: date) -> bytes:
    """The letter's PDF bytes."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    pdf.set_xy(20, 20)
    pdf.multi_cell(80, 5, "\n".join(filter(None, [settings.sender_name, settings.sender_address])))
    pdf.set_font("helvetica", size=11)
    pdf.set_xy(ADDRESS_X_MM, ADDRESS_Y_MM)
    pdf.multi_cell(ADDRESS_WIDTH_MM, 5.5, "\n".join(address_lines(payload.address)))
    pdf.set_xy(20, 100)
    pdf.cell(0, 6, today.isoformat(), new_x="LMARGIN", new_y="NEXT")
    context = payload.context
    if subject := context.get("subject"):
        pdf.set_font("helvetica", style="B", size=12)
        pdf.set_x(20)
        pdf.multi_cell(170, 7, str(subject), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=11)
    pdf.set_x(20)
    pdf.multi_cell(170, 6, str(context.get("body", "")), new_x="LMARGIN", new_y="NEXT")
    if code := context.get("access_code"):
        pdf.ln(4)
        pdf.set_font("courier", style="B", size=16)
        pdf.set_x(20)
        pdf.cell(0, 10, f"Access code: {code}", new_x="LMARGIN", new_y="NEXT")
    if link := context.get("link"):
        qr = io.BytesIO()
        segno.make(str(link), error="m").save(qr, kind="png", scale=6, border=2)
        qr.seek(0)
        pdf.image(qr, x=20, y=pdf.get_y() + 4, w=40, h=40)
    return bytes(pdf.output())
