"""Fake providers at the HTTP boundary: Brevo, Telegram and a print-and-mail API.

Each fake answers like the documented API (success bodies, error bodies, auth failures,
rate-limit headers and 429s) and records what it accepted. Tests steer a fake through its
`state` (in-process) or its `/_fake/*` endpoints (when it runs as a subprocess, as in the
benchmark): `script` queues one-off answers (`{"status": 500}`, `{"status": 429, "reset": 2}`,
`{"delay": 5}`) consumed by the next requests.

Run one alone: `python -m tests.support.fakes brevo --port 8999 --latency 0.05`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html.parser
import itertools
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support import free_port, port_open, wait_for

BREVO_KEY = "xkeysib-test-0123456789abcdef"
TELEGRAM_TOKEN = "123456:TEST-token-AbCdEf"
PRINTMAIL_KEY = "pm_test_0123456789"


@dataclass
class FakeState:
    """What a fake has seen and what it will do next."""

    api_key: str
    latency: float = 0.0  # seconds before every answer, like a real provider's round trip
    script: deque[dict[str, Any]] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)  # every request, with time
    accepted: list[dict[str, Any]] = field(default_factory=list)  # what would really go out
    rate_limit: int | None = None  # requests per window before 429
    rate_window: float = 1.0
    window_start: float = 0.0
    window_count: int = 0
    idempotency: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def record(self, request: Request, body: Any) -> None:
        self.requests.append({"path": request.url.path, "at": time.time(), "body": body})

    def window(self) -> tuple[bool, int, float]:
        """(allowed, remaining, seconds to reset) for one more request in the rate window."""
        if self.rate_limit is None:
            return True, 1000, 0.0
        now = time.monotonic()
        if now - self.window_start >= self.rate_window:
            self.window_start, self.window_count = now, 0
        reset = self.rate_window - (now - self.window_start)
        if self.window_count >= self.rate_limit:
            return False, 0, reset
        self.window_count += 1
        return True, self.rate_limit - self.window_count, reset


async def _scripted(state: FakeState) -> dict[str, Any] | None:
    """Apply latency and the next scripted step; a step with a status replaces the answer."""
    step = state.script.popleft() if state.script else None
    delay = state.latency + (step or {}).get("delay", 0.0)
    if delay:
        await asyncio.sleep(delay)
    if step is not None and "status" in step:
        return step
    return None


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


def _introspection(state: FakeState) -> list[Route]:
    async def requests(request: Request) -> JSONResponse:
        return JSONResponse({"requests": state.requests, "accepted": state.accepted})

    async def script(request: Request) -> JSONResponse:
        body = await request.json()
        state.script.extend(body.get("steps", []))
        if "latency" in body:
            state.latency = float(body["latency"])
        return JSONResponse({"queued": len(state.script)})

    async def reset(request: Request) -> JSONResponse:
        state.requests.clear()
        state.accepted.clear()
        state.script.clear()
        state.idempotency.clear()
        return JSONResponse({"reset": True})

    return [
        Route("/_fake/requests", requests),
        Route("/_fake/script", script, methods=["POST"]),
        Route("/_fake/reset", reset, methods=["POST"]),
    ]


# ---------------------------------------------------------------- Brevo


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SMS_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$|^\+?[0-9]{1,15}$")
IDEMPOTENCY_TTL = 30 * 60.0


def _brevo_error(status: int, code: str, message: str, headers: dict[str, str]) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


def brevo_app(state: FakeState) -> Starlette:
    """Brevo's /v3/smtp/email and /v3/transactionalSMS/send."""

    async def common(request: Request) -> tuple[Any, dict[str, str], JSONResponse | None]:
        body = await _json(request)
        state.record(request, body)
        if state.script and "hold" in state.script[0]:
            # Accept the message, then keep the client waiting (a worker killed meanwhile
            # never learns that the email went out).
            state.extra["hold"] = state.script.popleft()["hold"]
        step = await _scripted(state)
        allowed, remaining, reset = state.window()
        headers = {
            "x-sib-ratelimit-limit": str(state.rate_limit or 1000),
            "x-sib-ratelimit-remaining": str(remaining),
            "x-sib-ratelimit-reset": str(max(1, round(reset))),
        }
        if step is not None:
            status = int(step["status"])
            if status == 429:
                headers["x-sib-ratelimit-remaining"] = "0"
                headers["x-sib-ratelimit-reset"] = str(step.get("reset", 1))
            code = step.get("code", {429: "too_many_requests", 401: "unauthorized"}.get(status))
            message = step.get("message", "scripted failure")
            return body, headers, _brevo_error(status, code or "internal_error", message, headers)
        if request.headers.get("api-key") != state.api_key:
            return body, headers, _brevo_error(401, "unauthorized", "Key not found", headers)
        if not allowed:
            return body, headers, _brevo_error(429, "too_many_requests", "Too many", headers)
        if not isinstance(body, dict):
            return body, headers, _brevo_error(400, "bad_request", "Invalid JSON", headers)
        return body, headers, None

    async def send_email(request: Request) -> Response:
        body, headers, failure = await common(request)
        if failure is not None:
            return failure
        sender = body.get("sender") or {}
        recipients = body.get("to") or []
        if not isinstance(sender, dict) or not sender.get("email"):
            return _brevo_error(400, "missing_parameter", "sender is missing", headers)
        if not recipients or not all(_EMAIL.match(str(r.get("email", ""))) for r in recipients):
            return _brevo_error(400, "invalid_parameter", "to.email is invalid", headers)
        if not body.get("subject") or not (body.get("htmlContent") or body.get("textContent")):
            return _brevo_error(400, "missing_parameter", "subject or content missing", headers)
        key = (body.get("headers") or {}).get("idempotencyKey")
        if key:
            seen = state.idempotency.get(key)
            if seen is not None and time.monotonic() - seen < IDEMPOTENCY_TTL:
                return _brevo_error(
                    400, "duplicate_parameter", "idempotencyKey already used", headers
                )
            state.idempotency[key] = time.monotonic()
        message_id = f"<{next(state.ids):012d}.{uuid.uuid4().hex[:8]}@smtp-relay.mailin.fr>"
        state.accepted.append({"messageId": message_id, "at": time.time(), **body})
        if hold := state.extra.pop("hold", None):
            await asyncio.sleep(float(hold))
        return JSONResponse({"messageId": message_id}, status_code=201, headers=headers)

    async def send_sms(request: Request) -> Response:
        body, headers, failure = await common(request)
        if failure is not None:
            return failure
        sender, recipient = str(body.get("sender", "")), str(body.get("recipient", ""))
        if not _SMS_SENDER.match(sender):
            return _brevo_error(400, "invalid_parameter", "sender is invalid", headers)
        if not re.fullmatch(r"\+?[1-9][0-9]{6,14}", recipient):
            return _brevo_error(400, "invalid_parameter", "recipient is invalid", headers)
        if not body.get("content"):
            return _brevo_error(400, "missing_parameter", "content is missing", headers)
        if body.get("type", "transactional") not in ("transactional", "marketing"):
            return _brevo_error(400, "invalid_parameter", "type is invalid", headers)
        message_id = 1511882900000000 + next(state.ids)
        state.accepted.append({"messageId": message_id, "at": time.time(), **body})
        return JSONResponse({"messageId": message_id}, status_code=201, headers=headers)

    return Starlette(
        routes=[
            Route("/v3/smtp/email", send_email, methods=["POST"]),
            Route("/v3/transactionalSMS/send", send_sms, methods=["POST"]),
            *_introspection(state),
        ]
    )


