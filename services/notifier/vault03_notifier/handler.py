"""Telegram delivery to one chat or to every operators' chat."""

from __future__ import annotations

from typing import Protocol

from vault03_common.events import DeliveryRequested, TelegramPayload
from vault03_common.runtime import DeliveryResult, PermanentError
from vault03_notifier.settings import NotifierSettings
from vault03_notifier.sink import TelegramSink
from vault03_notifier.telegram import TelegramClient
from vault03_notifier.text import Span


class TelegramSender(Protocol):
    async def send(self, *, key: str, chat_id: str, spans: list[Span]) -> DeliveryResult: ...

    async def aclose(self) -> None: ...


def chat_key(delivery_id: str, chat_id: str, index: int) -> str:
    """Identity of one delivery to one chat (the first chat keeps the bare delivery id)."""
    return delivery_id if index == 0 else f"{delivery_id}:{chat_id}"


async def handle(
    event: DeliveryRequested, *, client: TelegramSender, settings: NotifierSettings
) -> DeliveryResult:
    """Send one Telegram delivery (to its chat, or to each configured chat)."""
    payload = event.payload
    if not isinstance(payload, TelegramPayload):
        raise PermanentError(f"notifier got a {payload.channel.value} payload")
    chats = [payload.chat_id] if payload.chat_id else settings.chat_ids
    if not chats:
        raise PermanentError("no Telegram chat configured (VAULT03_NOTIFIER_CHAT_IDS)")
    first = DeliveryResult()
    for index, chat_id in enumerate(chats):
        key = chat_key(event.delivery_id, chat_id, index)
        result = await client.send(key=key, chat_id=chat_id, spans=[Span(payload.text)])
        if index == 0:
            first = result
    return first


def make_sender(settings: NotifierSettings) -> TelegramSender:
    """Telegram when a bot token is configured, else the local sink."""
    if settings.uses_telegram:
        return TelegramClient.from_settings(settings)
    return TelegramSink(settings.sink_dir / "telegram.jsonl")
