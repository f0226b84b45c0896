"""Sizes in messages read as the console shows them (ui/src/format.test.ts's cases)."""

from __future__ import annotations

import pytest

from tests.support.identity import make_settings
from vault03_api.shown import console_url, shown_size


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (1023, "1023 bytes"),
        (1536, "1.5 KB"),
        (48213, "47.1 KB"),
        (200 * 1024 * 1024, "200 MB"),
        (200_000_000, "191 MB"),
        (int(100.5 * 1024), "101 KB"),  # half up, as Math.round
        (5 * 1024**3, "5 GB"),
        (3 * 1024**5, "3072 TB"),
    ],
)
def test_sizes_in_human_units(size: int, shown: str) -> None:
    assert shown_size(size) == shown


def test_console_links_name_the_route_in_the_fragment(tmp_path: object) -> None:
    settings = make_settings(tmp_path, public_url="https://vault.example.org/")  # type: ignore[arg-type]
    assert console_url(settings, "/shares/7") == "https://vault.example.org/#/shares/7"


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", ["1.5 KB", "5 GB", "7 bytes"]), ("fr", ["1,5 Ko", "5 Go", "7 octets"])],
)
def test_sizes_in_the_readers_language(language: str, shown: list[str]) -> None:
    # As Windows writes them in that language: French offices read octets, Ko, Mo, Go.
    sizes = [1536, 5 * 1024**3, 7]
    assert [shown_size(size, language=language) for size in sizes] == shown
