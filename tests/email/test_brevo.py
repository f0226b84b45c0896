from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.support.fakes import BREVO_KEY, FakeServer, fake_brevo
from vault03_common.runtime import PermanentError, TransientError
from vault03_email.brevo import BrevoEmailClient, idempotency_key
from vault03_email.render import RenderedEmail
from vault03_email.settings import EmailSettings


@pytest.fixture
def brevo() -> Iterator[FakeServer]:
    with fake_brevo() as server:
        yield server


def client_for(server: FakeServer, key: str = BREVO_KEY, timeout: float = 15.0) -> BrevoEmailClient:
    settings = EmailSettings(
        brevo_api_key=key,
        brevo_base_url=f"{server.url}/v3",
        provider_timeout_seconds=timeout,
    )
    return BrevoEmailClient.from_settings(settings)


def email(delivery_id: str = "del-1", to: str = "ana@example.org") -> RenderedEmail:
    return RenderedEmail(
        delivery_id=delivery_id,
        kind="share_link",
        sender_email="office@example.org",
        sender_name="Office",
        to=to,
        to_name="Ana",
        subject="Documents",
        text="text body",
        html="<p>html body</p>",
    )


async def test_sends_the_documented_request_and_records_the_message_id(
    brevo: FakeServer,
) -> None:
    client = client_for(brevo)
    result = await client.send(email())
    await client.aclose()
    [accepted] = brevo.state.accepted
    assert result.provider_message_id == accepted["messageId"]
    assert accepted["to"] == [{"email": "ana@example.org", "name": "Ana"}]
    assert accepted["sender"] == {"name": "Office", "email": "office@example.org"}
    assert accepted["textContent"] == "text body"
    assert accepted["htmlContent"] == "<p>html body</p>"
    assert accepted["headers"]["X-Mailin-custom"] == "del-1"
    assert uuid.UUID(accepted["headers"]["idempotencyKey"]) == uuid.UUID(idempotency_key("del-1"))
    assert accepted["tags"] == ["share_link"]


async def test_a_second_send_of_the_same_delivery_is_refused_by_brevo_and_counts_as_sent(
    brevo: FakeServer,
) -> None:
    client = client_for(brevo)
    first = await client.send(email())
    again = await client.send(email())
    await client.aclose()
    assert first.provider_message_id is not None
    assert again.provider_message_id is None
    assert len(brevo.state.accepted) == 1
    assert len(brevo.state.requests) == 2


async def test_brevo_400_is_permanent_with_brevo_message(brevo: FakeServer) -> None:
    client = client_for(brevo)
    with pytest.raises(PermanentError, match=r"400: invalid_parameter: to.email is invalid"):
        await client.send(email(to="not-an-address"))
    await client.aclose()


async def test_wrong_key_is_permanent(brevo: FakeServer) -> None:
    client = client_for(brevo, key="xkeysib-wrong")
    with pytest.raises(PermanentError, match="401: unauthorized: Key not found"):
        await client.send(email())
    await client.aclose()


async def test_429_is_transient_with_brevo_reset_and_closes_the_gate(brevo: FakeServer) -> None:
    brevo.state.script.append({"status": 429, "reset": 7})
    client = client_for(brevo)
    with pytest.raises(TransientError) as caught:
        await client.send(email())
    assert caught.value.retry_after == 7
    assert client.gate.remaining() > 5
    await client.aclose()


async def test_exhausted_window_makes_the_next_send_wait(brevo: FakeServer) -> None:
    brevo.state.rate_limit = 1
    brevo.state.rate_window = 1.0
    client = client_for(brevo)
    await client.send(email("a"))
    assert client.gate.remaining() > 0  # remaining was 0: the gate closed until the reset
    await client.send(email("b"))  # waits for the window instead of drawing a 429
    await client.aclose()
    assert len(brevo.state.accepted) == 2


async def test_500_is_transient(brevo: FakeServer) -> None:
    brevo.state.script.append({"status": 500, "code": "internal_error"})
    client = client_for(brevo)
    with pytest.raises(TransientError, match="500"):
        await client.send(email())
    await client.aclose()


async def test_slow_answer_times_out_as_transient(brevo: FakeServer) -> None:
    brevo.state.script.append({"delay": 3})
    client = client_for(brevo, timeout=0.5)
    with pytest.raises(TransientError, match="timed out"):
        await client.send(email())
    await client.aclose()


async def test_unreachable_brevo_is_transient() -> None:
    settings = EmailSettings(brevo_api_key=BREVO_KEY, brevo_base_url="http://127.0.0.1:9/v3")
    client = BrevoEmailClient.from_settings(settings)
    with pytest.raises(TransientError, match="network error"):
        await client.send(email())
    await client.aclose()


async def test_non_json_error_body_is_reported() -> None:
    import respx

    with respx.mock(base_url="https://api.brevo.test/v3") as mock:
        mock.post("/smtp/email").mock(return_value=httpx.Response(502, text="Bad gateway"))
        settings = EmailSettings(
            brevo_api_key=BREVO_KEY, brevo_base_url="https://api.brevo.test/v3"
        )
        client = BrevoEmailClient.from_settings(settings)
        with pytest.raises(TransientError, match="502: unknown: Bad gateway"):
            await client.send(email())
        await client.aclose()
