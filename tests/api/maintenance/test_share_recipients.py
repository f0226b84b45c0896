"""Maintenance notices reach the recipients of shares whose links still work, once each."""

from __future__ import annotations

from tests.support.identity import Harness, fake_clock, harness
from tests.support.shares import create_share, staff, vault_with_files
from vault03_api.maintenance.recipients import active_share_recipients

__all__ = ["fake_clock", "harness"]


def test_only_recipients_of_working_links_are_notified(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {"a.pdf": b"%PDF-1.7 a"})
    create_share(harness, headers, vault_id)  # to the vault's customer, ada@example.org
    third = {"name": "Maître Dubois", "email": "notaire@example.org", "mobile": "+33611223344"}
    revoked = create_share(harness, headers, vault_id, recipient=third)
    response = harness.client.post(f"/api/shares/{revoked.id}/revoke", headers=headers)
    assert response.status_code == 200, response.text
    with harness.db() as session:
        now = harness.clock.now
        assert [r.email for r in active_share_recipients(session, now=now)] == ["ada@example.org"]
        harness.clock.advance(days=400)  # past every expiry
        assert active_share_recipients(session, now=harness.clock.now) == []
