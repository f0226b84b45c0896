"""Payloads of deliveries still in flight are sealed under the master key: listed in
keys/registry.py so that rotation reseals them and a version still sealing one is never
retired."""

from __future__ import annotations

from vault03_api.deliveries.models import Delivery
from vault03_api.deliveries.sealed import purpose
from vault03_api.keyuse import sealed_column_use

DELIVERY_PAYLOADS = sealed_column_use(
    name="delivery payloads",
    table=Delivery.__table__,  # type: ignore[attr-defined]
    key_column="id",
    column="sealed",
    purpose=lambda delivery_id: purpose(str(delivery_id)),
)
