"""How pages and messages to people show sizes and console places, as the console does."""

from __future__ import annotations

from vault03_api.settings import ApiSettings
from vault03_common import i18n


def shown_size(size: int, *, language: str = i18n.SOURCE_LANGUAGE) -> str:
    """1536 -> "1.5 KB", 200000000 -> "191 MB": binary multiples named KB/MB/GB, as Windows
    Explorer names them on the office's PCs; the one convention of the portal, the messages and
    the console (ui/src/format.ts); French reads Ko/Mo/Go, as French Windows writes them."""
    words = i18n.translations(language)
    if size < 1024:
        return (
            words.gettext("1 byte")
            if size == 1
            else words.gettext("%(size)s bytes") % {"size": size}
        )
    units = (words.gettext("KB"), words.gettext("MB"), words.gettext("GB"), words.gettext("TB"))
    value = float(size)
    unit = -1
    while value >= 1024 and unit < len(units) - 1:
        value /= 1024
        unit += 1
    # Half up, like the console's Math.round (Python's round() goes to the even neighbour).
    shown = str(int(value + 0.5)) if value >= 100 else f"{value:.1f}".removesuffix(".0")
    return f"{shown.replace('.', i18n.decimal_symbol(language))} {units[unit]}"


def console_url(settings: ApiSettings, route: str) -> str:
    """The console's page for `route` ("/shares/7"): its routes live in the URL's fragment."""
    return f"{settings.public_url.rstrip('/')}/#{route}"