# ---------------------------------------------------------------- Telegram

_MARKDOWN_RESERVED = set("_*[]()~`>#+-=|{}.!")
_HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a"}


class _HtmlEntities(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            self.error = f'Unsupported start tag "{tag}"'
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.error = f'Unexpected end tag "{tag}"'

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def telegram_visible_text(text: str, parse_mode: str | None) -> tuple[str | None, str | None]:
    """(visible text, None) as Telegram parses it, or (None, error description)."""
    if parse_mode == "HTML":
        if re.search(r"<(?![a-zA-Z/])", text) or re.search(r"&(?![a-zA-Z]+;|#\d+;)", text):
            return None, "Bad Request: can't parse entities: Unsupported start tag"
        parser = _HtmlEntities()
        parser.feed(text)
        parser.close()
        if parser.error or parser.open:
            return None, f"Bad Request: can't parse entities: {parser.error or 'unclosed tag'}"
        return "".join(parser.text), None
    if parse_mode == "MarkdownV2":
        visible, in_code, in_bold, i = [], False, False, 0
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text):
                visible.append(text[i + 1])
                i += 2
                continue
            if char == "`":
                in_code = not in_code
            elif char == "*" and not in_code:
                in_bold = not in_bold
            elif char in _MARKDOWN_RESERVED and not in_code:
                return None, (
                    f"Bad Request: can't parse entities: Character '{char}' is reserved and "
                    "must be escaped with the preceding '\\'"
                )
            else:
                visible.append(char)
            i += 1
        if in_code or in_bold:
            return None, "Bad Request: can't parse entities: Can't find end of the entity"
        return "".join(visible), None
    return text, None


