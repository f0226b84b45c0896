"""Lists the console pages through: a window of files, vaults and shares in their order, and
a search in names (any case, wildcards taken literally); bad windows refused in words."""

from __future__ import annotations

from tests.support.identity import Harness
from tests.support.shares import create_share, staff, vault_with_files

NAMES = ["b_50%.pdf", "Alpha.pdf", "alpha-2.txt", "b-50.pdf", "c.pdf", "delta.pdf"]


def test_files_by_window_and_name(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {name: b"x" for name in NAMES})

    def names(**query: object) -> list[str]:
        response = harness.client.get(
            f"/api/vaults/{vault_id}/files", params=query, headers=headers
        )
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()]

    everything = names()
    assert len(everything) == len(NAMES)
    assert names(limit=2) == everything[:2]
    assert names(limit=2, offset=2) + names(limit=10, offset=4) == everything[2:]
    assert names(offset=6) == []
    assert sorted(names(q="ALPHA")) == ["Alpha.pdf", "alpha-2.txt"]
    assert names(q="50%") == ["b_50%.pdf"]  # % is a character here, not a wildcard
    assert names(q="_") == ["b_50%.pdf"]
    for bad in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"q": "x" * 201}):
        refused = harness.client.get(f"/api/vaults/{vault_id}/files", params=bad, headers=headers)
        assert refused.status_code == 422 and refused.json()["error"] == "invalid request"


def test_vaults_and_shares_by_window(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {})
    customer_id = harness.client.get(f"/api/vaults/{vault_id}", headers=headers).json()[
        "customer_id"
    ]
    for name in ("Pensions", "Property", "Letters"):
        made = harness.client.post(
            f"/api/customers/{customer_id}/vaults", json={"name": name}, headers=headers
        )
        assert made.status_code == 201
    url = f"/api/customers/{customer_id}/vaults"
    every = [v["name"] for v in harness.client.get(url, headers=headers).json()]
    assert every == ["Letters", "Pensions", "Property", "Tax 2026"]
    window = harness.client.get(url, params={"limit": 2, "offset": 1}, headers=headers).json()
    assert [v["name"] for v in window] == every[1:3]
    found = harness.client.get(url, params={"q": "p"}, headers=headers).json()
    assert [v["name"] for v in found] == ["Pensions", "Property"]

    ids = [create_share(harness, headers, vault_id).id for _ in range(3)]
    for path in (f"/api/vaults/{vault_id}/shares", f"/api/customers/{customer_id}/shares"):
        newest = harness.client.get(path, params={"limit": 2}, headers=headers).json()
        rest = harness.client.get(path, params={"offset": 2}, headers=headers).json()
        assert [s["id"] for s in newest + rest] == ids[::-1]
