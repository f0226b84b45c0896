"""Integer bounds for what clients send, so no number reaches SQLite that it cannot store."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

# The largest integer a JSON client (JavaScript's Number) holds exactly; SQLite stores up to
# 2**63 - 1, and the OpenAPI document carries bounds as floats, which keep 2**53 - 1 exact.
MAX_INTEGER = 2**53 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]
"""A row id in a route's path."""