def telegram_app(state: FakeState) -> Starlette:
    """Telegram Bot API sendMessage; chats known in state.extra["chats"] (default: any)."""
    last_sent: dict[str, float] = {}

    def error(status: int, description: str, retry_after: int | None = None) -> JSONResponse:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return JSONResponse(body, status_code=status)

    async def send_message(request: Request) -> Response:
        body = await _json(request)
        state.record(request, body)
        step = await _scripted(state)
        if step is not None:
            status = int(step["status"])
            if status == 429:
                retry = int(step.get("retry_after", 1))
                return error(429, f"Too Many Requests: retry after {retry}", retry)
            return error(status, step.get("description", "Internal Server Error"))
        if request.path_params["token"] != state.api_key:
            return error(401, "Unauthorized")
        if not isinstance(body, dict) or "chat_id" not in body or "text" not in body:
            return error(400, "Bad Request: message text is empty")
        chat_id = str(body["chat_id"])
        chats = state.extra.get("chats")
        if chats is not None and chat_id not in chats:
            return error(400, "Bad Request: chat not found")
        interval = state.extra.get("min_interval")
        now = time.monotonic()
        if interval and now - last_sent.get(chat_id, -1e9) < interval:
            return error(429, "Too Many Requests: retry after 1", 1)
        visible, problem = telegram_visible_text(str(body["text"]), body.get("parse_mode"))
        if problem is not None or visible is None:
            return error(400, problem or "Bad Request")
        if not visible.strip():
            return error(400, "Bad Request: message text is empty")
        if len(visible.encode("utf-16-le")) // 2 > 4096:
            return error(400, "Bad Request: message is too long")
        last_sent[chat_id] = now
        message_id = next(state.ids)
        state.accepted.append({"chat_id": chat_id, "visible": visible, "at": time.time(), **body})
        return JSONResponse(
            {
                "ok": True,
                "result": {"message_id": message_id, "chat": {"id": chat_id}, "text": visible},
            }
        )

    return Starlette(
        routes=[
            Route("/bot{token}/sendMessage", send_message, methods=["POST"]),
            *_introspection(state),
        ]
    )


# ---------------------------------------------------------------- print-and-mail

_RECIPIENT_FIELDS = ("name", "line1", "postal_code", "city", "country")


