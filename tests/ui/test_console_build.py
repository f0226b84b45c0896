"""The console's own checks: its API client is generated from today's API, it typechecks
(strict), it lints clean (ESLint: type-aware rules, accessibility, hooks), its unit tests pass,
and its first load stays within the JavaScript budget."""

from __future__ import annotations

import gzip
import re

from infra.scripts.openapi import DOCUMENT, document
from tests.support.console import built, installed, run_pnpm

INITIAL_JS_BUDGET = 200 * 1024  # bytes of gzip, issue 17


def test_openapi_document_is_up_to_date_with_the_api() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == document(), (
        "ui/openapi.json is out of date with the API: run `make ui-client` and commit the result"
    )


def test_generated_client_types_follow_the_openapi_document() -> None:
    installed()
    done = run_pnpm("api:check")
    assert done.returncode == 0, done.stdout + done.stderr


def test_typecheck_lint_and_unit_tests() -> None:
    installed()
    for script in ("typecheck", "lint", "test"):
        done = run_pnpm(script)
        assert done.returncode == 0, f"pnpm {script}:\n{done.stdout}{done.stderr}"


def test_initial_javascript_within_budget() -> None:
    dist = built()
    index = (dist / "index.html").read_text()
    scripts = re.findall(r'<script[^>]*src="/assets/([^"]+\.js)"', index)
    preloads = re.findall(r'rel="modulepreload"[^>]*href="/assets/([^"]+\.js)"', index)
    assert scripts, index
    size = sum(len(gzip.compress((dist / "assets" / n).read_bytes())) for n in scripts + preloads)
    print(f"initial JavaScript: {size / 1024:.1f} KB gzip (budget {INITIAL_JS_BUDGET // 1024} KB)")
    assert size <= INITIAL_JS_BUDGET


def test_the_built_page_has_no_inline_script() -> None:
    index = (built() / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", index), index
    assert "https://" not in index


def test_the_page_has_a_favicon_from_this_origin() -> None:
    dist = built()
    index = (dist / "index.html").read_text()
    icon = re.search(r'<link rel="icon"[^>]*href="/assets/([^"]+\.svg)"', index)
    assert icon, index  # a file the strict policy allows, not a data: URL
    assert (dist / "assets" / icon.group(1)).read_text().startswith("<svg")
