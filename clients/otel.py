"""Optional OpenTelemetry export of the service's traces: a server span per request, a client span
per remote call, an internal span per scheduled run or round of SIEM delivery.

Off unless OpenTelemetry's own environment variables ask for it (an OTLP endpoint,
``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, or
``OTEL_TRACES_EXPORTER=otlp``; ``OTEL_SDK_DISABLED=true`` wins) and the ``otel`` extra is installed.
The SDK reads the rest of its standard variables itself (service name, headers, batching).

The spans belong to the trace ``clients.tracing`` already keeps: their trace id is the request id
people quote, and the span id of a client span is the one its call sends in ``traceparent``, so a
collector joins our spans with those of the systems we call.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from clients.tracing import current_trace, new_span_id

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

log = logging.getLogger(__name__)

ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")

_provider: TracerProvider | None = None
_tracer: Tracer | None = None


def wanted(environ: Mapping[str, str]) -> bool:
    """Whether the standard variables ask for trace export."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return "otlp" in {name.strip() for name in exporter.split(",")}
    return any(environ.get(name, "").strip() for name in ENDPOINTS)


def enable_from_environment(environ: Mapping[str, str] = os.environ) -> bool:
    """Start exporting over OTLP/HTTP when the variables ask for it; whether export is on."""
    if not wanted(environ):
        return False
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning("OpenTelemetry export is asked for, but its packages are not installed: pip install 'pms-sync[otel]'")
        return False
    provider = tracer_provider()
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    enable(provider)
    log.info("exporting traces over OTLP")
    return True


def tracer_provider() -> TracerProvider:
    """A provider whose new traces take the id of the current ``clients.tracing`` trace."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.id_generator import IdGenerator

    class CurrentTraceIds(IdGenerator):
        def generate_span_id(self) -> int:
            return random.getrandbits(64) or 1

        def generate_trace_id(self) -> int:
            trace = current_trace()
            return int(trace.trace_id, 16) if trace else random.getrandbits(128) or 1

    return TracerProvider(resource=Resource.create({"service.name": "pms-sync"}), id_generator=CurrentTraceIds())


def enable(provider: TracerProvider) -> None:
    global _provider, _tracer
    _provider, _tracer = provider, provider.get_tracer("pms_sync")


def shutdown() -> None:
    """Stop exporting, after sending the spans still waiting in their batch."""
    global _provider, _tracer
    if _provider is not None:
        _provider.shutdown()
    _provider, _tracer = None, None


@contextmanager
def server_span(method: str, traceparent: str | None) -> Iterator[Span | None]:
    """The span of one request, a child of the caller's span when it sent a valid ``traceparent``;
    ``finish`` names it by its route once routing has found it."""
    if _tracer is None:
        yield None
        return
    from opentelemetry.trace import SpanKind
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    parent = TraceContextTextMapPropagator().extract({"traceparent": traceparent} if traceparent else {})
    with _tracer.start_as_current_span(
        method, context=parent, kind=SpanKind.SERVER, attributes={"http.request.method": method},
        record_exception=False,  # the error is logged with its reference; the span says it failed
    ) as span:
        yield span


@contextmanager
def client_span(system: str, operation: str, attributes: Mapping[str, Any]) -> Iterator[tuple[str, Span | None]]:
    """The span of one remote call, and the span id its ``traceparent`` carries."""
    if _tracer is None:
        yield new_span_id(), None
        return
    from opentelemetry.trace import SpanKind

    with _tracer.start_as_current_span(
        f"{system} {operation}", kind=SpanKind.CLIENT,
        attributes={"pms_sync.system": system, "pms_sync.operation": operation, **attributes},
    ) as span:
        yield f"{span.get_span_context().span_id:016x}", span


@contextmanager
def internal_span(name: str) -> Iterator[None]:
    """The span of work no request started (a scheduled run, a round of SIEM delivery)."""
    if _tracer is None:
        yield
        return
    with _tracer.start_as_current_span(name):
        yield


def finish(
    span: Span | None, *, status_code: int | None, error: str | None, route: str | None = None, method: str = ""
) -> None:
    """Record how the request or call ended: a request's route (its span is then named by its method
    and route), its HTTP status when there was an answer, and ``error`` (the status or what stopped
    it) when it failed."""
    if span is None:
        return
    if route is not None:
        span.update_name(f"{method} {route}".strip())
        span.set_attribute("http.route", route)
    if status_code is not None:
        span.set_attribute("http.response.status_code", status_code)
    if error is not None:
        from opentelemetry.trace import Status, StatusCode

        span.set_attribute("error.type", error)
        span.set_status(Status(StatusCode.ERROR, error))
