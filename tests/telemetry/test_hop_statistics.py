"""Hop statistics: a bounded last hour per environment and hop, from the calls the HTTP client
reports (the Teams alerts built on them: test_status_alerts.py)."""

from __future__ import annotations

import tracemalloc

import httpx2
import pytest

from clients.aderant import AderantAgentClient
from clients.errors import RemoteError
from clients.http import remote_http_client
from plugin import hop_statistics
from plugin.hop_statistics import WINDOW_MINUTES, HopStatistics


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def hop(stats: HopStatistics, key: str, environment_id: int = 1):  # type: ignore[no-untyped-def]
    return next(h for h in stats.summary(environment_id) if h.key == key)


def test_calls_land_on_their_environments_hops_and_unnamed_calls_nowhere() -> None:
    stats = HopStatistics(Clock())
    stats.remote_call("aderant", "search_matters", "2xx", 0.05, environment_id=1, database_ok=True)
    stats.remote_call("identity", "token", "4xx", 0.02, environment_id=1)
    stats.remote_call("identity", "jwks", "2xx", 0.02, environment_id=1)  # sign-in's key look-up: not the token hop
    stats.remote_call("clio_operate", "find_contacts", "timeout", 20.0, environment_id=2)
    stats.remote_call("clio_operate", "find_contacts", "2xx", 0.1)  # no environment: not counted
    stats.remote_call("teams", "post_card", "5xx", 0.1, environment_id=1)

    assert [(h.key, h.calls, h.failures) for h in stats.summary(1)] == [
        ("agent", 1, 0), ("database", 1, 0), ("token", 1, 1), ("api", 0, 0),
    ]
    assert [(h.key, h.calls, h.failures) for h in stats.summary(2)] == [
        ("agent", 0, 0), ("database", 0, 0), ("token", 0, 0), ("api", 1, 1),
    ]


def test_the_agents_database_failing_fails_the_database_hop_not_the_agent() -> None:
    stats = HopStatistics(Clock())
    stats.remote_call("aderant", "search_matters", "5xx", 0.01, environment_id=1, database_ok=False)
    stats.remote_call("aderant", "search_matters", "5xx", 0.01, environment_id=1, database_ok=None)  # a gateway's 502
    stats.remote_call("aderant", "search_matters", "4xx", 0.01, environment_id=1, database_ok=True)  # matter not found

    agent, database = hop(stats, "agent"), hop(stats, "database")
    assert (agent.calls, agent.failures) == (3, 1)
    assert (database.calls, database.failures) == (2, 1)


async def test_the_agent_client_says_whether_its_database_answered() -> None:
    seen: list[tuple[str, bool | None]] = []

    class Observer:
        def remote_call(self, system: str, operation: str, outcome: str, seconds: float, *,
                        environment_id: int | None = None, database_ok: bool | None = None) -> None:
            assert environment_id == 7
            seen.append((outcome, database_ok))

    def agent(request: httpx2.Request) -> httpx2.Response:
        answers = {
            "/v1/matters": httpx2.Response(200, json={"items": [], "next_offset": None}),
            "/v1/matters/1": httpx2.Response(503, json={"error": "The Aderant database is not available"}),
            "/v1/matters/2": httpx2.Response(401, json={"error": "bad key"}),
            "/v1/matters/3": httpx2.Response(500, json={"error": "injected fault"}),
        }
        return answers[request.url.path]

    async with remote_http_client(transport=httpx2.MockTransport(agent), timeout=5, concurrency=4, observer=Observer()) as http:
        client = AderantAgentClient(
            base_url="https://agent.test", api_key="k", environment_name="Production", environment_id=7, http=http,
            retry_backoff=0,
        )
        await client.search_matters("x")
        for number in ("1", "2", "3"):
            with pytest.raises(RemoteError):
                await client.get_matter(number)

    assert seen == [
        ("2xx", True),
        ("5xx", False), ("5xx", False),  # 503 is retried once
        ("4xx", None),
        ("5xx", None),
    ]


def test_percentiles_come_from_the_histogram_within_a_quarter_and_never_above_the_slowest_call() -> None:
    stats = HopStatistics(Clock())
    for seconds in [0.1] * 90 + [2.0] * 10:
        stats.remote_call("clio_operate", "x", "2xx", seconds, environment_id=1)
    api = hop(stats, "api")
    assert api.p50 is not None and 0.1 <= api.p50 < 0.1 * 1.25
    assert api.p95 == 2.0, "capped at the slowest call"
    assert api.error_rate == 0.0
    assert hop(stats, "agent").p50 is None and hop(stats, "agent").error_rate is None


def test_the_last_hour_is_kept_a_minute_at_a_time_and_older_minutes_drop_out() -> None:
    clock = Clock()
    stats = HopStatistics(clock)
    for minute in range(WINDOW_MINUTES + 30):
        stats.remote_call("clio_operate", "x", "5xx" if minute < 30 else "2xx", 0.2, environment_id=1)
        clock.now += 60

    clock.now -= 60  # still in the last call's minute
    api = hop(stats, "api")
    assert (api.calls, api.failures) == (WINDOW_MINUTES, 0), "the failing half hour is over an hour ago"
    assert len(api.minutes) == WINDOW_MINUTES and api.minutes[-1].minutes_ago == 0
    assert all(point.calls == 1 for point in api.minutes)

    clock.now += 30 * 60
    api = hop(stats, "api")
    assert api.calls == 30 and [p.calls for p in api.minutes[:30]] == [1] * 30 and api.minutes[-1].calls == 0


def test_memory_held_stays_bounded_however_long_the_service_runs() -> None:
    clock = Clock()
    stats = HopStatistics(clock)

    def run(minutes: int) -> int:
        """Bytes the statistics hold after a call a minute for `minutes` more minutes."""
        for _ in range(minutes):
            stats.remote_call("clio_operate", "x", "2xx", 0.2, environment_id=1)
            clock.now += 60
        held = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(True, hop_statistics.__file__)])
        return sum(stat.size for stat in held.statistics("filename"))

    tracemalloc.start()
    try:
        after_two_hours = run(2 * WINDOW_MINUTES)
        after_a_day = run(22 * WINDOW_MINUTES)
    finally:
        tracemalloc.stop()
    assert after_a_day <= after_two_hours * 1.1, (after_two_hours, after_a_day)


def test_a_failing_streak_counts_failures_in_a_row_and_one_answer_ends_it() -> None:
    stats = HopStatistics(Clock())
    for outcome in ("2xx", "timeout", "unreachable", "5xx"):
        stats.remote_call("aderant", "search_matters", outcome, 0.1, environment_id=1)
    agent = hop(stats, "agent")
    assert agent.failing and agent.failing_streak == 3 and agent.last_outcome == "5xx"
    stats.remote_call("aderant", "search_matters", "2xx", 0.1, environment_id=1)
    agent = hop(stats, "agent")
    assert not agent.failing and (agent.calls, agent.failures) == (5, 3)
