"""Names and lines that clients send are refused at input, with a 422 naming the field, when
they hold control characters or direction marks; text over several lines keeps its breaks."""

from __future__ import annotations

import pytest

from tests.support.identity import Harness
from tests.support.vaults import new_customer, new_vault, token_headers
from vault03_api.text import check_line

BAD = ["Tax\n2026", "Ada\rBcc: x", "evil\u202efdp.exe", "nul\x00", "bell\x07", "c1\x85", "\u2028"]


def refused_field(response: object) -> list[object]:
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["error"] == "invalid request"
    assert "control or direction mark" in str(body["detail"])
    return [item["loc"][-1] for item in body["detail"]]


@pytest.mark.parametrize("bad", BAD)
def test_customer_and_vault_names_are_refused(harness: Harness, bad: str) -> None:
    staff = token_headers(harness, "staff")
    body = {"name": bad, "email": "ada@example.org", "city": "Paris"}
    assert refused_field(harness.client.post("/api/customers", json=body, headers=staff)) == [
        "name"
    ]
    customer = new_customer(harness, staff)
    vault = harness.client.post(
        f"/api/customers/{customer['id']}/vaults", json={"name": bad}, headers=staff
    )
    assert refused_field(vault) == ["name"]
    patched = harness.client.patch(
        f"/api/customers/{customer['id']}", json={"city": bad}, headers=staff
    )
    assert refused_field(patched) == ["city"]


def test_share_recipient_user_and_token_names_are_refused(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    vault_id = new_vault(harness, staff)
    recipient = {"name": "Bob\nSmith", "email": "bob@example.org"}
    share = harness.client.post(
        f"/api/vaults/{vault_id}/shares", json={"recipient": recipient}, headers=staff
    )
    assert refused_field(share) == ["name"]
    admin = token_headers(harness, "admin")
    invite = harness.client.post(
        "/api/users", json={"email": "new@example.org", "name": "Eve\u202e"}, headers=admin
    )
    assert refused_field(invite) == ["name"]


def test_notes_keep_their_line_breaks_but_not_other_controls(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    vault_id = new_vault(harness, staff)
    kept = harness.client.patch(
        f"/api/vaults/{vault_id}", json={"description": "line 1\nline 2\tend"}, headers=staff
    )
    assert kept.status_code == 200 and kept.json()["description"] == "line 1\nline 2\tend"
    refused = harness.client.patch(
        f"/api/vaults/{vault_id}", json={"description": "x\x1b[31m"}, headers=staff
    )
    assert refused_field(refused) == ["description"]


def test_ordinary_names_in_any_script_pass() -> None:
    for name in ["Zoë Ünal-Ωmega", "李小龍", "محمد", "O'Brien & Sons, Ltd."]:
        assert check_line(name) == name
