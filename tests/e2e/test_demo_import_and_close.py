"""The demo process against its stricter sandbox tenant: 82001 imports, and once it is closed in
Aderant, close-sync walks its work item to the closed phase through the public phase routes."""

from __future__ import annotations

import re
import sqlite3

import httpx2
import pytest

from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e


def test_82001_imports_then_close_sync_closes_it(demo: Demo) -> None:
    headers = {"Authorization": f"Bearer {demo.user_token()}"}
    imported = httpx2.post(f"{demo.service_url}/api/v1/matters/82001/import", json={}, headers=headers, timeout=30)
    assert imported.status_code == 201, imported.text
    work_item = imported.json()["work_item_id"]

    with sqlite3.connect(demo.data_dir / "aderant.db") as db:
        db.execute("UPDATE HBM_MATTER SET STATUS_CODE = 'CLOSE', CLOSE_DATE = '2026-11-30' WHERE MATTER_UNO = 82001")
    demo.control("DELETE", "/calls")
    with httpx2.Client(base_url=demo.service_url, timeout=30) as client:
        signed_in = client.post(
            "/embed/session",
            json={"token": demo.user_token("admin@sandbox.test"), "portal_origin": demo.sandbox_url},
            headers={"Origin": demo.service_url},
        )
        session = {"Cookie": signed_in.headers["set-cookie"].split(";", 1)[0]}
        page = client.get("/history/close-sync", headers=session).text
        assert f'value="{work_item}"' in page
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        applied = client.post(
            "/history/close-sync", data={"csrf_token": csrf, "work_item": work_item, "apply": "selected"}, headers=session
        )
    assert applied.status_code == 200
    outcomes = applied.text.split('id="outcomes"')[1].split("</ul>")[0]
    assert '<li class="ok"><span class="mono">82001</span>' in outcomes

    calls = demo.control("GET", "/calls").json()["calls"]
    assert not [c for c in calls if "/modeller/" in c["path"]], "no modeller route with the service's token"
    assert [c["method"] for c in calls if c["path"].endswith(f"{work_item}/phase")] == ["GET", "PUT"] * 3
    production = demo.environment()
    phase = httpx2.get(f"{production['api_url']}/api/v1/public/workItem/{work_item}/phase", headers=headers).json()
    assert phase["systemName"] == "matter-closed"
