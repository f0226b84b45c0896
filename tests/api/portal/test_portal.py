"""The portal's rules: one 410 for every dead or unknown link, expiry on the clock, lockout
after wrong codes, revocation of open sessions, download limits under concurrent downloads."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from tests.support.identity import FakeClock, Harness
from tests.support.shares import (
    Shared,
    create_share,
    csrf_of,
    enter_code,
    latest_code,
    latest_token,
    staff,
    vault_with_files,
)
from vault03_api.portal.pages import CONTENT_SECURITY_POLICY
from vault03_api.shares.credentials import new_link_token

DATA = os.urandom(100_000)


def setup_share(harness: Harness, **fields: object) -> tuple[dict[str, str], Shared, str]:
    headers = staff(harness)
    vault_id, ids = vault_with_files(harness, headers, {"report.pdf": DATA})
    shared = create_share(harness, headers, vault_id, **fields)
    return headers, shared, ids["report.pdf"]


def signed_in(harness: Harness, shared: Shared):  # type: ignore[no-untyped-def]
    browser = harness.new_client()
    assert enter_code(browser, shared).status_code == 303
    return browser


def test_pages_carry_strict_security_headers(harness: Harness) -> None:
    _, shared, file_id = setup_share(harness)
    browser = harness.new_client()
    for response in (
        browser.get(shared.path),
        browser.get(f"/s/{new_link_token()}"),
        enter_code(browser, shared),
        browser.get(f"{shared.path}/files/{file_id}"),
    ):
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
    cookie = enter_code(harness.new_client(), shared).headers["set-cookie"]
    assert cookie.startswith("__Host-vault03_portal_")
    for flag in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
        assert flag.lower() in cookie.lower()
    page = browser.get(shared.path).text
    assert "<script" not in page and 'rel="stylesheet" href="/s/assets/portal.css"' in page
    assert browser.get("/s/assets/portal.css").headers["content-type"].startswith("text/css")


def test_dead_and_unknown_links_get_the_same_410(harness: Harness, fake_clock: FakeClock) -> None:
    headers, expired, _ = setup_share(harness, expires_at=None)
    revoked = create_share(harness, headers, expired.vault_id)
    exhausted = create_share(harness, headers, expired.vault_id, max_downloads=1)
    browser = signed_in(harness, exhausted)
    file_id = browser.get(exhausted.path).text.split("/files/")[1].split('"')[0]
    assert browser.get(f"{exhausted.path}/files/{file_id}").status_code == 200
    assert harness.client.post(f"/api/shares/{revoked.id}/revoke", headers=headers).is_success
    fake_clock.advance(days=13, hours=23)
    assert harness.new_client().get(expired.path).status_code == 200
    fake_clock.advance(hours=1)

    unknown = harness.new_client().get(f"/s/{new_link_token()}")
    assert unknown.status_code == 410
    assert "contact VAULT03 development office" in unknown.text  # the office that shares
    for dead in (expired, revoked, exhausted):
        for response in (
            harness.new_client().get(dead.path),
            enter_code(harness.new_client(), dead),
        ):
            assert response.status_code == 410
            assert response.text == unknown.text
            assert response.headers.get("set-cookie") is None
    # A dead link writes nothing (so not even timing tells it from an unknown one).
    log = harness.client.get(f"/api/shares/{expired.id}/access", headers=headers).json()
    last_live_view = log["items"][0]
    assert (last_live_view["event"], last_live_view["outcome"]) == ("view", "code_required")
    assert len(log["items"]) == 1
    statuses = {
        s["id"]: s["status"]
        for s in harness.client.get(
            f"/api/vaults/{expired.vault_id}/shares", headers=headers
        ).json()
    }
    assert statuses == {expired.id: "expired", revoked.id: "revoked", exhausted.id: "expired"}


def test_extend_reopens_within_the_maximum(harness: Harness, fake_clock: FakeClock) -> None:
    headers, shared, _ = setup_share(harness)
    fake_clock.advance(days=15)
    assert harness.new_client().get(shared.path).status_code == 410
    too_far = (fake_clock.now + timedelta(days=91)).isoformat()
    refused = harness.client.post(
        f"/api/shares/{shared.id}/extend", json={"expires_at": too_far}, headers=headers
    )
    assert refused.status_code == 400 and "at most 90 days" in refused.json()["error"]
    later = (fake_clock.now + timedelta(days=30)).isoformat()
    extended = harness.client.post(
        f"/api/shares/{shared.id}/extend", json={"expires_at": later}, headers=headers
    )
    assert extended.status_code == 200 and extended.json()["status"] == "active"
    assert harness.new_client().get(shared.path).status_code == 200


def test_five_wrong_codes_lock_the_link_and_alert(harness: Harness, fake_clock: FakeClock) -> None:
    headers, shared, _ = setup_share(harness)
    browser = harness.new_client()
    answers = [enter_code(browser, shared, "11112222").status_code for _ in range(5)]
    assert answers == [401, 401, 401, 401, 429]
    locked = enter_code(browser, shared)  # even the right code, while locked
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert "Too many wrong codes" in browser.get(shared.path).text
    body = harness.client.get(f"/api/shares/{shared.id}", headers=headers).json()
    assert body["status"] == "locked" and body["code_failures"] == 5
    alerts = harness.deliveries("security_alert")
    assert any(f"share {shared.id}" in d.payload["text"] for d in alerts)
    creator = harness.deliveries("share_locked_alert")
    assert [d.payload["to"] for d in creator] == ["staff@example.org"]
    outcomes = [
        i["outcome"]
        for i in harness.client.get(f"/api/shares/{shared.id}/access", headers=headers).json()[
            "items"
        ]
        if i["event"] == "code"
    ]
    assert outcomes.count("wrong_code") == 4 and "wrong_code_locked" in outcomes
    assert "locked" in outcomes

    fake_clock.advance(minutes=31)
    assert enter_code(browser, shared).status_code == 303  # the lock has passed


def test_parallel_wrong_codes_cannot_pass_the_limit(harness: Harness) -> None:
    headers, shared, _ = setup_share(harness)
    with ThreadPoolExecutor(max_workers=12) as pool:
        codes = list(
            pool.map(
                lambda n: enter_code(harness.new_client(), shared, f"{n:08d}").status_code,
                range(12),
            )
        )
    assert set(codes) <= {401, 429}
    body = harness.client.get(f"/api/shares/{shared.id}", headers=headers).json()
    assert body["code_failures"] == 5  # never more checked than the limit allows


def test_resend_code_replaces_the_code_and_lifts_a_lock(harness: Harness) -> None:
    headers, shared, _ = setup_share(harness)
    for _ in range(5):
        enter_code(harness.new_client(), shared, "99990000")
    resent = harness.client.post(f"/api/shares/{shared.id}/resend-code", headers=headers)
    assert resent.status_code == 200 and resent.json()["status"] == "active"
    new_code = resent.json()["access_code"]
    assert latest_code(harness, shared.id) == new_code != shared.code
    assert enter_code(harness.new_client(), shared).status_code == 401  # the old code
    assert enter_code(harness.new_client(), shared, new_code).status_code == 303


def test_resend_link_kills_the_old_link_and_its_sessions(harness: Harness) -> None:
    headers, shared, _ = setup_share(harness)
    browser = signed_in(harness, shared)
    assert harness.client.post(f"/api/shares/{shared.id}/resend-link", headers=headers).is_success
    new_token = latest_token(harness, shared.id)
    assert new_token != shared.token
    assert browser.get(shared.path).status_code == 410
    again = Shared(shared.id, shared.vault_id, new_token, shared.code, shared.body)
    assert "Enter your access code" in browser.get(again.path).text  # session ended too
    assert enter_code(browser, again).status_code == 303


def test_revoke_refuses_an_open_session_at_its_next_request(harness: Harness) -> None:
    headers, shared, file_id = setup_share(harness, permissions=["download", "upload"])
    browser = signed_in(harness, shared)
    page = browser.get(shared.path)
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    assert harness.client.post(f"/api/shares/{shared.id}/revoke", headers=headers).is_success
    assert browser.get(f"{shared.path}/files/{file_id}").status_code == 410
    upload = browser.post(
        f"{shared.path}/files?csrf={csrf}", files={"file": ("a.txt", b"x", "text/plain")}
    )
    assert upload.status_code == 410
    assert browser.get(shared.path).status_code == 410


def test_download_limit_holds_under_concurrent_downloads(harness: Harness) -> None:
    headers, shared, file_id = setup_share(harness, max_downloads=3)
    browsers = [signed_in(harness, shared) for _ in range(4)]
    url = f"{shared.path}/files/{file_id}"
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda n: browsers[n % 4].get(url), range(16)))
    ok = [r for r in results if r.status_code == 200]
    assert len(ok) == 3 and all(r.content == DATA for r in ok)
    # Used up with nothing else to do, the link itself is gone.
    assert {r.status_code for r in results} == {200, 410}
    body = harness.client.get(f"/api/shares/{shared.id}", headers=headers).json()
    assert body["download_count"] == 3 and body["status"] == "exhausted"
    reads = harness.audit(entity_type="files", action="r")
    assert len(reads) == 3


def test_resumed_ranges_do_not_count_as_new_downloads(harness: Harness) -> None:
    _, shared, file_id = setup_share(harness, max_downloads=1, permissions=["download", "upload"])
    browser = signed_in(harness, shared)
    url = f"{shared.path}/files/{file_id}"
    first = browser.get(url, headers={"Range": "bytes=0-999"})
    rest = browser.get(url, headers={"Range": "bytes=1000-"})
    assert (first.status_code, rest.status_code) == (206, 206)
    assert first.content + rest.content == DATA
    again = browser.get(url)
    assert again.status_code == 403 and "download limit" in again.text
    assert browser.get(shared.path).status_code == 200  # uploads are still possible


def test_a_session_belongs_to_one_share(harness: Harness, fake_clock: FakeClock) -> None:
    headers, one, file_id = setup_share(harness)
    other = create_share(harness, headers, one.vault_id)
    browser = signed_in(harness, one)
    assert "Enter your access code" in browser.get(other.path).text
    assert browser.get(f"{other.path}/files/{file_id}").status_code == 401
    fake_clock.advance(minutes=16)  # idle past portal_session_idle_minutes
    assert "Enter your access code" in browser.get(one.path).text


def test_uploads_never_replace_and_tell_the_creator(harness: Harness) -> None:
    headers, shared, _ = setup_share(harness, permissions=["upload"])
    browser = signed_in(harness, shared)
    page = browser.get(shared.path).text
    assert "report.pdf" not in page  # upload-only: nothing to download is listed
    csrf = csrf_of(page)
    sent = browser.post(
        f"{shared.path}/files?csrf={csrf}",
        files={"file": ("report.pdf", b"from the customer", "application/pdf")},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and "uploaded=report%20%282%29.pdf" in sent.headers["location"]
    assert "we received" in browser.get(sent.headers["location"]).text
    names = {
        f["name"]: f
        for f in harness.client.get(f"/api/vaults/{shared.vault_id}/files", headers=headers).json()
    }
    assert set(names) == {"report.pdf", "report (2).pdf"}
    assert names["report (2).pdf"]["uploaded_by"] is None
    notices = harness.deliveries("share_upload_notice")
    assert [d.payload["to"] for d in notices] == ["staff@example.org"]
    refused = browser.post(
        f"{shared.path}/files", files={"file": ("x.txt", b"x", "text/plain")}
    )  # no CSRF token
    assert refused.status_code == 403
    foreign = browser.post(
        f"{shared.path}/files?csrf={csrf}",
        files={"file": ("x.txt", b"x", "text/plain")},
        headers={"Origin": "https://evil.example.com"},
    )
    assert foreign.status_code == 403
    download_refused = harness.new_client()
    assert enter_code(download_refused, shared).status_code == 303
    file_id = names["report.pdf"]["id"]
    assert download_refused.get(f"{shared.path}/files/{file_id}").status_code == 403


def test_sizes_read_as_in_the_console_and_notices(harness: Harness) -> None:
    # One convention for every size a person reads: binary multiples named KB/MB/GB.
    _, shared, _ = setup_share(harness, permissions=["download", "upload"])
    page = signed_in(harness, shared).get(shared.path).text
    assert "97.7 KB" in page  # report.pdf, 100,000 bytes
    assert "5 GB" in page  # the upload limit
    assert "KiB" not in page and "GiB" not in page
