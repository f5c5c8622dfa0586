"""What the benchmarks share: the service's own record of its outgoing calls, a use case measured
as a running service would run it, figures over runs (median and worst, every run listed) and
goals checked against them."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx2

from clients.http import pooled_transport
from clients.remote_clients import RemoteClients
from plugin.settings import Settings

if TYPE_CHECKING:
    from benchmarks.import_depth import SandboxControl
    from plugin.environment_clients import EnvironmentClients
    from plugin.services import Services

T = TypeVar("T")


class BenchmarkError(Exception):
    """The benchmark could not measure what it means to measure (exit status 2)."""


class _TimedStream(httpx2.AsyncByteStream):
    """A response body that notes when it has been read to the end (or closed)."""

    def __init__(self, inner: httpx2.AsyncByteStream, done: Callable[[], None]) -> None:
        self._inner = inner
        self._done = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()
        self._done()


class RecordingTransport(httpx2.AsyncBaseTransport):
    """The service's HTTP transport, noting for every outgoing request when it was handed to the
    connection pool and when its answer had been read: the calls as the service saw them, in the
    same shape as the sandbox's call log (`method`, `path`, `started`, `finished`, seconds since
    the epoch), so `sandbox.calls` reads both.

    Its pool is the one `clients.http.remote_http_client` builds for the service's default
    concurrency (`clients.http.pooled_transport`); `ca_bundle` as that function's."""

    def __init__(self, *, concurrency: int = Settings.remote_concurrency, ca_bundle: str = "") -> None:
        self._inner = pooled_transport(concurrency, ca_bundle)
        self._lock = threading.Lock()  # the service records on its thread, the benchmark reads on its own
        self._calls: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        call: dict[str, Any] = {"method": request.method, "path": request.url.path, "started": time.time(),
                                "finished": None}
        with self._lock:
            self._calls.append(call)
        try:
            response = await self._inner.handle_async_request(request)
        except BaseException:
            call["finished"] = time.time()
            raise

        def done() -> None:
            if call["finished"] is None:
                call["finished"] = time.time()

        if not isinstance(response.stream, httpx2.AsyncByteStream):
            raise BenchmarkError("the service's transport answered with a body that is not read asynchronously")
        response.stream = _TimedStream(response.stream, done)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()

    def calls(self, since: float, until: float) -> list[dict[str, Any]]:
        """The calls started in [since, until] whose answers have been read."""
        with self._lock:
            return [dict(c) for c in self._calls if since <= c["started"] <= until and c["finished"] is not None]


@dataclass(frozen=True)
class Measured(Generic[T]):
    """One use case as measured by `measure_use_case`."""

    result: T
    wall: float  # seconds, by the process clock
    started: float  # when it started, in seconds since the epoch (as the call logs)
    calls: list[dict[str, Any]]  # as the sandbox logged them
    service_calls: list[dict[str, Any]]  # as the service's HTTP transport sent them and read their answers
    remotes: EnvironmentClients  # the clients it ran with (closed): for the bounds they were built with


async def measure_use_case(
    store: Any,
    env: Any,
    control: SandboxControl,
    use_case: Callable[[Services], Awaitable[T]],
    *,
    what: str,
    latency: float,
    delayed: Sequence[str],
    ca_bundle: str = "",
) -> Measured[T]:
    """Run ``use_case`` on ``env`` in this process as a running service would: on the service's own
    connection pool, with the service token already cached. Only then is every sandbox call to the
    path patterns ``delayed`` delayed by ``latency`` seconds, and the sandbox's call log cleared.
    A remote failure is a BenchmarkError saying ``what`` failed."""
    from clients.errors import RemoteError
    from plugin.environment_clients import EnvironmentClients
    from plugin.services import Services

    transport = RecordingTransport(ca_bundle=ca_bundle)
    async with httpx2.AsyncClient(transport=transport) as http:
        remotes = EnvironmentClients(RemoteClients(http, timeout=60))
        try:
            await remotes.clio(env).check_token()
            for path in delayed if latency else ():
                control.delay(path, latency)
            control.clear_calls()
            started = time.time()
            clock = time.perf_counter()
            result = await use_case(Services(store, remotes))
            wall = time.perf_counter() - clock
            finished = time.time()
        except RemoteError as exc:
            raise BenchmarkError(f"{what} failed: {exc}") from exc
    await asyncio.sleep(0.05)  # let the sandbox log the last answer it sent
    calls = [c for c in control.calls() if started <= c["started"] <= finished]
    return Measured(result, wall, started, calls, transport.calls(started, finished), remotes)


