"""How pages and messages to people show sizes and console places, as the console does."""

from __future__ import annotations

from vault03_api.settings import ApiSettings
from vault03_common import i18n

_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB")


def shown_size(size: int, *, language: str = i18n.SOURCE_LANGUAGE) -> str:
    """1536 -> "1.5 KiB", 200000000 -> "191 MiB": binary multiples named as such (the upload
    limit's settings say 5 GiB), the one convention of the portal, the messages and the
    console (ui/src/format.ts)."""
    if size < 1024:
        words = i18n.translations(language)
        return (
            words.gettext("1 byte")
            if size == 1
            else words.gettext("%(size)s bytes") % {"size": size}
        )
    value = float(size)
    unit = 0
    while value >= 1024 and unit < len(_UNITS) - 1:
        value /= 1024
        unit += 1
    # Half up, like the console's Math.round (Python's round() goes to the even neighbour).
    shown = str(int(value + 0.5)) if value >= 100 else f"{value:.1f}".removesuffix(".0")
    return f"{shown.replace('.', i18n.decimal_symbol(language))} {_UNITS[unit]}"


def console_url(settings: ApiSettings, route: str) -> str:
    """The console's page for `route` ("/shares/7"): its routes live in the URL's fragment."""
    return f"{settings.public_url.rstrip('/')}/#{route}"
