"""The request's trace, for the service's edge (views/): the trace a request enters and leaves
(`clients/tracing.py`, whose id is the request id in log lines and on error pages) and its server
span when OpenTelemetry export is on (`clients/otel.py`). The remote clients send the current trace
on with every call; views/ reaches tracing here, never through `clients/` itself."""

from __future__ import annotations

from clients.otel import enable_from_environment, finish, server_span, shutdown
from clients.tracing import current_trace_id, enter_trace, leave_trace, trace_from

__all__ = [
    "current_trace_id",
    "enable_from_environment",
    "enter_trace",
    "finish",
    "leave_trace",
    "server_span",
    "shutdown",
    "trace_from",
]
