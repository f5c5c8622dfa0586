"""The settle window measured over loopback: the demo as a real process, Clio Operate (the
sandbox's `late` fault) applying the work item's create seconds after answering 504."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx2
import pytest

from tests.e2e.conftest import Demo, running_demo
from tests.e2e.test_import_timeouts import clio_count

pytestmark = pytest.mark.e2e

SETTLE_SECONDS = 8
LATE_SECONDS = 4


@pytest.fixture(scope="module")
def settling_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PMS_SYNC_IMPORT_SETTLE_SECONDS", str(SETTLE_SECONDS))
        with running_demo(tmp_path_factory.mktemp("settling-demo")) as demo:
            yield demo


def test_a_create_landing_within_the_settle_window_is_never_duplicated(settling_demo: Demo) -> None:
    demo = settling_demo
    headers = {"Authorization": f"Bearer {demo.user_token()}"}
    url = f"{demo.service_url}/api/v1/matters/82001/import"
    demo.control("POST", "/faults", json={"path": "/production/api/v1/public/workItem", "method": "POST", "late": LATE_SECONDS, "times": 1})
    try:
        sent = time.monotonic()
        first = httpx2.post(url, json={}, headers=headers, timeout=30)
        assert first.status_code == 504, first.text
        stated = re.search(r"try again after (\d\d:\d\d:\d\d) UTC", first.json()["error"])
        assert stated, first.json()["error"]
        told = datetime.strptime(stated.group(1), "%H:%M:%S").time()
        now = datetime.now(UTC)
        wait = (datetime.combine(now.date(), told, UTC) - now).total_seconds()
        assert SETTLE_SECONDS - 2 <= wait <= SETTLE_SECONDS + 1, wait

        answers = []
        while time.monotonic() - sent < SETTLE_SECONDS + 10:
            retry = httpx2.post(url, json={}, headers=headers, timeout=30)
            answers.append((round(time.monotonic() - sent, 1), retry.status_code))
            if retry.status_code != 409:
                break
            assert "Clio Operate may still be creating this matter; try again after" in retry.json()["error"]
            time.sleep(0.5)
    finally:
        demo.control("DELETE", "/faults")
    settled_after, status = answers[-1]
    print(f"retries refused until {settled_after} s after the first attempt: {answers}")
    assert status == 200 and retry.json()["status"] == "already_imported", retry.text
    assert LATE_SECONDS - 0.5 <= settled_after <= SETTLE_SECONDS + 1
    found = clio_count(demo, "/api/v1/public/workItem/findByQuery", {
        "search": {"page": {"page": 1, "rowsPerPage": 10}, "attributes": [{"key": "aderant-matter-id", "value": "82001"}]},
        "enrich": [{"path": "id"}],
    })
    assert found["totalCount"] == 1 and found["results"][0]["id"] == retry.json()["work_item_id"]
    time.sleep(1)
    assert clio_count(demo, "/api/v1/public/workItem/findByQuery", {
        "search": {"page": {"page": 1, "rowsPerPage": 10}, "attributes": [{"key": "aderant-matter-id", "value": "82001"}]},
        "enrich": [{"path": "id"}],
    })["totalCount"] == 1
