"""GET /metrics: who may read it, and what it says after real work against the sandbox."""

from __future__ import annotations

import re
import time

from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from plugin.settings import Settings
from tests.telemetry.conftest import METRICS_TOKEN, MakeService, scrape, value
from tests.views.conftest import AGENT_KEY, Service
from views.app import create_app


def test_without_a_token_configured_metrics_do_not_exist(make_service: MakeService) -> None:
    service = make_service()
    assert service.client.get("/metrics").status_code == 404
    assert service.client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


def test_only_the_configured_token_reads_the_metrics(service: Service) -> None:
    refused = [
        service.client.get("/metrics"),
        service.client.get("/metrics", headers={"Authorization": "Bearer wrong-token"}),
        service.client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}x"}),
        service.client.get("/metrics", headers={"Authorization": f"Basic {METRICS_TOKEN}"}),
    ]
    assert [r.status_code for r in refused] == [401] * 4
    assert refused[0].headers["www-authenticate"].startswith("Bearer")
    assert METRICS_TOKEN not in refused[1].text

    answer = service.client.get("/metrics", headers={"Authorization": f"bearer {METRICS_TOKEN}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    assert METRICS_TOKEN not in answer.text
    names = {family.name for family in text_string_to_metric_families(answer.text)}
    assert {"process_cpu_seconds", "process_resident_memory_bytes", "pms_sync_audit_backlog_events"} <= names


def test_search_preview_and_import_move_the_counters_by_route_template(service: Service) -> None:
    before = scrape(service.client)
    headers = service.bearer()
    assert service.client.get("/api/v1/matters", params={"q": "82001"}, headers=headers).status_code == 200
    assert service.client.get("/api/v1/matters/82001/preview", headers=headers).status_code == 200
    imported = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    assert imported.status_code == 201, imported.text
    assert service.client.get("/api/v1/matters/NO-SUCH-MATTER/preview", headers=headers).status_code == 404

    after = scrape(service.client)
    requests = "pms_sync_http_requests_total"
    for route, method, status in [
        ("/api/v1/matters", "GET", "200"),
        ("/api/v1/matters/{matter_number}/preview", "GET", "200"),
        ("/api/v1/matters/{matter_number}/import", "POST", "201"),
        ("/api/v1/matters/{matter_number}/preview", "GET", "404"),
    ]:
        assert value(after, requests, route=route, method=method, status=status) == 1, (route, status)
    assert value(after, "pms_sync_imports_total", outcome="imported") - value(before, "pms_sync_imports_total", outcome="imported") == 1

    calls = "pms_sync_remote_calls_total"
    for system, operation in [
        ("aderant", "search_matters"),
        ("aderant", "get_matter"),
        ("identity", "token"),
        ("clio_operate", "create_work_item"),
    ]:
        assert value(after, calls, system=system, operation=operation, outcome="2xx") >= 1, (system, operation)
    assert value(after, calls, system="aderant", operation="get_matter", outcome="4xx") == 1  # the missing matter
    searched = value(after, "pms_sync_remote_call_duration_seconds_count", system="aderant", operation="search_matters")
    assert searched >= 1
    assert value(
        after, "pms_sync_remote_call_duration_seconds_bucket", system="aderant", operation="search_matters", le="+Inf"
    ) == searched

    labels = {v for (_, pairs) in after for _, v in pairs}
    assert not [v for v in labels if "82001" in v or "NO-SUCH" in v], "a matter number in a label"
    text = service.client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
    assert AGENT_KEY not in text and "Bearer" not in text


def test_a_refused_request_is_counted_under_its_route(service: Service) -> None:
    big = "x" * (2 * 1024 * 1024)
    refused = service.client.post("/api/v1/matters/82001/import", content=big, headers={"Content-Type": "application/json"})
    assert refused.status_code == 413
    service.client.get("/no/such/page/82001")
    found = scrape(service.client)
    assert value(found, "pms_sync_http_requests_total", route="/api/v1/matters/{matter_number}/import", method="POST", status="413") == 1
    assert value(found, "pms_sync_http_requests_total", route="unmatched", method="GET", status="404") == 1


def test_run_now_counts_the_run_and_its_success_time(service: Service) -> None:
    env = next(e for e in service.store.environments(service.organisation_id) if e.is_default)
    assert ("pms_sync_schedule_last_success_timestamp_seconds", (("environment_id", str(env.id)),)) not in scrape(service.client)
    started = time.time()
    runner = service.client.app.state.runtime.runner  # type: ignore[attr-defined]
    report = service.client.portal.call(runner.run_now, service.organisation_id, env.id)  # type: ignore[union-attr]
    assert report.outcome == "succeeded", report.errors
    found = scrape(service.client)
    assert value(found, "pms_sync_schedule_runs_total", outcome="succeeded") == 1
    last = value(found, "pms_sync_schedule_last_success_timestamp_seconds", environment_id=str(env.id))
    assert last >= started - 1  # the run's own finish time (stored to the second at worst)


def test_each_app_has_its_own_registry(database_url: str) -> None:
    settings = Settings(database_url=database_url, metrics_token=METRICS_TOKEN)
    first, second = TestClient(create_app(settings)), TestClient(create_app(settings))  # no lifespan: no database figures
    for _ in range(3):
        assert first.get("/healthz").status_code == 200
    healthz = {"route": "/healthz", "method": "GET", "status": "200"}
    assert value(scrape(first), "pms_sync_http_requests_total", **healthz) == 3
    assert value(scrape(second), "pms_sync_http_requests_total", **healthz) == 0
    assert re.search(r"^process_cpu_seconds_total ", second.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text, re.M)
