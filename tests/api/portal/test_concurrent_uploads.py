"""Uploads of one name at the same time, against a running API: every upload is kept (as a
version of one document when it is one sender's), and a recipient's document never takes the
place of a staff one (nor the other way round)."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.api_process import ApiProcess
from tests.support.live_shares import enter_code_over_http, share_over_http, staff_api_token
from tests.support.outbox import last_sent

BOUNDARY = "vault03-test-boundary"
PIECE = 256 * 1024


def sent(database: Path, kind: str, pattern: str) -> str:
    """What `pattern` finds in the last message of `kind` the API queued (opened with the
    installation's keys: links and codes are stored sealed)."""
    payload = last_sent(database, database.parent.parent / "keys", kind)
    match = re.search(pattern, json.dumps(payload))
    assert match is not None
    return match.group(0)


def access_code(database: Path) -> str:
    return sent(database, "access_code", r"\d{4} \d{4}")


def link_path(database: Path) -> str:
    return sent(database, "share_link", r"/s/[A-Za-z0-9_-]{43}")


def portal_client(api: ApiProcess, path: str, code: str) -> tuple[httpx.Client, str]:
    """A recipient's browser signed in to the share, and the page's CSRF token."""
    client = httpx.Client(base_url=api.url, timeout=60)
    entered = enter_code_over_http(client, path, code)
    assert entered.status_code == 303, entered.text
    page = client.get(path)
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match is not None, page.text
    return client, match.group(1)


def form_body(name: str, data: bytes, started: threading.Barrier) -> Iterator[bytes]:
    """A multipart form sent in pieces: its head and first piece, then (once every upload
    of the test has begun) the rest, so that all of them are in flight together."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + data[:PIECE]
    started.wait(timeout=60)
    for offset in range(PIECE, len(data), PIECE):
        yield data[offset : offset + PIECE]
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def staff_get(api: ApiProcess, token: str, path: str) -> httpx.Response:
    """A staff GET of the API that must succeed."""
    got = httpx.get(f"{api.url}{path}", headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200, got.text
    return got


def live_files(api: ApiProcess, token: str, vault_id: int) -> list[dict[str, object]]:
    files: list[dict[str, object]] = staff_get(api, token, f"/api/vaults/{vault_id}/files").json()
    return files


def versions(api: ApiProcess, token: str, file_id: object) -> list[dict[str, object]]:
    found: list[dict[str, object]] = staff_get(api, token, f"/api/files/{file_id}/versions").json()
    return found


def version_content(api: ApiProcess, token: str, file_id: object, version_id: object) -> bytes:
    return staff_get(api, token, f"/api/files/{file_id}/versions/{version_id}/content").content


def content(api: ApiProcess, token: str, file_id: object) -> bytes:
    return staff_get(api, token, f"/api/files/{file_id}/content").content


@pytest.mark.fleet
def test_six_parallel_uploads_of_one_name_are_all_kept_as_versions(api: ApiProcess) -> None:
    database = api.root / "data" / "data.db"
    token = staff_api_token(database)
    live = share_over_http(api.url, token, files={}, permissions=["upload"])
    path = link_path(database)
    clients = [portal_client(api, path, access_code(database)) for _ in range(6)]
    documents = [os.urandom(4 * PIECE) for _ in clients]
    started = threading.Barrier(len(clients))

    def send(n: int) -> httpx.Response:
        client, csrf = clients[n]
        return client.post(
            f"{path}/files?csrf={csrf}",
            content=form_body("signed.pdf", documents[n], started),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        answers = list(pool.map(send, range(len(clients))))
    assert [a.status_code for a in answers] == [303] * len(clients)
    # One document sent six times through one share: six versions, none lost.
    (current,) = live_files(api, token, live.vault_id)
    assert current["name"] == "signed.pdf"
    found = versions(api, token, current["id"])
    assert len(found) == 6 and {v["name"] for v in found} == {"signed.pdf"}
    received = sorted(version_content(api, token, current["id"], v["id"]) for v in found)
    assert received == sorted(documents)
    for client, _ in clients:
        client.close()


@pytest.mark.fleet
def test_a_recipient_and_staff_sending_one_name_together_keep_both(api: ApiProcess) -> None:
    database = api.root / "data" / "data.db"
    token = staff_api_token(database)
    live = share_over_http(api.url, token, files={}, permissions=["download", "upload"])
    path = link_path(database)
    client, csrf = portal_client(api, path, access_code(database))
    staff_copy, recipient_copy = os.urandom(4 * PIECE), os.urandom(4 * PIECE)
    started = threading.Barrier(2)

    def staff_upload() -> httpx.Response:
        def body() -> Iterator[bytes]:
            yield staff_copy[:PIECE]
            started.wait(timeout=60)
            yield staff_copy[PIECE:]

        return httpx.put(
            f"{api.url}/api/vaults/{live.vault_id}/files/contract.pdf",
            content=body(),
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )

    def recipient_upload() -> httpx.Response:
        return client.post(
            f"{path}/files?csrf={csrf}",
            content=form_body("contract.pdf", recipient_copy, started),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        staff_answer, recipient_answer = pool.submit(staff_upload), pool.submit(recipient_upload)
        assert staff_answer.result().status_code == 201, staff_answer.result().text
        assert recipient_answer.result().status_code == 303
    files = live_files(api, token, live.vault_id)
    by_content = {content(api, token, f["id"]): f for f in files}
    # Whichever is recorded second takes "contract (2).pdf": neither replaces the other.
    assert set(by_content) == {staff_copy, recipient_copy}
    assert by_content[recipient_copy]["uploaded_by"] is None
    assert by_content[staff_copy]["uploaded_by"] is not None
    assert {str(f["name"]) for f in files} == {"contract.pdf", "contract (2).pdf"}
    client.close()


@pytest.mark.fleet
def test_parallel_staff_uploads_of_one_name_are_all_kept_as_versions(api: ApiProcess) -> None:
    database = api.root / "data" / "data.db"
    token = staff_api_token(database)
    live = share_over_http(api.url, token, files={}, permissions=["upload"])
    documents = [os.urandom(4 * PIECE) for _ in range(6)]
    started = threading.Barrier(len(documents))

    def staff_upload(n: int) -> httpx.Response:
        def body() -> Iterator[bytes]:
            yield documents[n][:PIECE]
            started.wait(timeout=60)
            yield documents[n][PIECE:]

        return httpx.put(
            f"{api.url}/api/vaults/{live.vault_id}/files/ledger.xlsx",
            content=body(),
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=len(documents)) as pool:
        answers = list(pool.map(staff_upload, range(len(documents))))
    assert [a.status_code for a in answers] == [201] * len(documents)
    (current,) = live_files(api, token, live.vault_id)
    found = versions(api, token, current["id"])
    assert sorted(str(v["id"]) for v in found) == sorted(a.json()["id"] for a in answers)
    received = sorted(version_content(api, token, current["id"], v["id"]) for v in found)
    assert received == sorted(documents)
