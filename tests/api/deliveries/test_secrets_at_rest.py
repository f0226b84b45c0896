"""A stolen data directory or backup gives no working link or access code: not while the
messages wait in the outbox, not after the workers are done with them (WAL and free pages
included), in none of the encodings the bytes could be found in."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterator
from pathlib import Path

from click.testing import CliRunner

from tests.support.identity import CSRF, Harness
from tests.support.outbox import sent_payload
from tests.support.shares import Shared, create_share, report_all_sent, staff, vault_with_files
from vault03_api.cli import main as vault03

ADMIN = "admin@example.org"
THIRD = {"name": "Maître Dupont", "email": "notaire@example.org"}
POSTAL = {**THIRD, "address_line1": "3 quai Voltaire", "postal_code": "75007", "city": "Paris"}


def encodings(secret: str) -> Iterator[bytes]:
    """Every form the secret's bytes could take in a file: raw, hex, base64 (both alphabets,
    at each of the three alignments it may have inside a longer encoded text)."""
    raw = secret.encode()
    yield raw
    yield raw.hex().encode()
    yield raw.hex().upper().encode()
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * shift + raw).rstrip(b"=")
            # Drop the characters that also depend on the neighbouring bytes.
            yield text[(shift * 4 + 2) // 3 + 1 : -2]


def share_secrets(shared: Shared) -> list[str]:
    code = shared.code.replace(" ", "")
    return [shared.token, code, f"{code[:4]} {code[4:]}"]


def file_contents(root: Path) -> Iterator[tuple[Path, bytes]]:
    """Every file under `root`, archives opened (a tar inside gzip stores members as is)."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        content = path.read_bytes()
        yield path, gzip.decompress(content) if path.name.endswith(".gz") else content


def leaks(root: Path, secrets: list[str]) -> list[str]:
    found = []
    for path, content in file_contents(root):
        for secret in secrets:
            if any(form in content for form in encodings(secret)):
                found.append(f"{secret[:6]}... in {path.relative_to(root)}")
    return found


def test_no_link_or_code_in_the_data_directory_or_a_backup(harness: Harness) -> None:
    headers = staff(harness)
    vault_id, _ = vault_with_files(harness, headers, {"a.txt": b"hello"})
    shares = [
        create_share(harness, headers, vault_id),  # code by SMS
        create_share(harness, headers, vault_id, recipient=POSTAL),  # code by letter
        create_share(harness, headers, vault_id, recipient=THIRD),  # code by a second email
    ]
    resent = harness.client.post(f"/api/shares/{shares[0].id}/resend-code", headers=headers)
    assert resent.status_code == 200
    secrets = [s for shared in shares for s in share_secrets(shared)]
    secrets.append(resent.json()["access_code"])
    harness.create_user(ADMIN, role="admin")
    admin = harness.new_client()
    csrf = harness.login(ADMIN, client=admin)
    invited = admin.post(
        "/api/users", json={"email": "new@example.org", "name": "New"}, headers={CSRF: csrf}
    )
    assert invited.status_code == 201
    [invitation] = harness.deliveries("invitation")
    link = sent_payload(invitation, harness.state.keyring)["context"]["link"]
    secrets.append(link.split("#token=")[1])  # the set-password token

    data_dir = harness.state.settings.data_dir
    assert {"data.db", "data.db-wal"} <= {p.name for p in data_dir.iterdir()}
    assert leaks(data_dir, secrets) == []  # while the messages wait in the outbox
    backup = CliRunner().invoke(vault03, ["backup"], env=harness.cli_env())
    assert backup.exit_code == 0, backup.output
    assert leaks(harness.state.settings.backup_dir, secrets) == []

    report_all_sent(harness)
    assert {d.sealed for d in harness.deliveries()} == {None}
    assert leaks(data_dir, secrets) == []
