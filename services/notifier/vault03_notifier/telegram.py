"""Telegram Bot API `sendMessage`, within Telegram's limits.

Limits: about one message per second in a chat and twenty per minute in a group; beyond
them Telegram answers 429 with `parameters.retry_after`. A per-chat limiter keeps below the
limits; a 429 is waited out in place when short, otherwise it becomes a TransientError whose
retry_after the runtime honours. Parts of a long message already sent are remembered per
delivery, so a retry continues where it stopped instead of repeating them.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict

import httpx

from vault03_common.providers import (
    RATE_LIMIT_WAIT_SECONDS,
    RATE_LIMIT_WAITS,
    SlidingWindowLimiter,
    http_client,
    json_body,
    raise_for_status,
    send_request,
)
from vault03_common.runtime import DeliveryResult, TransientError
from vault03_common.settings import optional_secret
from vault03_notifier.settings import NotifierSettings
from vault03_notifier.text import ParseMode, Span, render, split_spans

PROVIDER = "telegram"
PROGRESS_MEMORY = 10_000
INLINE_RETRIES = 3


def is_group(chat_id: str) -> bool:
    """Groups, supergroups and channels have negative ids (or @names for channels)."""
    return chat_id.startswith(("-", "@"))


class TelegramClient:
    """Sends messages to chats through one bot."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        token: str,
        parse_mode: ParseMode = "HTML",
        max_inline_retry_after: float = 30.0,
    ) -> None:
        self.http = http
        self.token = token
        self.parse_mode = parse_mode
        self.max_inline_retry_after = max_inline_retry_after
        self.per_chat = SlidingWindowLimiter(
            limit=1, window=1.0, channel="telegram", provider=PROVIDER
        )
        self.per_group = SlidingWindowLimiter(
            limit=20, window=60.0, channel="telegram", provider=PROVIDER
        )
        self._progress: OrderedDict[str, tuple[int, str]] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: NotifierSettings) -> TelegramClient:
        token = optional_secret(settings.telegram_bot_token)
        if token is None:
            raise ValueError("VAULT03_NOTIFIER_TELEGRAM_BOT_TOKEN is not set")
        return cls(
            http_client(settings, base_url=settings.telegram_base_url),
            token=token,
            parse_mode=settings.parse_mode,
            max_inline_retry_after=settings.max_inline_retry_after_seconds,
        )

    async def _pace(self, chat_id: str) -> None:
        await self.per_chat.acquire(chat_id)
        if is_group(chat_id):
            await self.per_group.acquire(chat_id)

    async def send_message(self, chat_id: str, text: str) -> str:
        """One `sendMessage` call; returns Telegram's message id."""
        for _ in range(INLINE_RETRIES):
            await self._pace(chat_id)
            response = await send_request(
                self.http,
                "POST",
                f"/bot{self.token}/sendMessage",
                channel="telegram",
                provider=PROVIDER,
                redact=[self.token],
                json={
                    "chat_id": chat_id,
                    "text": text,
                    "parse_mode": self.parse_mode,
                    "link_preview_options": {"is_disabled": True},
                },
            )
            body = json_body(response)
            if response.is_success and body.get("ok"):
                return str(body.get("result", {}).get("message_id", ""))
            parameters = body.get("parameters")
            retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
            wait = float(retry_after) if isinstance(retry_after, int | float) else None
            if response.status_code == 429 and wait is not None:
                if wait > self.max_inline_retry_after:
                    raise TransientError(
                        f"{PROVIDER} answered 429: {body.get('description')}", retry_after=wait
                    )
                RATE_LIMIT_WAITS.labels("telegram", PROVIDER).inc()
                RATE_LIMIT_WAIT_SECONDS.labels("telegram", PROVIDER).inc(wait)
                await asyncio.sleep(wait)
                continue
            description = str(body.get("description") or response.text[:200])
            raise_for_status(response, provider=PROVIDER, error=description, retry_after=wait)
            raise TransientError(f"{PROVIDER} answered {response.status_code} without ok")
        raise TransientError(f"{PROVIDER}: still rate limited after {INLINE_RETRIES} waits")

    async def send(self, *, key: str, chat_id: str, spans: list[Span]) -> DeliveryResult:
        """Send a text (split as needed) to one chat; `key` identifies it across retries."""
        parts = split_spans(spans)
        done, last_id = self._progress.get(key, (0, ""))
        for index in range(done, len(parts)):
            last_id = await self.send_message(chat_id, render(parts[index], self.parse_mode))
            self._remember(key, index + 1, last_id)
        return DeliveryResult(provider_message_id=f"{chat_id}:{last_id}" if last_id else None)

    def _remember(self, key: str, done: int, last_id: str) -> None:
        self._progress[key] = (done, last_id)
        self._progress.move_to_end(key)
        while len(self._progress) > PROGRESS_MEMORY:
            self._progress.popitem(last=False)

    async def aclose(self) -> None:
        await self.http.aclose()
