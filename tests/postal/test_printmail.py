from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from functools import partial

import pytest
from pypdf import PdfReader

from tests.postal.test_letter import OFFICE
from tests.support import NatsServer, free_port
from tests.support.fakes import PRINTMAIL_KEY, FakeServer, fake_printmail
from tests.support.workers import bus, running
from vault03_common.events import (
    Channel,
    DeliveryRequested,
    DeliveryStatus,
    PostalAddress,
    PostalPayload,
)
from vault03_common.runtime import PermanentError, TransientError, Worker
from vault03_postal.handler import handle, make_sender
from vault03_postal.letter import render_letter
from vault03_postal.printmail import PrintMailClient
from vault03_postal.settings import PostalSettings

ADDRESS = PostalAddress(
    name="Ana Silva", line1="3 place Bellecour", postal_code="69002", city="Lyon"
)


@pytest.fixture
def printmail() -> Iterator[FakeServer]:
    with fake_printmail() as server:
        yield server


def settings_for(
    server: FakeServer, key: str = PRINTMAIL_KEY, **overrides: object
) -> PostalSettings:
    return PostalSettings(printmail_api_key=key, printmail_base_url=f"{server.url}/v1", **overrides)


def pdf() -> bytes:
    payload = PostalPayload(
        address=ADDRESS, template="notice", context={"office": OFFICE, "body": "Bonjour"}
    )
    return render_letter(payload, PostalSettings(), today=date(2026, 12, 1))


async def test_uploads_then_creates_the_letter(printmail: FakeServer) -> None:
    client = PrintMailClient.from_settings(settings_for(printmail, printmail_color=True))
    result = await client.send(pdf(), address=ADDRESS, delivery_id="p-1")
    status = await client.status(str(result.provider_message_id))
    await client.aclose()
    [letter] = printmail.state.accepted
    assert result.provider_message_id == letter["id"]
    assert letter["recipient"]["city"] == "Lyon"
    assert letter["address_position"] == "right"
    assert letter["color"] is True
    assert letter["metadata"] == {"delivery_id": "p-1"}
    assert "Bonjour" in PdfReader(io.BytesIO(letter["pdf"])).pages[0].extract_text()
    assert status.status == "submitted"


async def test_a_replayed_delivery_gets_the_same_letter(printmail: FakeServer) -> None:
    client = PrintMailClient.from_settings(settings_for(printmail))
    first = await client.send(pdf(), address=ADDRESS, delivery_id="p-2")
    again = await client.send(pdf(), address=ADDRESS, delivery_id="p-2")
    await client.aclose()
    assert first == again
    assert len(printmail.state.accepted) == 1


async def test_validation_and_auth_errors_are_permanent(printmail: FakeServer) -> None:
    client = PrintMailClient.from_settings(settings_for(printmail))
    with pytest.raises(PermanentError, match="422: invalid_file"):
        await client.send(b"not a pdf", address=ADDRESS, delivery_id="p-3")
    await client.aclose()
    wrong = PrintMailClient.from_settings(settings_for(printmail, key="pm_wrong"))
    with pytest.raises(PermanentError, match="401: unauthorized"):
        await wrong.send(pdf(), address=ADDRESS, delivery_id="p-4")
    await wrong.aclose()


async def test_throttling_and_outages_are_transient(printmail: FakeServer) -> None:
    printmail.state.script.extend([{"status": 429, "retry_after": 3}, {"status": 503}])
    client = PrintMailClient.from_settings(settings_for(printmail))
    with pytest.raises(TransientError) as caught:
        await client.send(pdf(), address=ADDRESS, delivery_id="p-5")
    assert caught.value.retry_after == 3
    assert client.gate.remaining() > 2  # later sends wait for the provider's pause
    await client.aclose()
    fresh = PrintMailClient.from_settings(settings_for(printmail))
    with pytest.raises(TransientError, match="503"):
        await fresh.send(pdf(), address=ADDRESS, delivery_id="p-5")
    await fresh.aclose()


def test_a_key_without_base_url_is_refused() -> None:
    with pytest.raises(ValueError, match="PRINTMAIL_BASE_URL"):
        PostalSettings(printmail_api_key="pm_live_x")


async def test_postal_worker_submits_letters(
    nats_server: NatsServer, printmail: FakeServer
) -> None:
    settings = settings_for(printmail, nats_url=nats_server.url, http_port=free_port())
    client = make_sender(settings)
    worker = Worker(
        channel=Channel.POSTAL,
        handler=partial(handle, client=client, settings=settings),
        settings=settings,
        on_stop=[client.aclose],
    )
    event = DeliveryRequested(
        delivery_id="p-worker",
        kind="access_code",
        payload=PostalPayload(
            address=ADDRESS,
            template="access_code",
            context={
                "office": OFFICE,
                "access_code": "ABC-123",
                "vault_name": "Dossier",
                "link": "https://v.example/s/1",
            },
        ),
    )
    async with bus(nats_server.url) as test_bus, running(worker):
        await test_bus.publish(event)
        sent = await test_bus.wait_for_status("p-worker", DeliveryStatus.SENT)
    [letter] = printmail.state.accepted
    assert sent.provider_message_id == letter["id"]
    assert "Access code: ABC-123" in PdfReader(io.BytesIO(letter["pdf"])).pages[0].extract_text()
