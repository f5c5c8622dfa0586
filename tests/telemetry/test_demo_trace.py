"""`pms-sync demo` over loopback with PMS_SYNC_LOG_FORMAT=json: one import followed by its trace id
through the service's log lines and the sandbox's call log."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx2
import pytest

from tests.e2e.conftest import Demo, running_demo

pytestmark = pytest.mark.e2e

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


@pytest.fixture(scope="module")
def json_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    settings = {"PMS_SYNC_LOG_FORMAT": "json", "PMS_SYNC_LOG_LEVEL": "INFO"}
    with running_demo(tmp_path_factory.mktemp("json-demo"), settings=settings) as started:
        yield started


def test_one_import_carries_one_trace_id_everywhere(json_demo: Demo) -> None:
    token = json_demo.user_token()
    imported = httpx2.post(
        f"{json_demo.service_url}/api/v1/matters/82001/import",
        json={},
        headers={"Authorization": f"Bearer {token}", "traceparent": TRACEPARENT},
        timeout=30,
    )
    assert imported.status_code == 201, imported.text
    assert imported.headers["x-request-id"] == TRACE_ID

    calls = json_demo.control("GET", "/calls").json()["calls"]
    ours = [call for call in calls if call["traceparent"] is not None]  # the test's own token request has none
    assert {call["traceparent"].split("-")[1] for call in ours} == {TRACE_ID}
    assert len({call["traceparent"] for call in ours}) == len(ours), "a new span id per call"
    paths = {call["path"] for call in ours}
    assert {"/aderant/v1/matters/82001", "/production/identity/connect/token", "/production/api/v1/public/workItem"} <= paths

    lines = [json.loads(line) for line in (json_demo.data_dir / "demo.log").read_text().splitlines() if line.startswith("{")]
    traced = [line for line in lines if line["request_id"] == TRACE_ID]
    called = [line for line in traced if line["logger"] == "httpx2"]
    assert len(called) == len(ours), "one log line per remote call of the import, each with its trace id"
    assert all(set(line) >= {"time", "level", "logger", "message"} for line in traced)
