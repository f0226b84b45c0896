from __future__ import annotations

import pytest

from tests.support.fakes import telegram_visible_text
from vault03_notifier.text import (
    Span,
    escape_markdown_v2,
    render,
    split_spans,
    utf16_units,
)

NASTY = "Disk 95% full! path=/var/lib_x [a](b) *x* _y_ `z` ~s~ >q #1 +2 -3 =4 |5| {6}. \\ <b>&amp;"


@pytest.mark.parametrize("mode", ["HTML", "MarkdownV2"])
def test_escaped_text_parses_back_to_the_original(mode: str) -> None:
    spans = [Span("Alert: ", bold=True), Span(NASTY), Span(" code_with`tick\\", code=True)]
    visible, problem = telegram_visible_text(render(spans, mode), mode)  # type: ignore[arg-type]
    assert problem is None
    assert visible == "Alert: " + NASTY + " code_with`tick\\"


def test_unescaped_markdown_is_what_telegram_refuses() -> None:
    visible, problem = telegram_visible_text("Disk 95% full.", "MarkdownV2")
    assert visible is None and problem is not None and "reserved" in problem
    assert escape_markdown_v2("a.b") == "a\\.b"


def test_html_mode_escapes_only_what_html_needs() -> None:
    assert render([Span('<a> & "q"')], "HTML") == '&lt;a&gt; &amp; "q"'
    assert render([Span("x", bold=True, code=True)], "HTML") == "<b><code>x</code></b>"


def test_short_text_is_one_message() -> None:
    assert split_spans([Span("hello")]) == [[Span("hello")]]


def test_long_text_splits_at_line_ends_under_the_limit() -> None:
    lines = [f"line {index:04d} " + "x" * 90 for index in range(100)]
    text = "\n".join(lines)
    parts = split_spans([Span(text)])
    assert len(parts) == 3
    joined = "".join(span.text for part in parts for span in part)
    assert joined == text
    for part in parts:
        part_text = "".join(span.text for span in part)
        assert utf16_units(part_text) <= 4096
    assert "".join(span.text for span in parts[0]).endswith("\n")


def test_unbroken_text_is_cut_hard_and_surrogates_count_double() -> None:
    parts = split_spans([Span("😀" * 3000)])
    assert [utf16_units(part[0].text) for part in parts] == [4096, 1904]


def test_styles_survive_a_split() -> None:
    spans = [Span("T", bold=True), Span(" " + "y" * 5000)]
    parts = split_spans(spans, limit=4096)
    assert parts[0][0] == Span("T", bold=True)
    assert sum(utf16_units(span.text) for part in parts for span in part) == 5002


def test_whitespace_only_parts_are_dropped() -> None:
    assert split_spans([Span("\n\n")]) == []
