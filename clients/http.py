"""The one HTTP client every remote call goes through: each call carries a W3C ``traceparent``
(the current trace, a new span) and is reported to a ``CallObserver`` by system, operation,
outcome and duration.

Clients name their calls with ``call_labels(system, operation)`` in the request's extensions;
an unnamed call is reported as system ``other``, operation = its method.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import httpx

from clients.tracing import current_trace, new_trace

CALL_LABELS = "pms_sync.call"
TIMEOUT = "timeout"
UNREACHABLE = "unreachable"
FAILED = "error"  # anything else that stopped the call (cancelled, refused before sending)


class CallObserver(Protocol):
    def remote_call(self, system: str, operation: str, outcome: str, seconds: float) -> None: ...


class NoCallObserver:
    def remote_call(self, system: str, operation: str, outcome: str, seconds: float) -> None:
        return None


def call_labels(system: str, operation: str) -> dict[str, Any]:
    """Request extensions naming a call for the observer."""
    return {CALL_LABELS: (system, operation)}


def outcome_of(status_code: int) -> str:
    """``2xx``, ``3xx``, ``4xx`` or ``5xx``."""
    return f"{status_code // 100}xx"


class TracedClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` whose every ``send`` is traced and observed.

    ``send`` is where every ``request``/``get``/``post`` ends up, whichever transport or proxy
    mount then carries it, so no call escapes. A call retried by an auth flow (a renewed service
    token) is one call here, as the client that made it sees it.
    """

    def __init__(self, *, observer: CallObserver | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.observer: CallObserver = observer or NoCallObserver()

    async def send(self, request: httpx.Request, **options: Any) -> httpx.Response:
        system, operation = request.extensions.get(CALL_LABELS, ("other", request.method))
        request.headers["traceparent"] = (current_trace() or new_trace()).traceparent()
        started = time.perf_counter()
        outcome = FAILED
        try:
            response = await super().send(request, **options)
            outcome = outcome_of(response.status_code)
            return response
        except httpx.TimeoutException:
            outcome = TIMEOUT
            raise
        except httpx.TransportError:
            outcome = UNREACHABLE
            raise
        finally:
            self.observer.remote_call(system, operation, outcome, time.perf_counter() - started)


def remote_http_client(
    *,
    transport: httpx.AsyncBaseTransport | None,
    timeout: float,
    observer: CallObserver | None = None,
) -> TracedClient:
    """The service's shared connection pool for every remote system."""
    return TracedClient(
        observer=observer,
        transport=transport,
        timeout=timeout,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        follow_redirects=False,
    )