def printmail_app(state: FakeState) -> Starlette:
    """A Pingen/Lob-style letter API: /files, /letters, /letters/{id}."""
    files: dict[str, bytes] = {}
    letters: dict[str, dict[str, Any]] = {}

    def error(status: int, code: str, message: str) -> JSONResponse:
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)

    async def guard(request: Request, body: Any) -> JSONResponse | None:
        state.record(request, body)
        step = await _scripted(state)
        if step is not None:
            status = int(step["status"])
            headers = {"Retry-After": str(step["retry_after"])} if "retry_after" in step else None
            return JSONResponse(
                {"error": {"code": step.get("code", "scripted"), "message": "scripted"}},
                status_code=status,
                headers=headers,
            )
        if request.headers.get("authorization") != f"Bearer {state.api_key}":
            return error(401, "unauthorized", "invalid API key")
        return None

    def replay(request: Request) -> JSONResponse | None:
        key = request.headers.get("idempotency-key")
        if key and key in state.idempotency:
            return JSONResponse(state.idempotency[key], status_code=200)
        return None

    async def upload(request: Request) -> Response:
        form = await request.form()
        upload = form.get("file")
        data = await upload.read() if upload is not None and not isinstance(upload, str) else b""
        failure = await guard(request, {"file_bytes": len(data)})
        if failure is not None:
            return failure
        if (answer := replay(request)) is not None:
            return answer
        if not data.startswith(b"%PDF-"):
            return error(422, "invalid_file", "file must be a PDF")
        file_id = f"file_{next(state.ids)}"
        files[file_id] = data
        result = {"id": file_id, "size": len(data)}
        if key := request.headers.get("idempotency-key"):
            state.idempotency[key] = result
        return JSONResponse(result, status_code=201)

    async def create(request: Request) -> Response:
        body = await _json(request)
        failure = await guard(request, body)
        if failure is not None:
            return failure
        if (answer := replay(request)) is not None:
            return answer
        if not isinstance(body, dict) or body.get("file_id") not in files:
            return error(422, "validation_error", "file_id does not name an uploaded file")
        recipient = body.get("recipient") or {}
        for name in _RECIPIENT_FIELDS:
            if not recipient.get(name):
                return error(422, "validation_error", f"recipient.{name} is required")
        letter_id = f"ltr_{next(state.ids)}"
        letter = {"id": letter_id, "status": "submitted", **body}
        letters[letter_id] = letter
        state.accepted.append({"at": time.time(), "pdf": files[body["file_id"]], **letter})
        result = {"id": letter_id, "status": "submitted"}
        if key := request.headers.get("idempotency-key"):
            state.idempotency[key] = result
        return JSONResponse(result, status_code=201)

    async def show(request: Request) -> Response:
        failure = await guard(request, None)
        if failure is not None:
            return failure
        letter = letters.get(request.path_params["letter_id"])
        if letter is None:
            return error(404, "not_found", "no such letter")
        return JSONResponse(
            {"id": letter["id"], "status": letter["status"], "status_reason": letter.get("reason")}
        )

    async def set_status(request: Request) -> Response:
        letter = letters[request.path_params["letter_id"]]
        body = await request.json()
        letter["status"], letter["reason"] = body["status"], body.get("reason")
        return JSONResponse(letter | {"pdf": None})

    return Starlette(
        routes=[
            Route("/v1/files", upload, methods=["POST"]),
            Route("/v1/letters", create, methods=["POST"]),
            Route("/v1/letters/{letter_id}", show, methods=["GET"]),
            Route("/_fake/letters/{letter_id}/status", set_status, methods=["POST"]),
            *_introspection(state),
        ]
    )


# ---------------------------------------------------------------- running them


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[no-untyped-def]
        yield


class FakeServer:
    """A fake provider served by uvicorn in a background thread on a free loopback port."""

    def __init__(self, app: Starlette, state: FakeState) -> None:
        self.state = state
        self.port = free_port()
        self.server = _Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None, lifespan="off")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeServer:
        self.thread.start()
        wait_for(lambda: port_open(self.port), timeout=15, what="fake provider to listen")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def fake_brevo(**state: Any) -> FakeServer:
    fake_state = FakeState(api_key=BREVO_KEY, **state)
    return FakeServer(brevo_app(fake_state), fake_state)


def fake_telegram(**state: Any) -> FakeServer:
    fake_state = FakeState(api_key=TELEGRAM_TOKEN, **state)
    return FakeServer(telegram_app(fake_state), fake_state)


def fake_printmail(**state: Any) -> FakeServer:
    fake_state = FakeState(api_key=PRINTMAIL_KEY, **state)
    return FakeServer(printmail_app(fake_state), fake_state)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run one fake provider in the foreground.")
    parser.add_argument("provider", choices=["brevo", "telegram", "printmail"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    factories = {"brevo": (brevo_app, BREVO_KEY), "telegram": (telegram_app, TELEGRAM_TOKEN)}
    factories["printmail"] = (printmail_app, PRINTMAIL_KEY)
    make_app, key = factories[args.provider]
    state = FakeState(api_key=key, latency=args.latency)
    uvicorn.run(
        make_app(state), host="127.0.0.1", port=args.port, log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()
