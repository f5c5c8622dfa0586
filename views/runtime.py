"""What the endpoints run with (`Runtime`, kept on ``app.state``), and building it for the life of
an app: the store, the one HTTP client every remote call goes through and the clients built on it,
sign-in, the use cases' dependencies, and the work done in the background (SIEM delivery, due
schedules, Settings → Status's alerts)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx2
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from starlette.templating import Jinja2Templates

from clients.http import CallObservers, remote_http_client
from clients.remote_clients import RemoteClients
from embed_auth.callers import Authenticator
from embed_auth.clocks import Clocks
from embed_auth.environment_access import EnvironmentAccess
from embed_auth.host_token import HostTokenVerifier
from embed_auth.portal_access import PortalAccess
from embed_auth.sessions import SessionManager
from plugin.audit_delivery import AuditDelivery, replica_holder
from plugin.environment_clients import EnvironmentClients
from plugin.hop_statistics import HopStatistics
from plugin.scheduled_runs import SyncRunner
from plugin.services import Services
from plugin.settings import Settings
from plugin.setup import open_store
from plugin.status import AlertThresholds
from plugin.status_alerts import StatusAlerts
from views.metrics import ServiceMetrics


@dataclass
class Runtime:
    """Everything the endpoints need, built in the app's lifespan and kept on ``app.state``."""

    settings: Settings
    services: Services
    auth: Authenticator
    templates: Jinja2Templates
    runner: SyncRunner
    alerts: StatusAlerts  # its hop statistics and thresholds feed Settings → Status


@contextlib.asynccontextmanager
async def running(
    settings: Settings,
    templates: Jinja2Templates,
    metrics: ServiceMetrics,
    hops: HopStatistics,
    *,
    transport: httpx2.AsyncBaseTransport | None,
    scheduler_tick: float,
    clocks: Clocks,
) -> AsyncIterator[Runtime]:
    """The runtime, with its background work running until the block ends."""
    thresholds = AlertThresholds(settings.alert_hop_failures, settings.alert_siem_backlog_minutes, settings.alert_failed_runs)
    store = open_store(settings)
    async with remote_http_client(
        transport=transport,
        timeout=settings.remote_timeout,
        concurrency=settings.remote_concurrency,
        observer=CallObservers(metrics, hops),
        ca_bundle=settings.ca_bundle,
    ) as http:
        remote = RemoteClients(http, timeout=settings.remote_timeout)
        remotes = EnvironmentClients(remote)
        portal = PortalAccess(store, clock=clocks.now)
        verifier = HostTokenVerifier(store, remotes.identity, remotes.clio, jwks_clock=clocks.monotonic, access=portal)
        sessions = SessionManager(
            store, lifetime=timedelta(hours=settings.session_hours), secure=settings.cookie_secure
        )
        services = Services(
            store, remotes, concurrency=settings.remote_concurrency,
            settle=timedelta(seconds=settings.import_settle_seconds), telemetry=metrics,
            settings_recheck=settings.settings_recheck_seconds,
        )
        metrics.watch(services)
        holder = replica_holder()
        runner = SyncRunner(services, holder=holder, public_url=settings.public_url)
        runtime = Runtime(
            settings=settings,
            services=services,
            auth=Authenticator(
                verifier, sessions, EnvironmentAccess(store, remotes.clio, clock=clocks.monotonic, portal=portal),
                clock=clocks.monotonic, now=clocks.now,
            ),
            templates=templates,
            runner=runner,
            alerts=StatusAlerts(
                services, hops, thresholds, public_url=settings.public_url, replica=holder,
                interval=timedelta(seconds=scheduler_tick),
            ),
        )
        stop = asyncio.Event()
        delivery = AuditDelivery(store, remote, holder=holder, telemetry=metrics)
        delivering = asyncio.create_task(delivery.run_forever(stop))
        scheduler = AsyncIOScheduler()
        scheduler.add_job(runner.run_due, "interval", seconds=scheduler_tick, id="schedules", max_instances=1, coalesce=True)
        scheduler.add_job(
            runtime.alerts.check_all, "interval", seconds=scheduler_tick, id="status-alerts",
            max_instances=1, coalesce=True,
        )
        scheduler.start()
        yield runtime
        scheduler.shutdown(wait=False)
        stop.set()
        await delivering
        metrics.forget_store()
    store.close()
