"""Per request: its trace, its request id on the answer, its count in the metrics, and an
unexpected error answered with a reference people can quote.

The trace is the caller's (a W3C ``traceparent``), else a new one; its trace id is the request id.
It is current while the request runs, so log lines carry it and every remote call sends it on
(``clients.http``), and the answer carries it as ``X-Request-Id``.
"""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plugin.tracing import enter_trace, finish, leave_trace, server_span, trace_from
from views.metrics import ServiceMetrics
from views.request_limits import refuse

log = logging.getLogger("pms_sync.requests")

UNMATCHED = "unmatched"


def unexpected_error(reference: str) -> str:
    return (
        "PMS Sync could not answer because of an unexpected error on its side. Try again; if it happens "
        f"again, tell your administrator. Reference: {reference}"
    )


def route_template(scope: Scope) -> str:
    """The template of the route that answered (or would have answered) the request: the label
    requests are counted under, never the raw path with its ids."""
    route = scope.get("route")
    if route is None:
        app = scope.get("app")
        candidates = getattr(getattr(app, "router", None), "routes", ())
        route = next((r for r in candidates if r.matches(scope)[0] is not Match.NONE), None)
    return getattr(route, "path", None) or UNMATCHED


class RequestContext:
    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        traceparent = Headers(scope=scope).get("traceparent")
        trace = trace_from(traceparent)
        token = enter_trace(trace)
        started = time.perf_counter()
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["x-request-id"] = trace.trace_id
            await send(message)

        try:
            with server_span(scope["method"], traceparent) as span:
                try:
                    await self.app(scope, receive, send_with_id)
                except Exception:
                    log.exception("Unexpected error answering %s %s", scope["method"], route_template(scope))
                    if status is not None:  # too late to answer: the connection is dropped
                        raise
                    await refuse(scope, send_with_id, 500, unexpected_error(trace.trace_id))
                finally:
                    seconds = time.perf_counter() - started
                    route, answered = route_template(scope), status or 500
                    self.metrics.request_finished(route, scope["method"], answered, seconds)
                    # A server span fails from 500 up (OpenTelemetry's HTTP conventions).
                    finish(
                        span, status_code=answered, error=str(answered) if answered >= 500 else None,
                        route=route, method=scope["method"],
                    )
        finally:
            leave_trace(token)
