"""The API application: factory, lifespan (migrations, relay, status consumer) and entry point."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI
from prometheus_client import REGISTRY, make_asgi_app

from vault03_api import __version__
from vault03_api.db import create_db_engine
from vault03_api.deliveries.relay import OutboxRelay
from vault03_api.deliveries.status import StatusConsumer
from vault03_api.errors import install_error_handlers
from vault03_api.keyring import ensure_master_key
from vault03_api.migrations import upgrade_database
from vault03_api.nats_link import NatsLink
from vault03_api.ops.metrics import DeliveryCollector
from vault03_api.ops.router import router as ops_router
from vault03_api.settings import ApiSettings
from vault03_api.state import AppState
from vault03_api.webhooks.router import router as webhooks_router
from vault03_common.logging import configure_logging

log = logging.getLogger(__name__)


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """Build the API; nothing touches disk or network until the lifespan starts."""
    settings = settings or ApiSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for directory in (settings.data_dir, settings.files_dir):
            directory.mkdir(parents=True, exist_ok=True)
        ensure_master_key(settings.keys_dir)
        engine = create_db_engine(settings.database_path)
        await asyncio.to_thread(
            upgrade_database,
            engine,
            database=settings.database_path,
            backup_dir=settings.backup_dir,
        )
        link = NatsLink(settings.nats_url)
        link.start()
        app.state.vault03 = AppState(settings=settings, engine=engine, nats=link)
        relay = OutboxRelay(
            engine=engine,
            link=link,
            poll_seconds=settings.outbox_poll_seconds,
            batch_size=settings.outbox_batch_size,
        )
        collector = DeliveryCollector(engine)
        REGISTRY.register(collector)
        tasks = [
            asyncio.create_task(relay.run(), name="outbox-relay"),
            asyncio.create_task(StatusConsumer(engine=engine, link=link).run(), name="status"),
        ]
        log.info("api started", extra={"version": __version__, "port": settings.port})
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            relay.close()
            REGISTRY.unregister(collector)
            await link.close()
            engine.dispose()
            log.info("api stopped")

    app = FastAPI(title="VAULT03", version=__version__, lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(ops_router)
    app.include_router(webhooks_router)
    app.mount("/metrics", make_asgi_app())
    return app


def main() -> None:
    """Run the API with uvicorn on the configured address (port 8041 by default)."""
    settings = ApiSettings()
    configure_logging(service="api", level=settings.log_level, log_file=settings.log_file)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        proxy_headers=True,
        timeout_graceful_shutdown=20,
    )
