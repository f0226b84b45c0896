"""Languages: the gettext catalogues every message and portal page is translated through.

English is the source language (the msgids); each other language has a Babel catalogue,
`locale/<language>/LC_MESSAGES/vault03.po`, committed and compiled in memory on first use, so
every install (editable, wheel, image) carries what it needs without a build step. A fuzzy or
empty translation is left out (the English text shows instead), and a test fails on either.
Dates and times are shown in the office's time zone, written as the language writes them.
"""

from __future__ import annotations

import functools
import gettext
import io
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format, get_timezone_name
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, get_decimal_symbol
from babel.support import Translations
from pydantic import AfterValidator

Language = Literal["en", "fr", "de"]
"""The languages messages and portal pages are written in."""

LANGUAGES: tuple[Language, ...] = get_args(Language)
SOURCE_LANGUAGE: Language = "en"
DOMAIN = "vault03"
LOCALE_DIR = Path(__file__).parent / "locale"


def _known_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}: use an IANA name") from exc
    return value


TimeZone = Annotated[str, AfterValidator(_known_time_zone)]
"""An IANA time zone name ("Europe/Paris"), refused when this machine does not know it."""


def catalogue_path(language: str) -> Path:
    """The .po file of one language (there is none for the source language)."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def N_(message: str) -> str:
    """Marks a text for the catalogues where it is defined; it is translated where it is shown
    (into the language of the page or message that shows it)."""
    return message


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The translations of one language; the source language translates nothing."""
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}: use one of {', '.join(LANGUAGES)}")
    with catalogue_path(language).open("rb") as po:
        catalogue = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)  # fuzzy entries are left out
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def moment(value: datetime, *, language: str, time_zone: str) -> str:
    """A moment as people of `language` write it, in the office's time zone, zone named."""
    local = value.astimezone(ZoneInfo(time_zone))
    day = format_date(local, "long", locale=language)
    hour = format_time(local, "short", locale=language)
    zone = get_timezone_name(local, width="short", locale=language)
    if zone[:1] in "+-" or zone.startswith("GMT"):
        # The language has no short name for the zone (CLDR falls back to an offset): the
        # zone's own abbreviation (CET, CEST) reads better than "+0100".
        zone = local.tzname() or zone
    joined = str(get_datetime_format("long", locale=language)).replace("'", "")
    return f"{joined.format(hour, day)} {zone}"


def day(value: date, *, language: str) -> str:
    """A date as people of `language` write it (a letter's date)."""
    return format_date(value, "long", locale=language)


def decimal(value: float, *, language: str) -> str:
    """A number as people of `language` write it (1.5, 1,5)."""
    return format_decimal(value, locale=language)


def decimal_symbol(language: str) -> str:
    """What `language` writes between a number's units and its decimals (. or ,)."""
    return str(get_decimal_symbol(locale=language))


def country_name(code: str, *, language: str) -> str:
    """The name of an ISO 3166-1 alpha-2 country in `language` (the code when unknown)."""
    return str(Locale.parse(language).territories.get(code.upper(), code))


def known_country(code: str) -> bool:
    """Whether `code` is an ISO 3166-1 alpha-2 country or territory code."""
    upper = code.upper()
    return len(upper) == 2 and upper != "ZZ" and upper in Locale.parse(SOURCE_LANGUAGE).territories


def language_name(language: str) -> str:
    """A language's own name for itself (Français, Deutsch): what a chooser shows."""
    name = str(Locale.parse(language).get_display_name(language) or language)
    return name[:1].upper() + name[1:]
