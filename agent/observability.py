"""The agent's own monitoring: ``GET /healthz`` (liveness) and ``GET /metrics`` (Prometheus text).

``/healthz`` answers without a key and without touching the database: it only shows that the
process answers (readiness, with the database, is ``GET /v1/health``). ``/metrics`` is served only
to a scraper holding ``PMS_AGENT_METRICS_TOKEN`` as ``Authorization: Bearer …``: without that
setting it answers 404 as if it did not exist, and a wrong token gets 401. Each app has its own
registry, so several apps in one process stay apart. Requests are counted by route template
(``/v1/matters/{matter_number}``), never by raw path, so labels carry no matter numbers.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Protocol, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.auth import bearer_matches
from agent.responses import error_response, json_response

PREFIX = "pms_sync_agent"
METRICS_TOKEN = "PMS_AGENT_METRICS_TOKEN"
OPEN_PATHS = frozenset({"/healthz", "/metrics"})
"""Paths the API key does not guard: liveness needs nothing, /metrics has its own token."""
REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 55.0)
QUERY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
UNMATCHED = "unmatched"

T = TypeVar("T")


class RelayState(Protocol):
    """What the metrics read of a relay listener (agent/relay/listener.py)."""

    @property
    def connected(self) -> bool: ...


class AgentMetrics:
    """The app's registry and the figures the agent reports into it."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            f"{PREFIX}_http_requests", "Requests answered, by route template, method and status.",
            ["route", "method", "status"], registry=self.registry,
        )
        self.request_seconds = Histogram(
            f"{PREFIX}_http_request_duration_seconds", "Time to answer a request, by route template.",
            ["route"], buckets=REQUEST_BUCKETS, registry=self.registry,
        )
        self.query_seconds = Histogram(
            f"{PREFIX}_database_query_duration_seconds",
            "Time the database took for one request's statements, by operation, failed ones included.",
            ["operation"], buckets=QUERY_BUCKETS, registry=self.registry,
        )
        self.query_failures = Counter(
            f"{PREFIX}_database_query_failures", "Database reads that failed, by operation.",
            ["operation"], registry=self.registry,
        )
        self._relay: RelayCollector | None = None

    def request_finished(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.request_seconds.labels(route).observe(seconds)

    def timed_query(self, operation: str, work: Callable[[], T]) -> T:
        """Run ``work`` (a database read) and record its time, and its failure if it raises."""
        started = time.perf_counter()
        try:
            return work()
        except Exception:
            self.query_failures.labels(operation).inc()
            raise
        finally:
            self.query_seconds.labels(operation).observe(time.perf_counter() - started)

    def watch_relay(self, relay: RelayState) -> None:
        """Report the relay control channel's state (only when the agent listens on a relay)."""
        if self._relay is not None:
            self.registry.unregister(self._relay)
        self._relay = RelayCollector(relay)
        self.registry.register(self._relay)

    def text(self) -> bytes:
        return generate_latest(self.registry)


class RelayCollector(Collector):
    def __init__(self, relay: RelayState) -> None:
        self._relay = relay

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            f"{PREFIX}_relay_connected",
            "1 while the Azure Relay control channel is open, 0 while the listener reconnects.",
            value=1.0 if self._relay.connected else 0.0,
        )


class RequestMetrics:
    """Counts every HTTP request, refused ones included (so it wraps the API key check)."""

    def __init__(self, app: ASGIApp, metrics: AgentMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers when the app raises before answering

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            seconds = time.perf_counter() - started
            self.metrics.request_finished(route_template(scope), scope["method"], status, seconds)


def route_template(scope: Scope) -> str:
    """The template of the route that answers the request (the raw path never becomes a label)."""
    routes = getattr(getattr(scope.get("app"), "router", None), "routes", ())
    route = next((r for r in routes if r.matches(scope)[0] is not Match.NONE), None)
    return getattr(route, "path", None) or UNMATCHED


async def healthz(request: Request) -> Response:
    return json_response({"status": "ok"})


def metrics_endpoint(metrics: AgentMetrics, token: str) -> Callable[[Request], Awaitable[Response]]:
    async def serve_metrics(request: Request) -> Response:
        if not token:
            return error_response(404, "Not Found")
        if not bearer_matches(request.headers.get("authorization", ""), [token]):
            return error_response(
                401, "A valid metrics token is needed: send it as Authorization: Bearer <token>",
                {"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        return Response(metrics.text(), media_type=CONTENT_TYPE_LATEST)

    return serve_metrics
