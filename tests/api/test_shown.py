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
        (1536, "1.5 KiB"),
        (48213, "47.1 KiB"),
        (200 * 1024 * 1024, "200 MiB"),
        (200_000_000, "191 MiB"),
        (int(100.5 * 1024), "101 KiB"),  # half up, as Math.round
        (5 * 1024**3, "5 GiB"),
        (3 * 1024**5, "3072 TiB"),
    ],
)
def test_sizes_in_human_units(size: int, shown: str) -> None:
    assert shown_size(size) == shown


def test_console_links_name_the_route_in_the_fragment(tmp_path: object) -> None:
    settings = make_settings(tmp_path, public_url="https://vault.example.org/")  # type: ignore[arg-type]
    assert console_url(settings, "/shares/7") == "https://vault.example.org/#/shares/7"
