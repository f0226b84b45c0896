"""Metrics read from the database at scrape time, so they stay true while the relay is stuck."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from vault03_api.clock import utcnow
from vault03_api.db import session_scope
from vault03_api.deliveries.service import count_by_status, outbox_backlog


class DeliveryCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with session_scope(self.engine) as session:
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
