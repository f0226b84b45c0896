"""Staff views of shares: each share with its status and deliveries, the access log as CSV,"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from vault03_api.csvtext import BATCH_ROWS, csv_text
from vault03_api.db import read_only_session
from vault03_api.deliveries.models import Delivery
from vault03_api.shares import service
from vault03_api.shares.models import Permission, Share, ShareAccess, ShareDelivery
from vault03_api.shares.schemas import AccessOut, DeliveryOut, SharedFileOut, ShareOut

CSV_COLUMNS = ("id", "at", "event", "outcome", "ip", "user_agent", "file_id", "file_name")


def delivery_out(link: ShareDelivery, delivery: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        purpose=link.purpose,
        channel=delivery.channel,
        kind=delivery.kind,
        recipient=delivery.recipient,
        status=delivery.status,
        attempts=delivery.attempts,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        updated_at=delivery.updated_at,
    )


def shares_out(session: Session, shares: list[Share], *, now: datetime) -> list[ShareOut]:
    """Shares as staff see them, with their latest link and code deliveries and every
    reminder."""
    latest: dict[tuple[int, str], DeliveryOut] = {}
    reminders: dict[int, list[DeliveryOut]] = {}
    ids = [share.id for share in shares if share.id is not None]
    for link, delivery in service.share_deliveries(session, share_ids=ids):  # oldest first
        if link.purpose == "reminder":
            reminders.setdefault(link.share_id, []).append(delivery_out(link, delivery))
        else:
            latest[(link.share_id, link.purpose)] = delivery_out(link, delivery)
    documents = service.shared_documents(session, share_ids=ids)
    out = []
    for share in shares:
        assert share.id is not None
        permissions = [
            permission
            for permission, allowed in (
                (Permission.DOWNLOAD, share.can_download),
                (Permission.UPLOAD, share.can_upload),
            )
            if allowed
        ]
        data = share.model_dump(exclude={"token_hash", "code_hash"})
        out.append(
            ShareOut.model_validate(
                {
                    **data,
                    "permissions": permissions,
                    "status": service.share_status(share, now=now),
                    "link_delivery": latest.get((share.id, "link")),
                    "code_delivery": latest.get((share.id, "code")),
                    "reminder_deliveries": reminders.get(share.id, []),
                    "whole_vault": share.id not in documents,
                    "files": [
                        shared_file_out(document) for document in documents.get(share.id, [])
                    ],
                }
            )
        )
    return out


def shared_file_out(document: service.SharedDocument) -> SharedFileOut:
    newest = document.newest
    return SharedFileOut(
        lineage=document.lineage,
        file_id=document.live.id if document.live else None,
        name=newest.name if newest else "(purged)",
        size=newest.size if newest else 0,
        content_type=newest.content_type if newest else "application/octet-stream",
        available=document.live is not None,
    )


def access_out(row: ShareAccess) -> AccessOut:
    return AccessOut.model_validate(row, from_attributes=True)


def access_csv(engine: Engine, *, share_id: int) -> Iterator[str]:
    """The share's access log as CSV, newest first, read in batches."""
    return csv_text(CSV_COLUMNS, _access_batches(engine, share_id=share_id))


def _access_batches(engine: Engine, *, share_id: int) -> Iterator[list[list[Any]]]:
    before_id: int | None = None
    while True:
        with read_only_session(engine) as session:
            rows = service.access_log(
                session, share_id=share_id, limit=BATCH_ROWS, before_id=before_id
            )
        if not rows:
            return
        dumped = [access_out(row).model_dump() for row in rows]
        yield [["" if values[c] is None else values[c] for c in CSV_COLUMNS] for values in dumped]
        before_id = rows[-1].id
