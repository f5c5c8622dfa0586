"""Clio Operate answering too late, over real loopback: the write happened but the answer was
lost. The retry finds what exists: one work item, no duplicate contact."""

from __future__ import annotations

import httpx2
import pytest

from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e


def importable_matters(demo: Demo, headers: dict[str, str], wanted: int) -> list[dict]:
    """Generated matters (their display number is not their internal id) whose preview is clean
    and which create at least one person."""
    found = []
    with httpx2.Client(base_url=demo.service_url, headers=headers, timeout=30) as client:
        for result in client.get("/api/v1/matters", params={"q": "Pty"}).json()["results"]:
            if result["imported"]:
                continue
            preview = client.get(f"/api/v1/matters/{result['matter_number']}/preview").json()
            people = [p for p in preview["parties"] if p["kind"] == "person" and p["default_decision"] == "create"]
            generated = preview["attributes"]["aderant-matter-id"] != preview["matter_number"]
            if generated and not preview["warnings"] and not preview["already_imported"] and people:
                found.append(preview)
            if len(found) == wanted:
                return found
    pytest.fail("the sandbox has no suitable generated matter")


def clio_count(demo: Demo, path: str, body: dict) -> dict:
    env = demo.environment()
    token = httpx2.post(
        f"{env['identity_url']}/connect/token", auth=(env["client_id"], env["client_secret"]),
        data={"grant_type": "client_credentials", "scope": "sharedo"},
    ).json()["access_token"]
    return httpx2.post(f"{env['api_url']}{path}", json=body, headers={"Authorization": f"Bearer {token}"}).json()


def test_lost_answers_are_found_again_on_retry(demo: Demo) -> None:
    headers = {"Authorization": f"Bearer {demo.user_token()}"}
    work_item_matter, contact_matter = importable_matters(demo, headers, 2)
    try:
        # The work item is created, but its answer never comes: the service gives up after 3 s.
        demo.control("POST", "/faults", json={"path": "/production/api/v1/public/workItem", "method": "POST", "lose_answer": True, "times": 1})
        lost = httpx2.post(f"{demo.service_url}/api/v1/matters/{work_item_matter['matter_number']}/import", json={}, headers=headers, timeout=30)
        assert lost.status_code == 504 and "may still be creating this matter; try again after" in lost.json()["error"]
        retry = httpx2.post(f"{demo.service_url}/api/v1/matters/{work_item_matter['matter_number']}/import", json={}, headers=headers, timeout=30)
        matter_id = work_item_matter["attributes"]["aderant-matter-id"]
        found = clio_count(demo, "/api/v1/public/workItem/findByQuery", {
            "search": {"page": {"page": 1, "rowsPerPage": 10}, "attributes": [{"key": "aderant-matter-id", "value": matter_id}]},
            "enrich": [{"path": "id"}],
        })
        assert retry.status_code == 200 and retry.json()["status"] == "already_imported"  # found by the internal id
        assert found["totalCount"] == 1 and found["results"][0]["id"] == retry.json()["work_item_id"]

        # A contact is created, but its answer is lost; the retry finds it by its Aderant reference.
        person = next(p for p in contact_matter["parties"] if p["kind"] == "person" and p["default_decision"] == "create")
        demo.control("POST", "/faults", json={"path": "/production/api/public/v1/people", "method": "POST", "lose_answer": True, "times": 1})
        lost = httpx2.post(f"{demo.service_url}/api/v1/matters/{contact_matter['matter_number']}/import", json={}, headers=headers, timeout=30)
        assert lost.status_code == 504
        retry = httpx2.post(f"{demo.service_url}/api/v1/matters/{contact_matter['matter_number']}/import", json={}, headers=headers, timeout=30)
        assert retry.status_code == 201, retry.text
        contacts = clio_count(demo, "/api/ods/_search", {
            "startPage": 1, "endPage": 1, "rowsPerPage": 50, "searchString": person["reference"], "odsEntityTypes": ["person"],
        })
        assert contacts["totalRows"] == 1, "one contact carries the party's Aderant reference"
    finally:
        demo.control("DELETE", "/faults")
