"""Metrics computed at scrape time, so they stay true whatever else is stuck: the outbox, the
health checks, disk usage, the age of the last good backup, and maintenance."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from vault03_api.clock import utcnow
from vault03_api.db import read_only_session
from vault03_api.deliveries.service import count_by_status, outbox_backlog
from vault03_api.health import DatabaseProbe, run_checks
from vault03_api.maintenance.service import active_window, scheduled_windows
from vault03_api.ops.backup import read_markers
from vault03_api.settings import ApiSettings
from vault03_common.nats_link import NatsLink


class DeliveryCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with read_only_session(self.engine) as session:
            depth, age = outbox_backlog(session, now=utcnow())
            by_status = count_by_status(session)
        yield GaugeMetricFamily(
            "vault03_outbox_depth", "Deliveries waiting to be published to NATS.", value=depth
        )
        yield GaugeMetricFamily(
            "vault03_outbox_oldest_age_seconds",
            "Age of the oldest delivery waiting to be published.",
            value=age,
        )
        deliveries = GaugeMetricFamily(
            "vault03_deliveries", "Deliveries by channel and status.", labels=["channel", "status"]
        )
        for (channel, status), count in sorted(by_status.items()):
            deliveries.add_metric([channel, status], count)
        yield deliveries


class HealthCollector(Collector):
    """The /api/health checks, run at every scrape (not only when someone asks /api/health)."""

    def __init__(self, *, probe: DatabaseProbe, link: NatsLink, settings: ApiSettings) -> None:
        self.probe = probe
        self.link = link
        self.settings = settings

    def collect(self) -> Iterator[GaugeMetricFamily]:
        checks = run_checks(probe=self.probe, link=self.link, settings=self.settings)
        by_check = GaugeMetricFamily(
            "vault03_api_health_check_ok", "1 when a health check passes.", labels=["check"]
        )
        for name, check in checks.items():
            by_check.add_metric([name], 1 if check.ok else 0)
        yield by_check
        yield GaugeMetricFamily(
            "vault03_api_healthy",
            "1 when /api/health answers 200.",
            value=1 if all(check.ok for check in checks.values()) else 0,
        )


class StorageCollector(Collector):
    """Disk usage of the data and backup volumes, and when each kind of backup last succeeded."""

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[GaugeMetricFamily]:
        used = GaugeMetricFamily(
            "vault03_disk_used_bytes", "Bytes used on the volume.", labels=["volume"]
        )
        size = GaugeMetricFamily(
            "vault03_disk_size_bytes", "Size of the volume in bytes.", labels=["volume"]
        )
        volumes = {"data": self.settings.data_dir, "backup": self.settings.backup_dir}
        for volume, path in volumes.items():
            if not path.is_dir():
                continue
            usage = shutil.disk_usage(path)
            used.add_metric([volume], usage.used)
            size.add_metric([volume], usage.total)
        yield used
        yield size
        last = GaugeMetricFamily(
            "vault03_backup_last_success_timestamp_seconds",
            "Unix time of the last good backup, by kind (local, offsite).",
            labels=["kind"],
        )
        for kind, moment in sorted(read_markers(self.settings.backup_dir).items()):
            last.add_metric([kind], moment.timestamp())
        yield last


class MaintenanceCollector(Collector):
    """Whether maintenance is on (alerts that a planned window explains stay quiet, see the
    Prometheus rules), its announced end, and the next scheduled start."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        # A read-only transaction: a scrape never queues for the write lock.
        with read_only_session(self.engine) as session:
            running = active_window(session)
            scheduled = scheduled_windows(session)
        yield GaugeMetricFamily(
            "vault03_maintenance_active",
            "1 while maintenance is on (the API answers 503 to all but admins).",
            value=0 if running is None else 1,
        )
        end = GaugeMetricFamily(
            "vault03_maintenance_end_timestamp_seconds",
            "Unix time the maintenance that is on was announced to end.",
        )
        if running is not None:
            end.add_metric([], running.ends_at.timestamp())
        yield end
        upcoming = GaugeMetricFamily(
            "vault03_maintenance_next_start_timestamp_seconds",
            "Unix time the next scheduled maintenance window starts.",
        )
        if scheduled:
            upcoming.add_metric([], scheduled[0].starts_at.timestamp())
        yield upcoming
