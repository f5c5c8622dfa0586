"""The one HTTP client every remote call goes through: each call carries a W3C ``traceparent``
(the current trace, a new span) and is reported to a ``CallObserver`` by system, operation,
outcome and duration, and, when the client says so, the environment it was made for and whether
the system behind the remote (the Aderant agent's database) answered.

Clients name their calls with ``call_labels(system, operation, …)`` in the request's extensions;
an unnamed call is reported as system ``other``, operation = its method, no environment.

The stack is httpx2 (its pool is httpcore2), for every client and for Authlib's OpenID Connect
client alike (Authlib builds on httpx2), chosen by ``benchmarks/http_pool.py`` (figures in
benchmarks/README.md). With keep-alive sized to a burst, so that the next burst reuses its
connections, httpx 0.28's pool (httpcore 1.0) spent 4.4-5.8 ms of CPU per request under a fan-out
of 50 to 200 concurrent calls, walking every connection for every request, where httpx2's spent
1.2-2.4 ms, and 0.85-1.3 ms at the service's 64 connections. httpx with the former limits (20 kept
alive) cost 2.1-2.4 ms and reopened up to 80 connections a run. Keeping httpx would have kept
either that cost or a keep-alive smaller than a burst, and a second stack for Authlib. The pool's
bookkeeping pass is our own (``clients.connection_pool``): 0.58-0.64 ms per request at 50 and 200
concurrent calls.
"""

from __future__ import annotations

import select
import ssl
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

import httpcore2
import httpx2

from clients.connection_pool import LeanConnectionPool
from clients.otel import client_span, finish
from clients.tracing import current_trace, new_trace

CALL_LABELS = "pms_sync.call"
CALL_ENVIRONMENT = "pms_sync.environment"
CALL_DATABASE = "pms_sync.database"
TIMEOUT = "timeout"
UNREACHABLE = "unreachable"
FAILED = "error"  # anything else that stopped the call (cancelled, refused before sending)


# Whether an answer shows that the database behind the remote answered (True), failed (False), or
# was not reached at all (None: a refusal before it, or an answer from something in between).
DatabaseAnswer = Callable[[httpx2.Response], bool | None]


class CallObserver(Protocol):
    def remote_call(
        self, system: str, operation: str, outcome: str, seconds: float,
        *, environment_id: int | None = None, database_ok: bool | None = None,
    ) -> None: ...


class NoCallObserver:
    def remote_call(
        self, system: str, operation: str, outcome: str, seconds: float,
        *, environment_id: int | None = None, database_ok: bool | None = None,
    ) -> None:
        return None


class CallObservers:
    """Several observers, each told of every call."""

    def __init__(self, *observers: CallObserver) -> None:
        self._observers = observers

    def remote_call(
        self, system: str, operation: str, outcome: str, seconds: float,
        *, environment_id: int | None = None, database_ok: bool | None = None,
    ) -> None:
        for observer in self._observers:
            observer.remote_call(system, operation, outcome, seconds, environment_id=environment_id, database_ok=database_ok)


def call_labels(
    system: str, operation: str, *, environment_id: int | None = None, database: DatabaseAnswer | None = None
) -> dict[str, Any]:
    """Request extensions naming a call for the observer: the environment it is made for, and how
    to read from an answer whether the remote's database answered."""
    labels: dict[str, Any] = {CALL_LABELS: (system, operation)}
    if environment_id is not None:
        labels[CALL_ENVIRONMENT] = environment_id
    if database is not None:
        labels[CALL_DATABASE] = database
    return labels


@lru_cache(maxsize=4096)
def parsed_url(url: str) -> httpx2.URL:
    """``httpx2.URL(url)``, parsed once per distinct URL: httpx2 parses a string URL character by
    character on every request (about a sixth of the service's CPU per preview), and a parsed URL
    is immutable, so every request to the same address can share it."""
    return httpx2.URL(url)


