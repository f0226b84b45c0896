"""SMS length: GSM 03.38 (7-bit) or UCS-2 encoding, and how many segments a text takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# GSM 03.38 default alphabet (one septet each), without the escape character itself.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: escape + character, two septets each.
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153  # a concatenated part loses 7 septets to its header
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SmsLength:
    encoding: Literal["gsm7", "ucs2"]
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def is_gsm7(text: str) -> bool:
    """True when every character exists in the GSM 7-bit alphabet (basic or extension)."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in text)


def _pack(sizes: list[int], *, single: int, part: int) -> int:
    """Segments needed for characters of the given sizes; a character never straddles two."""
    total = sum(sizes)
    if total <= single:
        return 1 if total else 0
    segments, used = 1, 0
    for size in sizes:
        if used + size > part:
            segments += 1
            used = 0
        used += size
    return segments


def measure(text: str) -> SmsLength:
    """Encoding, length in units and number of segments of `text`."""
    if is_gsm7(text):
        sizes = [2 if char in GSM7_EXTENDED else 1 for char in text]
        return SmsLength("gsm7", sum(sizes), _pack(sizes, single=GSM7_SINGLE, part=GSM7_PART))
    sizes = [2 if ord(char) > 0xFFFF else 1 for char in text]  # surrogate pairs
    return SmsLength("ucs2", sum(sizes), _pack(sizes, single=UCS2_SINGLE, part=UCS2_PART))
