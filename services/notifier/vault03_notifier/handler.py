"""Telegram delivery to one chat or to every operators' chat."""

from __future__ import annotations

from vault03_common.events import DeliveryRequested, TelegramPayload
from vault03_common.runtime import DeliveryResult
from vault03_notifier.settings import NotifierSettings
from vault03_notifier.sink import TelegramSink


async def handle(
    event: DeliveryRequested, *, client: TelegramSink, settings: NotifierSettings
) -> DeliveryResult:
    """Send one Telegram delivery (to its chat, or to each configured chat)."""
    payload = event.payload
    assert isinstance(payload, TelegramPayload)
    chats = [payload.chat_id] if payload.chat_id else settings.chat_ids
    result = DeliveryResult()
    for index, chat_id in enumerate(chats):
        # One sink line per chat, each keyed apart so a redelivery skips chats already done.
        key = event.delivery_id if index == 0 else f"{event.delivery_id}:{chat_id}"
        result = await client.send(delivery_id=key, chat_id=chat_id, text=payload.text)
    return result
