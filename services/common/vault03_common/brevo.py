"""What the Brevo email and SMS clients share: error bodies and rate-limit headers.

Brevo errors carry `{"code": "...", "message": "..."}`; rate-limited endpoints answer with
`x-sib-ratelimit-limit`, `x-sib-ratelimit-remaining` and `x-sib-ratelimit-reset` (seconds
until the window resets), and 429 once the window is spent.
"""

from __future__ import annotations

import httpx

from vault03_common.providers import (
    RateGate,
    json_body,
    raise_for_status,
    retry_after_seconds,
)

PROVIDER = "brevo"
DEFAULT_BASE_URL = "https://api.brevo.com/v3"


def brevo_error(response: httpx.Response) -> tuple[str, str]:
    """Brevo's (code, message) from an error body, tolerating bodies that are not JSON."""
    body = json_body(response)
    code = str(body.get("code") or "unknown")
    message = str(body.get("message") or response.text[:200] or response.reason_phrase)
    return code, message


def note_rate_limit(response: httpx.Response, gate: RateGate) -> float | None:
    """Close the gate when Brevo says the window is spent; on 429, the wait to ask for."""
    reset = retry_after_seconds(response.headers.get("x-sib-ratelimit-reset"))
    retry_after = retry_after_seconds(response.headers.get("retry-after"))
    wait = retry_after if retry_after is not None else reset
    if response.status_code == 429:
        wait = wait if wait is not None else 1.0
        gate.close_for(wait)
        return wait
    if response.headers.get("x-sib-ratelimit-remaining") == "0" and reset is not None:
        gate.close_for(reset)
    return None


def raise_brevo_error(response: httpx.Response, *, retry_after: float | None) -> None:
    """Raise the transient or permanent error a non-2xx Brevo answer stands for."""
    code, message = brevo_error(response)
    raise_for_status(
        response, provider=PROVIDER, error=f"{code}: {message}", retry_after=retry_after
    )


def message_id(response: httpx.Response) -> str | None:
    """`messageId` of a success body (a string for email, a number for SMS)."""
    value = json_body(response).get("messageId")
    return str(value) if value not in (None, "") else None
