"""Login CSRF on the code form: a page of another site that auto-posts an attacker's link and
code must not log the victim's browser into the attacker's share."""

from __future__ import annotations

import re

from tests.support.identity import Harness
from tests.support.shares import create_share, staff, vault_with_files
from vault03_api.shares.credentials import portal_cookie_name


def test_a_foreign_page_cannot_log_a_browser_into_someone_elses_share(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {"a.txt": b"planted"})
    attackers = create_share(harness, headers, vault_id)  # a link and code the attacker holds
    code_form = f"{attackers.path}/code"
    portal_cookie = portal_cookie_name(harness.state.settings, attackers.token)

    # The victim's browser, sent by a foreign page's auto-submitting form (sandboxed or under
    # no-referrer: Origin null), with or without a form token the attacker made up.
    victim = harness.new_client()
    for forged in ({}, {"form_token": "x" * 43}):
        posted = victim.post(
            code_form,
            data={"code": attackers.code, **forged},
            headers={"Origin": "null"},
            follow_redirects=False,
        )
        assert posted.status_code == 403, posted.text
        assert portal_cookie not in posted.headers.get("set-cookie", "")
        assert portal_cookie not in victim.cookies
    # Even holding the page's cookie, a post the browser marks as cross-site is refused.
    page = victim.get(attackers.path)
    assert page.status_code == 200 and "Enter your access code" in page.text
    form_token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert form_token is not None
    cross_site = victim.post(
        code_form,
        data={"code": attackers.code, "form_token": form_token.group(1)},
        headers={"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert cross_site.status_code == 403
    assert "planted" not in victim.get(attackers.path).text
    log = harness.client.get(f"/api/shares/{attackers.id}/access", headers=headers).json()
    assert ("code", "ok") not in {(i["event"], i["outcome"]) for i in log["items"]}

    # The page's own form, as a browser sends it (no-referrer: Origin null), opens the share.
    own = victim.post(
        code_form,
        data={"code": attackers.code, "form_token": form_token.group(1)},
        headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert own.status_code == 303 and portal_cookie in own.headers["set-cookie"]
    assert "a.txt" in victim.get(attackers.path).text
