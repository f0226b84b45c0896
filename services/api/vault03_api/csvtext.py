"""CSV exports streamed as they are read: the header, then one piece of text per batch.

Cells come from outside (a failed login's User-Agent, a recipient's file name): a text cell
that a spreadsheet would read as a formula gets a leading apostrophe (OWASP's advice), so
opening an export in Excel or LibreOffice never runs what an attacker typed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

# Rows read per transaction by the exports (keyset pages, newest first).
BATCH_ROWS = 500

# First characters that make a spreadsheet evaluate a cell (tab and CR per OWASP too).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value`, with an apostrophe in front when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], batches: Iterable[list[list[Any]]]) -> Iterator[str]:
    """CSV text of `header` and then of each batch of rows, a piece as each batch arrives."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([safe_cell(name) for name in header])
    yield flush()
    for rows in batches:
        writer.writerows([safe_cell(value) for value in row] for row in rows)
        yield flush()
