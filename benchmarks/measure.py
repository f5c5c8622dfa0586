"""What the benchmarks share: the service's own record of its outgoing calls, figures over runs
(median and worst, every run listed) and goals checked against them."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx


class _TimedStream(httpx.AsyncByteStream):
    """A response body that notes when it has been read to the end (or closed)."""

    def __init__(self, inner: httpx.AsyncByteStream, done: Callable[[], None]) -> None:
        self._inner = inner
        self._done = done

    async def __aiter__(self):  # type: ignore[override]
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()
        self._done()


class RecordingTransport(httpx.AsyncBaseTransport):
    """The service's HTTP transport, noting for every outgoing request when it was handed to the
    connection pool and when its answer had been read: the calls as the service saw them, in the
    same shape as the sandbox's call log (`method`, `path`, `started`, `finished`, seconds since
    the epoch), so `sandbox.calls` reads both.

    The pool has httpx's default limits (100 connections, 20 kept alive), the limits
    `clients.http.remote_http_client` gives its own pool."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._lock = threading.Lock()  # the service records on its thread, the benchmark reads on its own
        self._calls: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
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

        response.stream = _TimedStream(response.stream, done)  # type: ignore[arg-type]
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()

    def calls(self, since: float, until: float) -> list[dict[str, Any]]:
        """The calls started in [since, until] whose answers have been read."""
        with self._lock:
            return [dict(c) for c in self._calls if since <= c["started"] <= until and c["finished"] is not None]


@dataclass(frozen=True)
class Figure:
    """One measured figure over every run; the higher the worse."""

    runs: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def worst(self) -> float:
        return max(self.runs)

    def show(self, fmt: str = "{:.0f}") -> str:
        """`median / worst (every run)`."""
        return f"{fmt.format(self.median)} / {fmt.format(self.worst)} ({' '.join(fmt.format(v) for v in self.runs)})"


def figure(values: Sequence[float]) -> Figure:
    return Figure(tuple(values))


@dataclass(frozen=True)
class Goal:
    """A goal: `what` must be at most `limit` in `judged` (the worst run, or the median)."""

    what: str
    limit: float
    judged: str  # "every run" or "median"

    def met(self, value: Figure) -> bool:
        return (value.worst if self.judged == "every run" else value.median) <= self.limit

    def show(self, fmt: str = "{:.0f}") -> str:
        return f"≤ {fmt.format(self.limit)} ({self.judged})"


def verdict(goal: Goal, value: Figure, fmt: str = "{:.0f}") -> tuple[bool, str]:
    """(met, a line saying the figure, the goal and whether it was met)."""
    met = goal.met(value)
    judged = value.worst if goal.judged == "every run" else value.median
    side = "worst" if goal.judged == "every run" else "median"
    line = (f"{'met   ' if met else 'MISSED'}  {goal.what}: {side} {fmt.format(judged)}, goal {goal.show(fmt)}; "
            f"median / worst (runs) {value.show(fmt)}")
    return met, line


def render(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table, the first column to the left, the others to the right."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])