@dataclass(frozen=True)
class Figure:
    """One measured figure over every run; the higher the worse, unless `higher_is_better`."""

    runs: tuple[float, ...]
    higher_is_better: bool = False

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def worst(self) -> float:
        return min(self.runs) if self.higher_is_better else max(self.runs)

    def show(self, fmt: str = "{:.0f}") -> str:
        """`median / worst (every run)`."""
        return f"{fmt.format(self.median)} / {fmt.format(self.worst)} ({' '.join(fmt.format(v) for v in self.runs)})"


def figure(values: Sequence[float], *, higher_is_better: bool = False) -> Figure:
    return Figure(tuple(values), higher_is_better)


@dataclass(frozen=True)
class Goal:
    """A goal: `what` must be at most (or, with `at_least`, at least) `limit` in `judged` (the
    worst run, or the median)."""

    what: str
    limit: float
    judged: str  # "every run" or "median"
    at_least: bool = False

    def met(self, value: Figure) -> bool:
        judged = value.worst if self.judged == "every run" else value.median
        return judged >= self.limit if self.at_least else judged <= self.limit

    def show(self, fmt: str = "{:.0f}") -> str:
        return f"{'≥' if self.at_least else '≤'} {fmt.format(self.limit)} ({self.judged})"


def verdict(goal: Goal, value: Figure, fmt: str = "{:.0f}") -> tuple[bool, str]:
    """(met, a line saying the figure, the goal and whether it was met)."""
    met = goal.met(value)
    judged = value.worst if goal.judged == "every run" else value.median
    side = "worst" if goal.judged == "every run" else "median"
    line = (f"{'met   ' if met else 'MISSED'}  {goal.what}: {side} {fmt.format(judged)}, goal {goal.show(fmt)}; "
            f"median / worst (runs) {value.show(fmt)}")
    return met, line


def report(checks: Sequence[tuple[bool, str]], *, heading: str = "Goals:", hint: str = "") -> int:
    """Print each goal's line and the verdict; the exit status: 0 every goal met, 1 one missed."""
    print(heading)
    for _, line in checks:
        print(f"  {line}")
    missed = sum(not met for met, _ in checks)
    if missed:
        print(f"MISSED {missed} of {len(checks)} goals{hint}.")
        return 1
    print(f"OK: {len(checks)} of {len(checks)} goals met.")
    return 0


def render(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table, the first column to the left, the others to the right."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


class PeerCounter:
    """A loopback ASGI server's app that answers every request after ``latency`` seconds and counts
    the TCP connections its clients opened: each client address and port is one connection.
    ``GET /_peers`` answers how many since the last ``DELETE /_peers``; neither is counted itself.
    A client's closed connections keep their ports for a minute (TIME_WAIT), so a count spanning
    less than that never mistakes a new connection for an old one."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.peers: set[tuple[str, int]] = set()

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Any], send: Callable[[dict], Any]) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/_peers":
            body = str(len(self.peers)).encode()
            if scope["method"] == "DELETE":
                self.peers.clear()
        else:
            self.peers.add(tuple(scope["client"]))
            if self.latency:
                await asyncio.sleep(self.latency)
            body = b'{"ok": true}'
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
