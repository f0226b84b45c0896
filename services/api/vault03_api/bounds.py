"""Integers clients send: bounded so no number reaches SQLite that it cannot store, and typed
as JSON Schema types them, so `"5"` and `true` are refused rather than coerced."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Query
from pydantic import BeforeValidator, Field

# The largest integer a JSON client (JavaScript's Number) holds exactly; SQLite stores up to
# 2**63 - 1, and the OpenAPI document carries bounds as floats, which keep 2**53 - 1 exact.
MAX_INTEGER = 2**53 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]
"""A row id in a route's path."""


def _json_integer(value: Any) -> Any:
    # JSON Schema's integer is 5 or 5.0; pydantic would also take "5" and true.
    if isinstance(value, bool | str | bytes):
        raise ValueError("expected an integer")
    return value


JSON_INTEGER = BeforeValidator(_json_integer)
"""Put after the bounds: `Annotated[int, Field(ge=1, le=60), JSON_INTEGER]`."""

Count = Annotated[int, Field(ge=0, le=MAX_INTEGER), JSON_INTEGER]
"""A size or a count in a request body."""


@dataclass(frozen=True)
class Window:
    """A page of a list: `limit` items from `offset` in the list's order; without a limit, the
    whole list (the console asks for one page, one more to know there is a next)."""

    limit: int | None = None
    offset: int = 0


# A plain `Depends()` on a model would build it on the thread pool: a thread hop per list.
async def _window(
    limit: Annotated[int | None, Query(ge=1, le=500)] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_INTEGER)] = 0,
) -> Window:
    return Window(limit=limit, offset=offset)


WindowDep = Annotated[Window, Depends(_window)]
"""The `limit` and `offset` query parameters of a list."""

NameQuery = Annotated[
    str | None, Query(max_length=200, description="Part of the name, in any case")
]
"""A search in names, from the query string."""

Positive = Annotated[int, Field(ge=1, le=MAX_INTEGER), JSON_INTEGER]
"""An id, a limit or a number of days in a request body."""
