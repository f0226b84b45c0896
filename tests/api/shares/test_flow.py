"""A share from creation to upload back, through the API and the portal pages."""

from __future__ import annotations

import os

from tests.support.identity import Harness
from tests.support.shares import (
    create_share,
    csrf_of,
    enter_code,
    latest_code,
    share_messages,
    staff,
    vault_with_files,
)


def test_share_flow(harness: Harness) -> None:
    headers = staff(harness)
    data = os.urandom(3 << 20)
    vault_id, ids = vault_with_files(harness, headers, {"report.pdf": data})
    shared = create_share(harness, headers, vault_id, permissions=["download", "upload"])
    assert shared.body["status"] == "active"
    assert shared.body["code_channel"] == "sms"
    assert latest_code(harness, shared.id) == shared.code
    kinds = [(d.kind, d.channel) for d in share_messages(harness, shared.id)]
    assert kinds == [("share_link", "email"), ("access_code", "sms")]

    browser = harness.new_client()
    page = browser.get(shared.path)
    assert page.status_code == 200 and "Enter your access code" in page.text
    wrong = enter_code(browser, shared, "00000000")
    assert wrong.status_code == 401 and "4 attempt(s) left" in wrong.text
    right = enter_code(browser, shared)
    assert right.status_code == 303, right.text
    files = browser.get(shared.path)
    assert "report.pdf" in files.text
    got = browser.get(f"{shared.path}/files/{ids['report.pdf']}")
    assert got.status_code == 200 and got.content == data
    part = browser.get(f"{shared.path}/files/{ids['report.pdf']}", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == data[10:20]
    csrf = csrf_of(files.text)
    sent = browser.post(
        f"{shared.path}/files?csrf={csrf}",
        files={"file": ("signed.pdf", b"signed back", "application/pdf")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    listing = harness.client.get(f"/api/vaults/{vault_id}/files", headers=headers).json()
    assert {f["name"] for f in listing} == {"report.pdf", "signed.pdf"}
    log = harness.client.get(f"/api/shares/{shared.id}/access", headers=headers).json()
    print(log)
    assert [(i["event"], i["outcome"]) for i in reversed(log["items"])][:4] == [
        ("view", "code_required"),
        ("code", "wrong_code"),
        ("code", "ok"),
        ("view", "ok"),
    ]
