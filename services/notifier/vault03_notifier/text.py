"""Telegram text: spans rendered for HTML or MarkdownV2 with the escaping each needs, and
messages split under Telegram's 4096-character limit (counted after entity parsing, in
UTF-16 code units, so the split works on the visible text, before escaping).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from typing import Literal

MAX_MESSAGE_UNITS = 4096
ParseMode = Literal["HTML", "MarkdownV2", "plain"]

# MarkdownV2: these must be escaped with a preceding backslash outside code entities.
_MARKDOWN_SPECIAL = re.compile(r"([_*\[\]()~`>#+\-=|{}.!\\])")
# Inside `code`, only the backtick and the backslash are escaped.
_MARKDOWN_CODE_SPECIAL = re.compile(r"([`\\])")


@dataclass(frozen=True)
class Span:
    """A run of text with one style."""

    text: str
    bold: bool = False
    code: bool = False


def utf16_units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def escape_html(text: str) -> str:
    """Text safe inside Telegram HTML (only <, > and & are special there)."""
    return html.escape(text, quote=False)


def escape_markdown_v2(text: str) -> str:
    """Text safe in MarkdownV2 outside entities."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def escape_markdown_v2_code(text: str) -> str:
    """Text safe inside a MarkdownV2 code entity."""
    return _MARKDOWN_CODE_SPECIAL.sub(r"\\\1", text)


def render(spans: list[Span], mode: ParseMode) -> str:
    """The message text for `sendMessage` in the given parse mode."""
    out: list[str] = []
    for span in spans:
        if mode == "plain":
            out.append(span.text)
        elif mode == "HTML":
            text = escape_html(span.text)
            if span.code:
                text = f"<code>{text}</code>"
            if span.bold:
                text = f"<b>{text}</b>"
            out.append(text)
        else:
            if span.code:
                text = f"`{escape_markdown_v2_code(span.text)}`"
            else:
                text = escape_markdown_v2(span.text)
            if span.bold:
                text = f"*{text}*"
            out.append(text)
    return "".join(out)


def _fit(text: str, room: int) -> int:
    """How many characters of `text` fit in `room` units, cut at a line or word if possible."""
    used = fit = 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > room:
            break
        used += size
        fit += 1
    if fit == len(text):
        return fit
    for boundary in ("\n", " "):
        position = text.rfind(boundary, 0, fit)
        if position >= fit // 2:
            return position + 1
    return fit


def split_spans(spans: list[Span], limit: int = MAX_MESSAGE_UNITS) -> list[list[Span]]:
    """Spans grouped into messages of at most `limit` visible units each, none empty."""
    messages: list[list[Span]] = []
    current: list[Span] = []
    used = 0

    def flush() -> None:
        nonlocal current, used
        if "".join(span.text for span in current).strip():
            messages.append(current)
        current, used = [], 0

    for span in spans:
        text = span.text
        while text:
            size = utf16_units(text)
            if size <= limit - used:
                current.append(replace(span, text=text))
                used += size
                break
            if current and size <= limit:
                flush()  # the span fits whole in a message of its own: do not cut it
                continue
            cut = _fit(text, limit - used)
            if cut == 0:
                flush()
                continue
            current.append(replace(span, text=text[:cut]))
            flush()
            text = text[cut:]
    flush()
    return messages
