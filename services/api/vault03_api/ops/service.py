"""The system's state at a glance, for the console's status page."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from vault03_api.deliveries.service import count_by_status, dead_letters, outbox_backlog
from vault03_api.health import DatabaseProbe, run_checks
from vault03_api.ops.backup import read_markers
from vault03_api.ops.schemas import (
    BackupOut,
    CheckOut,
    DeadLetterOut,
    DeliveryQueueOut,
    SystemStatusOut,
)
from vault03_api.settings import ApiSettings
from vault03_common.events import DeliveryStatus
from vault03_common.nats_link import NatsLink

# The VaultBackupTooOld alert's limit (infra/prometheus/rules/vault03.yml): a daily backup
# with two hours of slack.
BACKUP_MAX_AGE = timedelta(hours=26)
DEAD_LETTERS_SHOWN = 20


def system_status(
    session: Session,
    *,
    probe: DatabaseProbe,
    link: NatsLink,
    settings: ApiSettings,
    now: datetime,
) -> SystemStatusOut:
    """The health checks, the delivery queue with its dead letters, and the last backups."""
    checks = run_checks(probe=probe, link=link, settings=settings)
    by_status = dict.fromkeys(DeliveryStatus, 0)
    for (_channel, status), count in count_by_status(session).items():
        by_status[DeliveryStatus(status)] += count
    waiting, oldest = outbox_backlog(session, now=now)
    dead = dead_letters(session, limit=DEAD_LETTERS_SHOWN)
    backups = [
        BackupOut(kind=kind, last_success_at=moment, too_old=now - moment > BACKUP_MAX_AGE)
        for kind, moment in sorted(read_markers(settings.backup_dir).items())
    ]
    return SystemStatusOut(
        healthy=all(check.ok for check in checks.values()),
        checks={name: CheckOut(**check.as_json()) for name, check in checks.items()},
        deliveries=DeliveryQueueOut(
            by_status=by_status,
            waiting=waiting,
            oldest_waiting_seconds=oldest,
            dead_letters=[DeadLetterOut.model_validate(d, from_attributes=True) for d in dead],
        ),
        backups=backups,
        backup_max_age_hours=BACKUP_MAX_AGE.total_seconds() / 3600,
    )
