"""``GET /metrics``: the service's figures in Prometheus text format, for the firm's monitoring.

Each app has its own registry (no global state), so several apps in one process stay apart.
Counters are this process's since it started; the audit backlog and the schedules' last successes
are read from the database at each scrape, so every replica reports the same, true figures.

Served only to a scraper holding ``PMS_SYNC_METRICS_TOKEN`` (as ``Authorization: Bearer …``);
without that setting the route answers 404 as if it did not exist. Labels never carry ids from a
URL: requests are counted by route template (``/matters/{matter_number}/preview``).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from plugin.operations import operations_figures
from plugin.services import Services

PREFIX = "pms_sync"
REMOTE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
NEEDS_TOKEN = "A valid metrics token is needed: send it as Authorization: Bearer <token>."


class ServiceMetrics:
    """The app's registry and the figures the service reports into it (as the ``CallObserver``
    of its HTTP client and the ``Telemetry`` of its use cases)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.requests = Counter(
            f"{PREFIX}_http_requests", "Requests answered, by route template, method and status.",
            ["route", "method", "status"], registry=self.registry,
        )
        self.request_seconds = Histogram(
            f"{PREFIX}_http_request_duration_seconds", "Time to answer a request, by route template.",
            ["route"], buckets=REQUEST_BUCKETS, registry=self.registry,
        )
        self.remote_calls = Counter(
            f"{PREFIX}_remote_calls", "Calls to remote systems, by system, operation and outcome "
            "(2xx, 3xx, 4xx, 5xx, timeout, unreachable, error).",
            ["system", "operation", "outcome"], registry=self.registry,
        )
        self.remote_seconds = Histogram(
            f"{PREFIX}_remote_call_duration_seconds", "Time a remote call took, by system and operation.",
            ["system", "operation"], buckets=REMOTE_BUCKETS, registry=self.registry,
        )
        self.imports = Counter(f"{PREFIX}_imports", "Imports by outcome.", ["outcome"], registry=self.registry)
        self.schedule_runs = Counter(
            f"{PREFIX}_schedule_runs", "Scheduled runs and Run now, by outcome.", ["outcome"], registry=self.registry
        )
        self.delivery_failures = Counter(
            f"{PREFIX}_audit_delivery_failures", "Failed attempts to deliver an audit event to a SIEM webhook.",
            registry=self.registry,
        )
        self._store: StoreFigures | None = None

    def request_finished(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.request_seconds.labels(route).observe(seconds)

    def remote_call(
        self, system: str, operation: str, outcome: str, seconds: float,
        *, environment_id: int | None = None, database_ok: bool | None = None,
    ) -> None:
        """Labels never carry environment ids; Settings → Status keeps the per-environment figures."""
        self.remote_calls.labels(system, operation, outcome).inc()
        self.remote_seconds.labels(system, operation).observe(seconds)

    def import_finished(self, outcome: str) -> None:
        self.imports.labels(outcome).inc()

    def schedule_run_finished(self, outcome: str) -> None:
        self.schedule_runs.labels(outcome).inc()

    def audit_delivery_failed(self) -> None:
        self.delivery_failures.inc()

    def watch(self, services: Services) -> None:
        """Report the figures kept in the database (while the app runs)."""
        self.forget_store()
        self._store = StoreFigures(services)
        self.registry.register(self._store)

    def forget_store(self) -> None:
        if self._store is not None:
            self.registry.unregister(self._store)
            self._store = None

    def text(self) -> bytes:
        return generate_latest(self.registry)


class StoreFigures(Collector):
    """Figures read from the database at each scrape."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def collect(self) -> Iterator[GaugeMetricFamily]:
        figures = operations_figures(self._services.store)
        yield GaugeMetricFamily(
            f"{PREFIX}_audit_backlog_events",
            "Audit events waiting for delivery to a SIEM webhook (once per webhook that waits for them).",
            value=figures.audit_backlog,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_audit_backlog_oldest_age_seconds",
            "Age of the oldest audit event waiting for delivery (0 when none waits).",
            value=figures.audit_backlog_oldest_age,
        )
        last = GaugeMetricFamily(
            f"{PREFIX}_schedule_last_success_timestamp_seconds",
            "When each environment's schedule last finished a successful run (Unix time).",
            labels=["environment_id"],
        )
        for environment_id, finished in sorted(figures.schedule_last_success.items()):
            last.add_metric([str(environment_id)], finished.timestamp())
        yield last


def routes(metrics: ServiceMetrics, token: str) -> list[Route]:
    async def serve_metrics(request: Request) -> Response:
        if not token:
            return PlainTextResponse("Not Found", status_code=404)
        if not _bearer_matches(request.headers.get("authorization", ""), token):
            return PlainTextResponse(NEEDS_TOKEN, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        body = await asyncio.to_thread(metrics.text)  # the store figures query the database
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return [Route("/metrics", serve_metrics)]


def _bearer_matches(header: str, token: str) -> bool:
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())

