"""A share whose code goes by post is open for the default period from the letter's expected
arrival, not from the day the letter was posted."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.api.shares.test_office import ADDRESS
from tests.support.identity import Harness
from tests.support.shares import create_share, staff, vault_with_files


def test_a_code_letter_adds_its_days_in_the_post_to_the_default_expiry(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {"a.pdf": b"%PDF"}, **ADDRESS)
    now = harness.clock.now
    by_post = create_share(harness, headers, vault_id, code_channel="postal")
    by_sms = create_share(harness, headers, vault_id, code_channel="sms")
    assert datetime.fromisoformat(by_post.body["expires_at"]) == now + timedelta(days=14 + 5)
    assert datetime.fromisoformat(by_sms.body["expires_at"]) == now + timedelta(days=14)
    asked = now + timedelta(days=3)
    chosen = create_share(
        harness, headers, vault_id, code_channel="postal", expires_at=asked.isoformat()
    )
    assert datetime.fromisoformat(chosen.body["expires_at"]) == asked  # staff's own date stands
