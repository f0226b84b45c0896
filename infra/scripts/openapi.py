"""The API's OpenAPI document for the console's generated client, built from the app itself.

`make ui-client` writes ui/openapi.json and regenerates ui/src/api/schema.d.ts from it;
tests/ui/test_api_client.py fails while either is out of date with the API.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vault03_api.main import create_app
from vault03_api.settings import ApiSettings

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "ui" / "openapi.json"


def document() -> str:
    """The OpenAPI document as the API serves it at /openapi.json, pretty-printed."""
    app = create_app(ApiSettings())
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if ui/openapi.json is stale")
    args = parser.parse_args()
    text = document()
    if args.check:
        if DOCUMENT.read_text(encoding="utf-8") != text:
            print(f"{DOCUMENT.relative_to(ROOT)} is out of date: run `make ui-client`")
            return 1
        return 0
    DOCUMENT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
