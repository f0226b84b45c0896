"""CSV exports streamed as they are read: the header, then one piece of text per batch."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

# Rows read per transaction by the exports (keyset pages, newest first).
BATCH_ROWS = 500


def csv_text(header: Sequence[str], batches: Iterable[list[list[Any]]]) -> Iterator[str]:
    """CSV text of `header` and then of each batch of rows, a piece as each batch arrives."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(header)
    yield flush()
    for rows in batches:
        writer.writerows(rows)
        yield flush()
