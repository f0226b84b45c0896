"""The download limit counts bytes as well as requests: ranges cannot get more than the
limit's number of copies of a file."""

from __future__ import annotations

import os

from tests.support.identity import Harness
from tests.support.shares import create_share, enter_code, staff, vault_with_files

DATA = os.urandom(10_000)


def signed_in_share(harness: Harness, **fields: object):  # type: ignore[no-untyped-def]
    headers = staff(harness)
    vault_id, ids = vault_with_files(harness, headers, {"report.pdf": DATA})
    shared = create_share(harness, headers, vault_id, **fields)
    browser = harness.new_client()
    assert enter_code(browser, shared).status_code == 303
    return headers, shared, browser, f"{shared.path}/files/{ids['report.pdf']}"


def test_ranges_after_the_last_allowed_download_are_refused(harness: Harness) -> None:
    headers, shared, browser, url = signed_in_share(
        harness, max_downloads=1, permissions=["download", "upload"]
    )
    assert browser.get(url).content == DATA
    for _ in range(3):
        again = browser.get(url, headers={"Range": "bytes=1-"})
        assert again.status_code == 403 and "download limit" in again.text
    body = harness.client.get(f"/api/shares/{shared.id}", headers=headers).json()
    assert body["download_count"] == 1


def test_a_download_in_parts_counts_once_and_no_more_bytes_than_allowed_leave(
    harness: Harness,
) -> None:
    headers, shared, browser, url = signed_in_share(
        harness, max_downloads=2, permissions=["download", "upload"]
    )
    received = 0
    answers = []
    for start in range(0, 4 * len(DATA), 2_500):  # four copies' worth in quarters, asked
        first = start % len(DATA)
        answer = browser.get(url, headers={"Range": f"bytes={first}-{first + 2_499}"})
        answers.append(answer.status_code)
        if answer.status_code == 206:
            assert answer.content == DATA[first : first + 2_500]
            received += len(answer.content)
    assert answers == [206] * 8 + [403] * 8
    assert received == 2 * len(DATA)
    body = harness.client.get(f"/api/shares/{shared.id}", headers=headers).json()
    assert body["download_count"] == 2
