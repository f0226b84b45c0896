from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pytest

from tests.support import NatsServer, free_port
from tests.support.fakes import TELEGRAM_TOKEN, FakeServer, fake_telegram
from tests.support.workers import bus, running
from vault03_common.events import Channel, DeliveryRequested, DeliveryStatus, TelegramPayload
from vault03_common.runtime import PermanentError, TransientError, Worker
from vault03_notifier.handler import handle, make_sender
from vault03_notifier.settings import NotifierSettings
from vault03_notifier.telegram import TelegramClient
from vault03_notifier.text import Span


@pytest.fixture
def telegram() -> Iterator[FakeServer]:
    with fake_telegram() as server:
        yield server


def settings_for(server: FakeServer, **overrides: object) -> NotifierSettings:
    values: dict[str, object] = {
        "telegram_bot_token": TELEGRAM_TOKEN,
        "telegram_base_url": server.url,
        "chat_ids": ["-1001234567890"],
    }
    values.update(overrides)
    return NotifierSettings(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["HTML", "MarkdownV2"])
async def test_sends_escaped_text_that_telegram_parses(telegram: FakeServer, mode: str) -> None:
    client = TelegramClient.from_settings(settings_for(telegram, parse_mode=mode))
    text = "Backup failed: exit=1 (restic) <disk> 95% & *stuck*."
    result = await client.send(key="k1", chat_id="42", spans=[Span(text)])
    await client.aclose()
    [message] = telegram.state.accepted
    assert message["visible"] == text
    assert message["parse_mode"] == mode
    assert result.provider_message_id == "42:1"


async def test_long_message_is_split_into_parts(telegram: FakeServer) -> None:
    client = TelegramClient.from_settings(settings_for(telegram))
    text = "\n".join("event " + "x" * 200 for _ in range(40))  # ~8,200 characters
    await client.send(key="k-long", chat_id="42", spans=[Span(text)])
    await client.aclose()
    parts = [message["visible"] for message in telegram.state.accepted]
    assert len(parts) == 3
    assert "".join(parts) == text


async def test_retry_after_is_waited_out_in_place(telegram: FakeServer) -> None:
    telegram.state.script.append({"status": 429, "retry_after": 1})
    client = TelegramClient.from_settings(settings_for(telegram))
    await client.send(key="k-429", chat_id="42", spans=[Span("hello")])
    await client.aclose()
    first, second = telegram.state.requests
    assert second["at"] - first["at"] >= 1.0  # never sooner than Telegram asked
    assert len(telegram.state.accepted) == 1


async def test_a_long_retry_after_goes_back_to_the_queue_and_resumes_at_the_next_part(
    telegram: FakeServer,
) -> None:
    client = TelegramClient.from_settings(settings_for(telegram, max_inline_retry_after_seconds=5))
    text = "a" * 4000 + "\n" + "b" * 4000
    telegram.state.script.extend([{}, {"status": 429, "retry_after": 60}])
    with pytest.raises(TransientError) as caught:
        await client.send(key="k-resume", chat_id="42", spans=[Span(text)])
    assert caught.value.retry_after == 60
    await client.send(key="k-resume", chat_id="42", spans=[Span(text)])  # the redelivery
    await client.aclose()
    assert [m["visible"][0] for m in telegram.state.accepted] == ["a", "b"]


async def test_local_limiter_paces_one_chat(telegram: FakeServer) -> None:
    # The fake refuses sends closer than 0.9 s in one chat with 429 (network jitter aside,
    # the client spaces them 1 s apart).
    telegram.state.extra["min_interval"] = 0.9
    client = TelegramClient.from_settings(settings_for(telegram))
    for index in range(3):
        await client.send(key=f"k{index}", chat_id="42", spans=[Span(f"m{index}")])
    await client.aclose()
    assert len(telegram.state.requests) == 3  # no 429 was drawn
    assert len(telegram.state.accepted) == 3


async def test_unknown_chat_and_bad_token_are_permanent(telegram: FakeServer) -> None:
    telegram.state.extra["chats"] = {"42"}
    client = TelegramClient.from_settings(settings_for(telegram))
    with pytest.raises(PermanentError, match="chat not found"):
        await client.send(key="k", chat_id="7", spans=[Span("hi")])
    await client.aclose()
    wrong = TelegramClient.from_settings(settings_for(telegram, telegram_bot_token="1:wrong"))
    with pytest.raises(PermanentError, match="401: Unauthorized") as caught:
        await wrong.send(key="k2", chat_id="42", spans=[Span("hi")])
    assert "1:wrong" not in str(caught.value)
    await wrong.aclose()


async def test_unreachable_telegram_error_does_not_leak_the_token() -> None:
    settings = NotifierSettings(
        telegram_bot_token=TELEGRAM_TOKEN, telegram_base_url="http://127.0.0.1:9"
    )
    client = TelegramClient.from_settings(settings)
    with pytest.raises(TransientError) as caught:
        await client.send(key="k", chat_id="42", spans=[Span("hi")])
    assert TELEGRAM_TOKEN not in str(caught.value)
    await client.aclose()


async def test_notifier_worker_sends_to_every_operator_chat(
    nats_server: NatsServer, telegram: FakeServer
) -> None:
    settings = settings_for(
        telegram, nats_url=nats_server.url, http_port=free_port(), chat_ids=["11", "-22"]
    )
    client = make_sender(settings)
    worker = Worker(
        channel=Channel.TELEGRAM,
        handler=partial(handle, client=client, settings=settings),
        settings=settings,
        on_stop=[client.aclose],
    )
    event = DeliveryRequested(
        delivery_id="t-1",
        kind="dead_letter_alert",
        payload=TelegramPayload(text="VAULT03: x_y failed."),
    )
    async with bus(nats_server.url) as test_bus, running(worker):
        await test_bus.publish(event)
        await test_bus.wait_for_status("t-1", DeliveryStatus.SENT)
    assert sorted(m["chat_id"] for m in telegram.state.accepted) == ["-22", "11"]
    assert {m["visible"] for m in telegram.state.accepted} == {"VAULT03: x_y failed."}
