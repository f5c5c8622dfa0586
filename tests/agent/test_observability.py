"""The agent's /healthz and /metrics: who may read them, and the figures after a known sequence of calls."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.routing import Mount

from agent.logs import LOG_DIR
from agent.observability import METRICS_TOKEN, AgentMetrics
from tests.agent.helpers import API_KEYS, ClientFactory

TOKEN = "scrape-token-0123456789"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def observed_app(make_app: Callable[..., Starlette]) -> Starlette:
    return make_app(metrics_token=TOKEN)


async def scrape(app: Starlette, make_client: ClientFactory) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with make_client(app, authorization=f"Bearer {TOKEN}") as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return samples(response.text)


async def test_healthz_answers_without_a_key_or_a_database(
    make_app: Callable[..., Starlette], make_client: ClientFactory, tmp_path: Path
) -> None:
    app = make_app(database_url=f"sqlite:///{tmp_path / 'missing' / 'aderant.db'}")
    async with make_client(app, authorization=None) as http:
        liveness = await http.get("/healthz")
        readiness = await http.get("/v1/health", headers={"Authorization": f"Bearer {API_KEYS[0]}"})

    assert (liveness.status_code, liveness.json()) == (200, {"status": "ok"})
    assert readiness.status_code == 503  # readiness still says the database is down


async def test_healthz_answers_get_only(client: httpx2.AsyncClient) -> None:
    assert (await client.post("/healthz")).status_code == 405


async def test_metrics_is_not_served_without_a_configured_token(
    agent_app: Starlette, make_client: ClientFactory
) -> None:
    async with make_client(agent_app, authorization=f"Bearer {API_KEYS[0]}") as http:
        response = await http.get("/metrics")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "authorization", [None, f"Bearer {API_KEYS[0]}", f"Bearer {TOKEN}x", f"Basic {TOKEN}", "Bearer "]
)
async def test_metrics_needs_the_metrics_token(
    observed_app: Starlette, make_client: ClientFactory, authorization: str | None
) -> None:
    async with make_client(observed_app, authorization=authorization) as http:
        response = await http.get("/metrics")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="metrics"'
    assert "pms_sync_agent" not in response.text


async def test_metrics_token_does_not_open_the_api(observed_app: Starlette, make_client: ClientFactory) -> None:
    async with make_client(observed_app, authorization=f"Bearer {TOKEN}") as http:
        response = await http.get("/v1/health")

    assert response.status_code == 401


async def test_requests_are_counted_by_route_template_method_and_status(
    observed_app: Starlette, make_client: ClientFactory
) -> None:
    async with make_client(observed_app) as http:
        await http.get("/v1/matters/82001")
        await http.get("/v1/matters/82002")
        await http.get("/v1/matters/999999")
        await http.get("/v1/matters", params={"q": "82001"})
        await http.delete("/v1/matters/82001")
    async with make_client(observed_app, authorization="Bearer wrong") as http:
        await http.get("/v1/matters/82001")
        await http.get("/no/such/path")

    figures = await scrape(observed_app, make_client)

    def requests(route: str, method: str, status: str) -> float:
        labels = (("method", method), ("route", route), ("status", status))
        return figures.get(("pms_sync_agent_http_requests_total", labels), 0.0)

    assert requests("/v1/matters/{matter_number}", "GET", "200") == 2
    assert requests("/v1/matters/{matter_number}", "GET", "404") == 1
    assert requests("/v1/matters/{matter_number}", "GET", "401") == 1
    assert requests("/v1/matters/{matter_number}", "DELETE", "405") == 1
    assert requests("/v1/matters", "GET", "200") == 1
    assert requests("unmatched", "GET", "401") == 1
    assert not any("82001" in str(key) for key in figures)  # no raw path becomes a label
    histogram_count = ("pms_sync_agent_http_request_duration_seconds_count", (("route", "/v1/matters/{matter_number}"),))
    assert figures[histogram_count] == 5


async def test_database_reads_are_timed_and_failures_counted(
    make_app: Callable[..., Starlette], make_client: ClientFactory, tmp_path: Path
) -> None:
    healthy = make_app(metrics_token=TOKEN)
    broken = make_app(database_url=f"sqlite:///{tmp_path / 'missing' / 'aderant.db'}", metrics_token=TOKEN)
    async with make_client(healthy) as http:
        await http.get("/v1/matters/82001")
        await http.get("/v1/matters/82001/parties")
        await http.get("/v1/health")
    async with make_client(broken) as http:
        await http.get("/v1/matters/82001")
        await http.get("/v1/matters/82001")
        await http.get("/v1/matters", params={"q": "acme"})

    good, bad = await scrape(healthy, make_client), await scrape(broken, make_client)

    count = "pms_sync_agent_database_query_duration_seconds_count"
    failures = "pms_sync_agent_database_query_failures_total"
    assert {op: good[(count, (("operation", op),))] for op in ("matter", "parties", "health")} == {
        "matter": 1, "parties": 1, "health": 1,
    }
    assert good[("pms_sync_agent_database_query_duration_seconds_bucket", (("le", "+Inf"), ("operation", "matter")))] == 1
    assert not any(name == failures for name, _ in good)
    assert bad[(failures, (("operation", "matter"),))] == 2
    assert bad[(failures, (("operation", "search"),))] == 1
    assert bad[(count, (("operation", "matter"),))] == 2


class FakeRelay:
    connected = False


def test_relay_state_is_reported_only_when_a_relay_is_watched() -> None:
    metrics, relay = AgentMetrics(), FakeRelay()
    assert "pms_sync_agent_relay_connected" not in metrics.text().decode()

    metrics.watch_relay(relay)
    offline = samples(metrics.text().decode())[("pms_sync_agent_relay_connected", ())]
    relay.connected = True
    online = samples(metrics.text().decode())[("pms_sync_agent_relay_connected", ())]

    assert (offline, online) == (0.0, 1.0)


def test_each_app_keeps_its_own_figures(make_app: Callable[..., Starlette]) -> None:
    first, second = make_app(), make_app()
    first.state.metrics.request_finished("/v1/health", "GET", 200, 0.01)

    assert "/v1/health" in first.state.metrics.text().decode()
    assert "/v1/health" not in second.state.metrics.text().decode()


async def test_healthz_stays_open_when_the_agent_is_mounted_under_a_prefix(
    agent_app: Starlette, make_client: ClientFactory
) -> None:
    host = Starlette(routes=[Mount("/aderant", app=agent_app)])
    async with make_client(host, authorization=None) as http:
        liveness = await http.get("/aderant/healthz")
        guarded = await http.get("/aderant/v1/health")

    assert (liveness.status_code, guarded.status_code) == (200, 401)


def test_readme_lists_every_metric_and_setting() -> None:
    readme = (Path(__file__).parents[2] / "agent" / "README.md").read_text(encoding="utf-8")
    metrics = AgentMetrics()
    metrics.watch_relay(FakeRelay())
    exported = {
        family.name + ("_total" if family.type == "counter" else "")
        for family in metrics.registry.collect()
    }

    listed = set(re.findall(r"^\| `(pms_sync_agent_\w+)` \|", readme, re.MULTILINE))

    assert listed == exported
    for setting in (METRICS_TOKEN, LOG_DIR):
        assert f"| `{setting}` |" in readme
