"""The links and access codes a message carries never reach the database files in clear.

A delivery row keeps its payload without them (`[not kept]` in their place: the record of what
was sent, and to whom) and, while a worker may still need it, the whole payload sealed under
the master key (`deliveries.sealed`). The key ring lives outside the data directory and every
backup, so a copy of the database, its WAL or a backup opens no share and sets no password.
Once a worker is done with the message the sealed copy is dropped.
"""

from __future__ import annotations

import json
from typing import Any

from vault03_api import sealing
from vault03_api.keyring import KeyRing

SECRET_CONTEXT_KEYS = ("link", "access_code")
SECRET_TEXT_KINDS = frozenset({"access_code"})  # an SMS whose whole text is the secret
NOT_KEPT = "[not kept]"


def purpose(delivery_id: str) -> str:
    """The associated data a delivery's payload is sealed with (binds it to its row)."""
    return f"delivery {delivery_id}"


def without_secrets(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` with its links and access codes replaced by `NOT_KEPT`."""
    kept = dict(payload)
    context = kept.get("context")
    if isinstance(context, dict):
        kept["context"] = {
            key: NOT_KEPT if key in SECRET_CONTEXT_KEYS and value else value
            for key, value in context.items()
        }
    if kind in SECRET_TEXT_KINDS and "text" in kept:
        kept["text"] = NOT_KEPT
    return kept


def seal_payload(ring: KeyRing, *, delivery_id: str, payload: dict[str, Any]) -> str:
    """The whole payload sealed under the current master key."""
    data = json.dumps(payload, separators=(",", ":")).encode()
    return sealing.seal(ring, data, purpose=purpose(delivery_id))


def open_payload(ring: KeyRing, *, delivery_id: str, sealed: str) -> dict[str, Any]:
    """The payload sealed by `seal_payload` for this delivery."""
    opened: dict[str, Any] = json.loads(sealing.unseal(ring, sealed, purpose=purpose(delivery_id)))
    return opened
