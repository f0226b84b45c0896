"""Text that clients send and that is shown again in pages, emails, SMS and letters: names
and lines may hold no control characters (a newline in a vault name broke the share email's
subject) and no invisible direction controls (U+202E between "invoice" and "fdp.exe" shows
"invoiceexe.pdf"). Refused at input with a 422 naming the field."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

# Controls (C0, DEL, C1), the Arabic letter mark, left-to-right and right-to-left marks, line
# and paragraph separators, bidi embeddings, overrides and isolates, the byte order mark.
_INVISIBLE = r"\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff"
_LINE_PATTERN = rf"^[^\u0000-\u001f{_INVISIBLE}]*$"
# Multi-line text (notes, descriptions) may also hold tabs and line breaks.
_TEXT_PATTERN = rf"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f{_INVISIBLE}]*$"
_LINE = re.compile(_LINE_PATTERN.strip("^$"))
_TEXT = re.compile(_TEXT_PATTERN.strip("^$"))


def _refusing(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            bad = next(c for c in value if not pattern.fullmatch(c))
            raise ValueError(f"{what} may not hold U+{ord(bad):04X} (a control or direction mark)")
        return value

    return check


@dataclass(frozen=True)
class _Documented:
    """Puts the rule in the OpenAPI document as a `pattern` (the validator words the error)."""

    pattern: str

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = self.pattern
        return schema


check_line = _refusing(_LINE, "a name or line")
"""`value` if it may be a `Line` (for input that no schema checks, such as a command's
option); ValueError naming the character otherwise."""

Line = Annotated[str, AfterValidator(check_line), _Documented(_LINE_PATTERN)]
"""One line of text: a name, an address line, a city."""

Text = Annotated[str, AfterValidator(_refusing(_TEXT, "this text")), _Documented(_TEXT_PATTERN)]
"""Text that may run over several lines: a note, a description, a message."""
