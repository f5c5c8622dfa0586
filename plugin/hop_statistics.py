"""Each environment's hops, as the service's own calls found them over the last hour.

`HopStatistics` is a `CallObserver` of the service's HTTP client, so every remote call counts:
searches, previews, imports, scheduled runs and Test connection alike. It keeps, per environment
and hop, one bucket per minute for the last hour (calls, failures, a latency histogram), so its
memory is bounded whatever the traffic. It is this process's own: each replica sees the calls it
made, since it started.

A call fails a hop when it got no answer (timeout, unreachable, cancelled) or a server error
(5xx); the token hop fails on any answer but a 2xx, since a refused client is an outage too. The
agent's own "database not available" answer fails the database hop, not the agent's.
"""

from __future__ import annotations

import bisect
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from clients.http import FAILED, TIMEOUT, UNREACHABLE

HopKey = Literal["agent", "database", "token", "api"]
HOPS: tuple[tuple[HopKey, str], ...] = (
    ("agent", "Aderant agent"),
    ("database", "Aderant agent's database"),
    ("token", "Clio Operate token"),
    ("api", "Clio Operate API"),
)
WINDOW_MINUTES = 60
NO_ANSWER = frozenset({TIMEOUT, UNREACHABLE, FAILED})
# Latency histogram bounds: 1 ms growing by a quarter each step to about 110 s; the percentiles
# read from it are the upper bound of a bin (within 25 %), never above the slowest call seen.
BOUNDS = tuple(0.001 * 1.25**step for step in range(53))


@dataclass
class _Minute:
    minute: int  # minutes since the Unix epoch
    calls: int = 0
    failures: int = 0
    slowest: float = 0.0
    bins: list[int] = field(default_factory=lambda: [0] * (len(BOUNDS) + 1))

    def add(self, seconds: float, failed: bool) -> None:
        self.calls += 1
        self.failures += failed
        self.slowest = max(self.slowest, seconds)
        self.bins[bisect.bisect_left(BOUNDS, seconds)] += 1


@dataclass
class _Hop:
    minutes: deque[_Minute] = field(default_factory=lambda: deque(maxlen=WINDOW_MINUTES))
    failing_streak: int = 0  # failed calls in a row, up to the last one
    last_outcome: str = ""
    last_call_at: float | None = None

    def add(self, minute: int, seconds: float, outcome: str, failed: bool, at: float) -> None:
        if not self.minutes or self.minutes[-1].minute != minute:
            self.minutes.append(_Minute(minute))
        self.minutes[-1].add(seconds, failed)
        self.failing_streak = self.failing_streak + 1 if failed else 0
        self.last_outcome, self.last_call_at = outcome, at


@dataclass(frozen=True)
class MinutePoint:
    minutes_ago: int  # 0: this minute
    calls: int
    failures: int
    p95: float | None  # seconds


@dataclass(frozen=True)
class HopSummary:
    key: HopKey
    label: str
    calls: int
    failures: int
    p50: float | None  # seconds; None without calls
    p95: float | None
    failing_streak: int
    last_outcome: str
    last_call_at: float | None  # Unix time
    minutes: tuple[MinutePoint, ...]  # the last hour, oldest first, one per minute

    @property
    def error_rate(self) -> float | None:
        return self.failures / self.calls if self.calls else None

    @property
    def failing(self) -> bool:
        """Its last call failed."""
        return self.failing_streak > 0


class HopStatistics:
    """The last hour of each environment's hops, in this process (a `CallObserver`)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._hops: dict[tuple[int, HopKey], _Hop] = {}

    def remote_call(
        self, system: str, operation: str, outcome: str, seconds: float,
        *, environment_id: int | None = None, database_ok: bool | None = None,
    ) -> None:
        if environment_id is None:
            return
        failed = outcome in NO_ANSWER or outcome == "5xx"
        if system == "aderant":
            self.record(environment_id, "agent", seconds, outcome, failed and database_ok is not False)
            if database_ok is not None:
                self.record(environment_id, "database", seconds, outcome, not database_ok)
        elif system == "identity" and operation == "token":
            self.record(environment_id, "token", seconds, outcome, outcome != "2xx")
        elif system == "clio_operate":
            self.record(environment_id, "api", seconds, outcome, failed)

    def record(self, environment_id: int, hop: HopKey, seconds: float, outcome: str, failed: bool) -> None:
        now = self._clock()
        self._hops.setdefault((environment_id, hop), _Hop()).add(int(now // 60), seconds, outcome, failed, now)

    def summary(self, environment_id: int) -> tuple[HopSummary, ...]:
        """Every hop of the environment over the last hour, whether it was called or not."""
        now_minute = int(self._clock() // 60)
        return tuple(self._summary(key, label, self._hops.get((environment_id, key)), now_minute) for key, label in HOPS)

    def _summary(self, key: HopKey, label: str, hop: _Hop | None, now_minute: int) -> HopSummary:
        recent = [m for m in (hop.minutes if hop else ()) if now_minute - m.minute < WINDOW_MINUTES]
        by_age = {now_minute - m.minute: m for m in recent}
        points = tuple(
            MinutePoint(age, m.calls, m.failures, _percentile(m.bins, m.slowest, 0.95)) if (m := by_age.get(age))
            else MinutePoint(age, 0, 0, None)
            for age in range(WINDOW_MINUTES - 1, -1, -1)
        )
        merged = [sum(column) for column in zip(*(m.bins for m in recent), strict=True)] if recent else []
        slowest = max((m.slowest for m in recent), default=0.0)
        return HopSummary(
            key=key,
            label=label,
            calls=sum(m.calls for m in recent),
            failures=sum(m.failures for m in recent),
            p50=_percentile(merged, slowest, 0.5),
            p95=_percentile(merged, slowest, 0.95),
            failing_streak=hop.failing_streak if hop else 0,
            last_outcome=hop.last_outcome if hop else "",
            last_call_at=hop.last_call_at if hop else None,
            minutes=points,
        )


def _percentile(bins: list[int], slowest: float, q: float) -> float | None:
    """The upper bound of the bin holding the `q` quantile, capped at the slowest call."""
    total = sum(bins)
    if not total:
        return None
    wanted, seen = q * total, 0
    for index, count in enumerate(bins):
        seen += count
        if seen >= wanted and count:
            return min(BOUNDS[index] if index < len(BOUNDS) else slowest, slowest)
    return slowest
