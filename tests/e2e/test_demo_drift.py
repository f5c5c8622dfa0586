"""History → Drift against the demo process over loopback HTTP: a matter changed through the
sandbox's Aderant control and its work item edited through the tenant's own API; the page shows the
three kinds and filters them, and applying the changes from Aderant twice writes Clio Operate once,
leaving the edit made there."""

from __future__ import annotations

import re

import httpx2
import pytest

from sandbox.aderant_db import LEE_WONG
from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e

NUMBER = "82005"
TITLE = "Ridge v Tasman (appeal)"
PARTY = f"party:{LEE_WONG.name_uno}"
KEY_DATE = "key_date:kd-instruction-date"


def matter_rows(page: str) -> set[tuple[str, str]]:
    """The (kind, field) rows shown for the matter."""
    section = page.split(f'data-matter="{NUMBER}"', 1)[1].split("</table>", 1)[0] if f'data-matter="{NUMBER}"' in page else ""
    return set(re.findall(r'<tr data-kind="(\w+)" data-field="([^"]+)">', section))


def session(client: httpx2.Client, demo: Demo, username: str) -> dict[str, str]:
    signed_in = client.post(
        "/embed/session", json={"token": demo.user_token(username), "portal_origin": demo.sandbox_url},
        headers={"Origin": demo.service_url},
    )
    assert signed_in.status_code == 200, signed_in.text
    return {"Cookie": signed_in.headers["set-cookie"].split(";", 1)[0]}


def test_drift_is_shown_and_the_changes_from_aderant_applied_once(demo: Demo) -> None:
    user = {"Authorization": f"Bearer {demo.user_token()}"}
    imported = httpx2.post(f"{demo.service_url}/api/v1/matters/{NUMBER}/import", json={}, headers=user, timeout=30)
    assert imported.status_code == 201, imported.text
    work_item = f"{demo.environment()['api_url']}/api/v1/public/workItem/{imported.json()['work_item_id']}"
    changed = demo.control("POST", f"/aderant/matters/{NUMBER}", json={
        "title": TITLE, "open_date": "2026-05-05", "add_parties": [{"name_uno": LEE_WONG.name_uno, "role": "WIT"}],
    })
    assert changed.status_code == 200, changed.text
    # someone edits the work item in Clio Operate: an attribute, and the key date Aderant also moved
    assert httpx2.post(f"{work_item}/attributes/aderant-office", json={"value": "Melbourne"}, headers=user).status_code == 200
    current = httpx2.get(work_item, headers=user).json()
    edited = httpx2.put(work_item, json={**current, "keyDates": {**current["keyDates"], "kd-instruction-date": "2026-04-01"}}, headers=user)
    assert edited.status_code == 200, edited.text

    with httpx2.Client(base_url=demo.service_url, timeout=30) as client:
        admin = session(client, demo, "admin@sandbox.test")
        preview = client.get(f"/matters/{NUMBER}/preview", headers=session(client, demo, "staff@sandbox.test")).text
        assert set(re.findall(r'<tr data-kind="(\w+)" data-field="([^"]+)">', preview)) == {
            ("aderant_only", "title"), ("party_added", PARTY), ("both", KEY_DATE), ("clio_only", "attribute:aderant-office"),
        }, "the preview shows the same three kinds"
        page = client.get("/history/drift", headers=admin).text
        assert matter_rows(page) == {
            ("aderant_only", "title"), ("party_added", PARTY), ("both", KEY_DATE), ("clio_only", "attribute:aderant-office"),
        }
        assert matter_rows(client.get("/history/drift?kind=both", headers=admin).text) == {("both", KEY_DATE)}
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        demo.control("DELETE", "/calls")
        ticked = {"csrf_token": csrf, "apply": "selected", "change": [f"{NUMBER}|title", f"{NUMBER}|{PARTY}", f"{NUMBER}|{KEY_DATE}"]}
        first = client.post("/history/drift", data=ticked, headers=admin)
        again = client.post("/history/drift", data=ticked, headers=admin)
        staff = client.get("/history/drift", headers=session(client, demo, "staff@sandbox.test"))

    assert first.status_code == again.status_code == 200
    calls = demo.control("GET", "/calls").json()["calls"]
    item_id = imported.json()["work_item_id"]
    assert [c["method"] for c in calls if c["path"].endswith(f"/workItem/{item_id}")].count("PUT") == 1
    assert [c["method"] for c in calls if c["path"].endswith(f"/workItem/{item_id}/participants")].count("POST") == 1
    now = httpx2.get(work_item, headers=user).json()
    assert now["workItem"]["title"] == TITLE
    assert now["keyDates"]["kd-instruction-date"] == "2026-04-01", "the conflict is not overwritten unless chosen"
    assert matter_rows(again.text) == {("both", KEY_DATE), ("clio_only", "attribute:aderant-office")}
    assert staff.status_code == 403
