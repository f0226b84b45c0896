"""File names are cleaned before they are stored or offered back."""

from __future__ import annotations

import pytest

from vault03_api.vaults.exceptions import BadUpload
from vault03_api.vaults.service import sanitise_filename


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ada\\tax.xlsx", "tax.xlsx"),
        ("bell\x07and\x00nul.txt", "bell_and_nul.txt"),
        ('a<b>c:d"e|f?g*h.txt', "a_b_c_d_e_f_g_h.txt"),
        ("  ..hidden  ", "hidden"),
        ("multiple   spaces\tand\ttabs.doc", "multiple spaces and tabs.doc"),
        ("Cafe\u0301.txt", "Caf\u00e9.txt"),
        # Bidi controls would show "invoice\u202efdp.exe" as "invoiceexe.pdf".
        ("invoice\u202efdp.exe", "invoice_fdp.exe"),
        ("a\u2066b\u2069c\u200fd\u061ce.txt", "a_b_c_d_e.txt"),
        ("zero\u200bwidth\ufeff.txt", "zero_width_.txt"),
    ],
)
def test_cleaned(raw: str, clean: str) -> None:
    assert sanitise_filename(raw) == clean


def test_long_names_keep_their_extension() -> None:
    name = sanitise_filename("é" * 300 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode()) <= 255


@pytest.mark.parametrize("raw", ["", "...", "dir/", "  "])
def test_empty_names_are_refused(raw: str) -> None:
    with pytest.raises(BadUpload):
        sanitise_filename(raw)
