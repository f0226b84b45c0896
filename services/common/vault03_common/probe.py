"""`python -m vault03_common.probe URL`: a container health probe (slim images have no curl)."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 4.0


def probe(url: str, *, timeout: float = TIMEOUT_SECONDS) -> str | None:
    """None when `url` answers 2xx, otherwise why it did not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310  (http only)
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return f"{url} answered {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"{url} unreachable: {exc}"
    return None if 200 <= status < 300 else f"{url} answered {status}"


def main(argv: list[str] | None = None) -> int:
    """Exit 0 when the URL is healthy, 1 (with the reason on stderr) otherwise."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].startswith("http://"):
        print("usage: python -m vault03_common.probe http://HOST:PORT/PATH", file=sys.stderr)
        return 2
    failure = probe(args[0])
    if failure:
        print(failure, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