def outcome_of(status_code: int) -> str:
    """``2xx``, ``3xx``, ``4xx`` or ``5xx``."""
    return f"{status_code // 100}xx"


class TracedClient(httpx2.AsyncClient):
    """``httpx2.AsyncClient`` whose every ``send`` is traced and observed.

    ``send`` is where every ``request``/``get``/``post`` ends up, whichever transport or proxy
    mount then carries it, so no call escapes. A call retried by an auth flow (a renewed service
    token) is one call here, as the client that made it sees it.
    """

    def __init__(self, *, observer: CallObserver | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.observer: CallObserver = observer or NoCallObserver()

    async def send(self, request: httpx2.Request, **options: Any) -> httpx2.Response:
        system, operation = request.extensions.get(CALL_LABELS, ("other", request.method))
        attributes = {"http.request.method": request.method, "server.address": request.url.host}
        with client_span(system, operation, attributes) as (span_id, span):
            request.headers["traceparent"] = (current_trace() or new_trace()).traceparent(span_id)
            database: DatabaseAnswer | None = request.extensions.get(CALL_DATABASE)
            started = time.perf_counter()
            outcome, database_ok, status_code = FAILED, None, None
            try:
                response = await super().send(request, **options)
                status_code = response.status_code
                outcome = outcome_of(response.status_code)
                database_ok = database(response) if database is not None else None
                return response
            except httpx2.TimeoutException:
                outcome = TIMEOUT
                raise
            except httpx2.TransportError:
                outcome = UNREACHABLE
                raise
            finally:
                self.observer.remote_call(
                    system, operation, outcome, time.perf_counter() - started,
                    environment_id=request.extensions.get(CALL_ENVIRONMENT), database_ok=database_ok,
                )
                # A client span fails from 400 up (OpenTelemetry's HTTP conventions), or when no answer came.
                finish(span, status_code=status_code, error=None if outcome in ("2xx", "3xx") else outcome)


# How long an idle connection is kept for the next call. Staff preview a matter, read it and import
# it: the import's burst of calls then goes over the connections the preview's burst opened, as
# long as the reading took less than this (httpx2's default of 5 s rarely covers it). A server
# closing sooner costs nothing but the reopening: the pool probes a connection before using it
# (clients/connection_pool.py). Servers in front of .NET services keep idle connections for 2 min
# (Kestrel's KeepAliveTimeout) or longer; an inferred figure, not one Clio Operate documents.
KEEPALIVE_SECONDS = 60.0


def pool_options(concurrency: int) -> dict[str, Any]:
    """The pool every remote call goes through, for a service sending at most ``concurrency`` calls
    at once (``Settings.remote_concurrency``, the bound of every fan-out): as many connections are
    kept alive as may be open, for ``KEEPALIVE_SECONDS``, so one burst's connections carry the next
    rather than being closed and opened again; HTTP/2 where a system offers it over TLS (Clio
    Operate), one connection then carrying a whole burst."""
    return {
        "limits": httpx2.Limits(
            max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=KEEPALIVE_SECONDS
        ),
        "http2": True,
    }


# A request's parts waiting to be sent in one write are sent at once beyond this size.
COALESCE_BYTES = 64 * 1024


class ConnectionStream(httpcore2.AsyncNetworkStream):
    """A connection's stream that keeps its socket, and sends an HTTP/1.1 request in one write.

    Whether its socket is readable (a server that closed a kept-alive connection leaves it so) is
    a poll of the socket kept: the stream underneath (anyio's, TLS or not) looked it up through a
    table of its attributes built anew on each ask, calling ``getpeername``, about a seventh of the
    service's CPU under 50 staff's previews (``benchmarks/load.py``).

    httpcore2 writes a request's head and its body separately: two packets, the server reading
    the body a turn of its event loop after the head. A server taking a burst of calls (the sandbox
    with 50 contact searches) read each body only after every other call's head, up to 24 ms later.
    So, as ``http.client`` does, the parts are sent together: written when the answer is first
    read (an HTTP/1.1 client always reads once it has sent), or at ``COALESCE_BYTES``. Not on an
    HTTP/2 connection, where one call's task may be reading while another writes."""

    def __init__(self, stream: httpcore2.AsyncNetworkStream, *, coalesce: bool) -> None:
        self._stream = stream
        self._socket = stream.get_extra_info("socket")
        self._coalesce = coalesce
        self._pending = bytearray()
        self._pending_timeout: float | None = None

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        await self._flush()
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not self._coalesce:
            await self._stream.write(buffer, timeout)
            return
        self._pending += buffer
        self._pending_timeout = timeout
        if len(self._pending) >= COALESCE_BYTES:
            await self._flush()

    async def _flush(self) -> None:
        if self._pending:
            data = bytes(self._pending)
            self._pending.clear()
            await self._stream.write(data, self._pending_timeout)

    async def aclose(self) -> None:
        self._pending.clear()
        await self._stream.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore2.AsyncNetworkStream:
        await self._flush()
        stream = await self._stream.start_tls(ssl_context, server_hostname, timeout)
        tls = stream.get_extra_info("ssl_object")
        return ConnectionStream(stream, coalesce=tls is None or tls.selected_alpn_protocol() != "h2")

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._socket is not None:
            descriptor = self._socket.fileno()
            if descriptor < 0:  # closed: readable, as httpcore2 counts it, its next read being the end
                return True
            poll = select.poll()
            poll.register(descriptor, select.POLLIN)
            return bool(poll.poll(0))
        return self._stream.get_extra_info(info)


class ConnectionBackend(httpcore2.AsyncNetworkBackend):
    """The pool's network backend, its streams ``ConnectionStream``s: plain TCP is HTTP/1.1 here
    (HTTP/2 is offered only over TLS, ``pool_options``)."""

    def __init__(self, backend: httpcore2.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore2.AsyncNetworkStream:
        return ConnectionStream(await self._backend.connect_tcp(*args, **kwargs), coalesce=True)

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore2.AsyncNetworkStream:
        return ConnectionStream(await self._backend.connect_unix_socket(*args, **kwargs), coalesce=True)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def pooled_transport(concurrency: int, ca_bundle: str = "") -> httpx2.AsyncHTTPTransport:
    """The transport of the service's pool (``pool_options``): a ``LeanConnectionPool`` whose
    connections' streams keep their socket (``ConnectionStream``). httpx2 takes neither a pool
    nor a network backend, so the pool it builds is replaced before it opens any connection."""
    options = pool_options(concurrency)
    limits: httpx2.Limits = options["limits"]
    ssl_context = httpx2.create_ssl_context(verify=verification(ca_bundle))
    transport = httpx2.AsyncHTTPTransport(verify=ssl_context, **options)
    transport._pool = LeanConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        http2=options["http2"],
        network_backend=ConnectionBackend(httpcore2.AnyIOBackend()),
    )
    return transport


def verification(ca_bundle: str) -> ssl.SSLContext | bool:
    """httpx's ``verify``: the authorities of ``ca_bundle`` (a PEM file) when given, else the default ones."""
    return ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True


def remote_http_client(
    *,
    transport: httpx2.AsyncBaseTransport | None,
    timeout: float,
    concurrency: int,
    observer: CallObserver | None = None,
    ca_bundle: str = "",
) -> TracedClient:
    """The service's shared connection pool for every remote system (``pool_options``). ``ca_bundle``:
    a PEM file of the authorities to trust instead of the default ones (ignored when ``transport`` is
    given: a transport verifies as it was built to)."""
    return TracedClient(
        observer=observer,
        transport=transport or pooled_transport(concurrency, ca_bundle),
        timeout=timeout,
        verify=verification(ca_bundle),
        follow_redirects=False,
        **pool_options(concurrency),
    )
