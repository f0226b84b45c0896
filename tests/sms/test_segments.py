from __future__ import annotations

import pytest

from vault03_sms.segments import measure


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "gsm7", 0, 0),
        ("a" * 160, "gsm7", 160, 1),
        ("a" * 161, "gsm7", 161, 2),
        ("a" * 306, "gsm7", 306, 2),
        ("a" * 307, "gsm7", 307, 3),
        ("€" * 80, "gsm7", 160, 1),  # extension characters take two septets
        ("€" * 81, "gsm7", 162, 2),
        ("Code: 123456. Café à Noel ñ ü Ä", "gsm7", 31, 1),
        ("é" * 70, "gsm7", 70, 1),  # é is in the GSM alphabet
        ("Noël", "ucs2", 4, 1),  # ë is not
        ("ê" * 70, "ucs2", 70, 1),  # ê is not: the whole text goes UCS-2
        ("ê" * 71, "ucs2", 71, 2),
        ("ê" * 134, "ucs2", 134, 2),
        ("ê" * 135, "ucs2", 135, 3),
        ("😀" * 35, "ucs2", 70, 1),  # outside the BMP: two UTF-16 units each
        ("😀" * 36, "ucs2", 72, 2),
    ],
)
def test_measure(text: str, encoding: str, units: int, segments: int) -> None:
    length = measure(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


def test_an_escape_pair_never_straddles_two_parts() -> None:
    # 152 septets, then one two-septet character: it cannot use the 153rd septet alone.
    text = "a" * 152 + "€" + "a" * 152
    assert measure(text).units == 306
    assert measure(text).segments == 3
