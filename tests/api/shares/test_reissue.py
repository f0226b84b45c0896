"""The incident step "Change all encryption keys (requires re-sharing all vaults)": after a
key rotation every open share gets a new link and code through the same channels; the old
ones (and open portal sessions) die, the new ones open the same files, still decryptable."""

from __future__ import annotations

import os
from typing import Any

import pytest
from click.testing import CliRunner
from sqlmodel import Session

from tests.support.identity import Harness
from tests.support.shares import (
    Shared,
    create_share,
    enter_code,
    latest_code,
    latest_token,
    share_messages,
    staff,
    vault_with_files,
)
from vault03_api.cli import main as vault03
from vault03_api.keyring import key_versions
from vault03_api.keys.service import rotate
from vault03_api.shares import service
from vault03_api.shares.models import Share
from vault03_api.shares.reissue import JOURNAL_NAME


def renewed(harness: Harness, shared: Shared) -> Shared:
    token, code = latest_token(harness, shared.id), latest_code(harness, shared.id)
    return Shared(shared.id, shared.vault_id, token, code, shared.body)


@pytest.mark.parametrize(
    "command", [["shares", "reissue", "--all"], ["keys", "rotate", "--reshare"]]
)
def test_reissue_after_rotation(harness: Harness, command: list[str]) -> None:
    headers = staff(harness)
    data = os.urandom(2 << 20)
    vault_id, ids = vault_with_files(
        harness,
        headers,
        {"deed.pdf": data},
        address_line1="1 rue de la Paix",
        postal_code="75002",
        city="Paris",
        preferred_channel="postal",
    )
    by_post = create_share(harness, headers, vault_id)
    by_sms = create_share(harness, headers, vault_id, code_channel="sms")
    revoked = create_share(harness, headers, vault_id)
    harness.client.post(f"/api/shares/{revoked.id}/revoke", headers=headers)
    browser = harness.new_client()
    assert enter_code(browser, by_sms).status_code == 303
    assert browser.get(by_sms.path).status_code == 200
    sent_before = {s.id: len(share_messages(harness, s.id)) for s in (by_post, by_sms, revoked)}

    if command[0] == "shares":
        rotate(harness.state.engine, keys_dir=harness.state.settings.keys_dir)
    result = CliRunner().invoke(vault03, command, env=harness.cli_env(), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "re-issued 2 share(s)" in result.output
    assert key_versions(harness.state.settings.keys_dir) == [1, 2]

    # Old links are dead, and so is the portal session opened with one.
    for old in (by_post, by_sms):
        assert harness.new_client().get(old.path).status_code == 410
    assert browser.get(by_sms.path).status_code == 410
    # The revoked share got nothing; the others got a link and a code, the same ways as before.
    assert len(share_messages(harness, revoked.id)) == sent_before[revoked.id]
    for old, channel in ((by_post, "postal"), (by_sms, "sms")):
        messages = share_messages(harness, old.id)[sent_before[old.id] :]
        assert [(m.kind, m.channel) for m in messages] == [
            ("access_code", channel),
            ("share_link", "email"),
        ]
        new = renewed(harness, old)
        assert new.token != old.token
        assert enter_code(harness.new_client(), new, old.code).status_code == 401
        fresh = harness.new_client()
        assert enter_code(fresh, new).status_code == 303
        got = fresh.get(f"{new.path}/files/{ids['deed.pdf']}")
        assert got.status_code == 200 and got.content == data  # decrypts under key version 2
    reissued = harness.audit(entity_type="shares", event="reissued")
    assert sorted(int(entry["entity_id"]) for entry in reissued) == [by_post.id, by_sms.id]


def test_an_interrupted_reissue_resumes_without_sending_twice(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {"note.txt": b"hello"})
    shared = [create_share(harness, headers, vault_id) for _ in range(3)]
    sent_before = {s.id: len(share_messages(harness, s.id)) for s in shared}
    really_reissue = service.reissue
    attempts: list[int] = []

    def cut_off_at_the_second(session: Session, **kwargs: Any) -> Share | None:
        attempts.append(kwargs["share_id"])
        if len(attempts) == 2:
            raise RuntimeError("the machine went down")
        return really_reissue(session, **kwargs)

    monkeypatch.setattr(service, "reissue", cut_off_at_the_second)
    command = ["shares", "reissue", "--all"]
    interrupted = CliRunner().invoke(vault03, command, env=harness.cli_env())
    assert interrupted.exit_code != 0
    journal = harness.state.settings.data_dir / JOURNAL_NAME
    assert journal.read_text().split() == [str(attempts[0])]

    monkeypatch.setattr(service, "reissue", really_reissue)
    result = CliRunner().invoke(vault03, command, env=harness.cli_env(), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "resuming an interrupted re-issue: 1 share(s)" in result.output
    assert "re-issued 3 share(s)" in result.output
    assert not journal.exists()
    for share in shared:  # one new code and one new link each, nobody twice
        assert len(share_messages(harness, share.id)) - sent_before[share.id] == 2
    reissued = harness.audit(entity_type="shares", event="reissued")
    assert sorted(int(entry["entity_id"]) for entry in reissued) == sorted(s.id for s in shared)
