"""Customers through the API: validation, E.164 numbers, search and paging, soft delete, audit."""

from __future__ import annotations

from tests.support.identity import Harness
from tests.support.vaults import new_customer, token_headers


def test_create_normalises_and_audits(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    created = new_customer(harness, staff, mobile="06 12 34 56 78", email="Ada@Example.org")
    assert created["mobile"] == "+33612345678"
    assert created["email"] == "ada@example.org"
    assert created["preferred_channel"] == "sms"
    entries = harness.audit(entity_type="customers", entity_id=str(created["id"]))
    assert [e["action"] for e in entries] == ["c"]
    assert entries[0]["changed_by"] is not None
    assert entries[0]["new_values"]["mobile"] == "+33612345678"
    # The guide's "Admin actions" query finds it.
    rows = harness.sql(
        "SELECT id FROM audit_logs WHERE changed_by IS NOT NULL "
        "AND entity_type IN ('customers', 'users') ORDER BY changed_at DESC"
    )
    assert entries[0]["id"] in [row[0] for row in rows]


def test_bad_input_is_refused_with_json(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    client = harness.client
    cases = [
        ({"name": "A", "email": "not-an-email", "mobile": "+33612345678"}, 422),
        ({"name": "A", "email": "a@example.org", "mobile": "12"}, 422),
        ({"name": "A", "email": "a@example.org", "mobile": "+1 555 0000"}, 422),
        ({"name": "A", "email": "a@example.org", "preferred_channel": "sms"}, 422),  # no number
        ({"name": "A", "email": "a@example.org", "preferred_channel": "postal"}, 422),
        ({"name": "", "email": "a@example.org", "preferred_channel": "email"}, 422),
    ]
    for body, code in cases:
        response = client.post("/api/customers", json=body, headers=staff)
        assert response.status_code == code, (body, response.text)
        assert response.json()["error"]
    assert harness.sql("SELECT count(*) FROM customers")[0][0] == 0


def test_without_a_mobile_the_code_channel_defaults_to_one_that_reaches_the_customer(
    harness: Harness,
) -> None:
    staff = token_headers(harness, "staff")
    by_email = new_customer(harness, staff, mobile=None)
    assert by_email["preferred_channel"] == "email" and by_email["mobile"] is None
    address = {"address_line1": "1 rue de la Paix", "postal_code": "75002", "city": "Paris"}
    by_post = new_customer(harness, staff, mobile=None, email="b@example.org", **address)
    assert by_post["preferred_channel"] == "postal"
    asked = new_customer(
        harness, staff, mobile=None, email="c@example.org", preferred_channel="email"
    )
    assert asked["preferred_channel"] == "email"


def test_a_likely_duplicate_is_created_and_reported(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    first = new_customer(harness, staff, email="ada@example.org", mobile="+33612345678")
    assert first["duplicates"] == []
    same_email = new_customer(harness, staff, email="ADA@example.org", mobile=None)
    assert same_email["duplicates"] == [
        {"id": first["id"], "name": "Ada Lovelace", "matched_on": ["email"]}
    ]
    both = new_customer(harness, staff, email="ada@example.org", mobile="06 12 34 56 78")
    assert both["duplicates"] == [
        {"id": first["id"], "name": "Ada Lovelace", "matched_on": ["email", "mobile"]},
        {"id": same_email["id"], "name": "Ada Lovelace", "matched_on": ["email"]},
    ]
    deleted = harness.client.delete(f"/api/customers/{first['id']}", headers=staff)
    assert deleted.is_success
    again = new_customer(harness, staff, email="other@example.org", mobile="+33612345678")
    assert [d["id"] for d in again["duplicates"]] == [both["id"]]  # not the deleted one
    assert harness.sql("SELECT count(*) FROM customers")[0][0] == 4


def test_postal_channel_needs_an_address(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    created = new_customer(
        harness,
        staff,
        preferred_channel="postal",
        address_line1="1 rue de la Paix",
        postal_code="75002",
        city="Paris",
        country="fr",
    )
    assert created["country"] == "FR"
    response = harness.client.patch(
        f"/api/customers/{created['id']}", json={"city": None}, headers=staff
    )
    assert response.status_code == 422


def test_update_search_page_and_soft_delete(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    client = harness.client
    ids = [
        new_customer(harness, staff, name=f"Customer {n:02d}", email=f"c{n}@example.org")["id"]
        for n in range(12)
    ]
    other = new_customer(harness, staff, name="Zoe Martin", email="zoe@example.org")
    page = client.get("/api/customers?limit=5&offset=5", headers=staff).json()
    assert page["total"] == 13
    assert [c["name"] for c in page["items"]] == [f"Customer {n:02d}" for n in range(5, 10)]
    found = client.get("/api/customers?q=zoe", headers=staff).json()
    assert [c["id"] for c in found["items"]] == [other["id"]]
    by_number = client.get("/api/customers?q=612345678", headers=staff).json()
    assert by_number["total"] == 13

    response = client.patch(
        f"/api/customers/{ids[0]}", json={"mobile": "+44 7911 123456"}, headers=staff
    )
    assert response.status_code == 200
    assert response.json()["mobile"] == "+447911123456"
    update = harness.audit(entity_type="customers", entity_id=str(ids[0]), action="u")
    assert update[-1]["old_values"] == {"mobile": "+33612345678"}
    assert update[-1]["new_values"] == {"mobile": "+447911123456"}

    assert client.delete(f"/api/customers/{ids[0]}", headers=staff).status_code == 204
    assert client.get(f"/api/customers/{ids[0]}", headers=staff).status_code == 404
    assert client.get("/api/customers", headers=staff).json()["total"] == 12
    listed = client.get("/api/customers?include_deleted=true", headers=staff).json()
    assert listed["total"] == 13
    deleted = harness.audit(entity_type="customers", entity_id=str(ids[0]), action="u")[-1]
    assert deleted["new_values"]["deleted_at"] is not None


def test_roles(harness: Harness) -> None:
    staff = token_headers(harness, "staff")
    auditor = token_headers(harness, "auditor")
    created = new_customer(harness, staff)
    client = harness.client
    assert client.get(f"/api/customers/{created['id']}", headers=auditor).status_code == 200
    assert client.get("/api/customers", headers=auditor).status_code == 200
    body = {"name": "X", "email": "x@example.org", "preferred_channel": "email"}
    assert client.post("/api/customers", json=body, headers=auditor).status_code == 403
    assert client.delete(f"/api/customers/{created['id']}", headers=auditor).status_code == 403
    assert client.get("/api/customers").status_code == 401
