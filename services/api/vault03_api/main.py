"""The API application: factory, lifespan (migrations, relay, status consumer) and entry point."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import uvicorn
from fastapi import Depends, FastAPI
from prometheus_client import REGISTRY
from sqlalchemy import Engine
from starlette.types import ASGIApp

from vault03_api import __version__
from vault03_api.audit.recorder import install_audit_hooks
from vault03_api.auditlog.router import router as audit_router
from vault03_api.auth.access import authorize
from vault03_api.auth.router import router as auth_router
from vault03_api.blobs.storage import BlobStore
from vault03_api.console import install_console
from vault03_api.customers.router import router as customers_router
from vault03_api.db import create_db_engine
from vault03_api.deliveries.relay import OutboxRelay
from vault03_api.deliveries.status import StatusConsumer
from vault03_api.errors import install_error_handlers
from vault03_api.health import DatabaseProbe
from vault03_api.keyring import KeyRingError, KeyRingSource
from vault03_api.keys.service import check_keys
from vault03_api.maintenance.gate import MaintenanceGate
from vault03_api.maintenance.page import install_maintenance_page
from vault03_api.maintenance.router import router as maintenance_router
from vault03_api.migrations import upgrade_database
from vault03_api.openapi import document_refusals
from vault03_api.ops.connections import bounded_http_protocol
from vault03_api.ops.housekeeping import housekeeping_forever
from vault03_api.ops.lock import hold_data_dir
from vault03_api.ops.metrics import (
    DeliveryCollector,
    HealthCollector,
    MaintenanceCollector,
    StorageCollector,
)
from vault03_api.ops.request_metrics import RequestMetrics
from vault03_api.ops.router import HEALTH_PATH, HealthFirst
from vault03_api.ops.router import router as ops_router
from vault03_api.passwords import Passwords
from vault03_api.portal.pages import install_portal_pages
from vault03_api.portal.router import router as portal_router
from vault03_api.settings import ApiSettings
from vault03_api.shares.router import router as shares_router
from vault03_api.state import AppState
from vault03_api.transactions import behind_the_loop, run_write
from vault03_api.users.router import router as users_router
from vault03_api.vaults.maintenance import sweep_orphans
from vault03_api.vaults.router import router as vaults_router
from vault03_api.webhooks.router import router as webhooks_router
from vault03_common.logging import configure_logging
from vault03_common.nats_link import NatsLink

log = logging.getLogger(__name__)


async def _check_keys(engine: Engine, settings: ApiSettings) -> None:
    """Refuse to start without the master keys that the stored data needs."""
    try:
        await run_write(engine, check_keys, keys_dir=settings.keys_dir)
    except KeyRingError as error:
        log.critical("cannot start: %s", error)
        raise


class Vault03Api(FastAPI):
    """FastAPI with health answered in front of its middleware (see ops.router.HealthFirst)."""

    def build_middleware_stack(self) -> ASGIApp:
        return HealthFirst(super().build_middleware_stack(), holder=self)


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """Build the API; nothing touches disk or network until the lifespan starts."""
    settings = settings or ApiSettings()
    install_audit_hooks()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for directory in (settings.data_dir, settings.files_dir):
            directory.mkdir(parents=True, exist_ok=True)
        # File chunks are sealed, written, read and opened on the default executor.
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(thread_name_prefix="io", initializer=behind_the_loop)
        )
        engine = create_db_engine(settings.database_path)
        await asyncio.to_thread(
            upgrade_database,
            engine,
            database=settings.database_path,
            backup_dir=settings.backup_dir,
            default_language=settings.language,
        )
        await _check_keys(engine, settings)
        blobs = BlobStore(settings.files_dir)
        blobs.prepare()
        await asyncio.to_thread(sweep_orphans, engine, blobs)
        link = NatsLink(settings.nats_url, name="vault03-api")
        link.start()
        passwords = Passwords(settings)
        maintenance = MaintenanceGate(engine, ttl_seconds=settings.maintenance_check_seconds)
        health_probe = DatabaseProbe(settings.database_path)
        keys = KeyRingSource(settings.keys_dir)
        app.state.vault03 = AppState(
            settings=settings,
            engine=engine,
            nats=link,
            keys=keys,
            passwords=passwords,
            blobs=blobs,
            maintenance=maintenance,
            health_probe=health_probe,
        )
        relay = OutboxRelay(
            engine=engine,
            link=link,
            keys=keys,
            poll_seconds=settings.outbox_poll_seconds,
            batch_size=settings.outbox_batch_size,
        )
        collectors = [
            DeliveryCollector(engine),
            HealthCollector(probe=health_probe, link=link, settings=settings),
            StorageCollector(settings),
            MaintenanceCollector(engine),
        ]
        for collector in collectors:
            REGISTRY.register(collector)
        tasks = [
            asyncio.create_task(relay.run(), name="outbox-relay"),
            asyncio.create_task(StatusConsumer(engine=engine, link=link).run(), name="status"),
            asyncio.create_task(
                housekeeping_forever(engine, blobs, settings=settings), name="housekeeping"
            ),
        ]
        log.info("api started", extra={"version": __version__, "port": settings.port})
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            relay.close()
            passwords.close()
            maintenance.close()
            health_probe.close()
            for collector in collectors:
                REGISTRY.unregister(collector)
            await link.close()
            engine.dispose()
            log.info("api stopped")

    @contextlib.asynccontextmanager
    async def locked_lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Held while the API runs: restore and vacuum refuse to work under a running API.
        with hold_data_dir(settings.data_dir, "api"):
            async with lifespan(app):
                yield

    # One dependency checks every route against the access policy it declares.
    app = Vault03Api(
        title="VAULT03",
        version=__version__,
        lifespan=locked_lifespan,
        dependencies=[Depends(authorize)],
        docs_url=None,
        redoc_url=None,
        # Starlette's slash redirect writes the request's Host into Location: whoever sends
        # the Host header would choose where the client goes next. Paths are exact instead.
        redirect_slashes=False,
    )
    install_error_handlers(app)
    install_portal_pages(app, office=settings.office)
    install_maintenance_page(app, settings=settings)
    # Requests and latency by route template; pure ASGI, so streamed uploads stay streamed.
    app.add_middleware(
        RequestMetrics,
        app_name="api",
        # Probed every few seconds by Docker, nginx and monitoring: counting those is noise.
        skip_paths=frozenset({"/metrics", HEALTH_PATH}),
    )
    app.include_router(ops_router)
    app.include_router(auth_router)
    app.include_router(users_router)
    app.include_router(audit_router)
    app.include_router(customers_router)
    app.include_router(vaults_router)
    app.include_router(shares_router)
    app.include_router(portal_router)
    app.include_router(webhooks_router)
    app.include_router(maintenance_router)
    install_console(app, settings)
    document_refusals(app)
    return app


# The event loop shares the GIL with the threads that run logins' transactions. Each time the
# loop lets go of it (every SQLite call of a health check, every wait for the network) one of
# them may take it, and the loop waits until that thread lets go or the switch interval ends.
# A shorter interval gives the loop its turn sooner (figures: bench/README.md, login.py).
GIL_SWITCH_INTERVAL_SECONDS = 0.0002
# How long an idle kept-alive connection stays open (nginx's upstream keepalive_timeout is less).
KEEP_ALIVE_SECONDS = 5


def main() -> None:
    """Run the API with uvicorn on the configured address (port 8041 by default)."""
    settings = ApiSettings()
    configure_logging(service="api", level=settings.log_level, log_file=settings.log_file)
    app = create_app(settings)
    # The modules and the app live as long as the process: leave them out of the collector's
    # full passes, which otherwise stall every request for tens of milliseconds (figures:
    # bench/README.md, login.py).
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_SECONDS)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        proxy_headers=True,
        # One list for uvicorn's client address (access log) and for the audit's: nginx's.
        forwarded_allow_ips=settings.trusted_proxies or None,
        timeout_graceful_shutdown=20,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        http=bounded_http_protocol(
            header_seconds=settings.client_header_timeout_seconds,
            body_seconds=settings.client_body_timeout_seconds,
            send_seconds=settings.send_timeout_seconds,
        ),
    )
