"""Imports that fail half-way, then are retried: one work item, no duplicate contacts."""

from __future__ import annotations

from sandbox.clio.seed import IMPORTED_WORK_ITEM_ID
from tests.views.conftest import Service

PEOPLE = "/production/api/public/v1/people"
WORK_ITEM = "/production/api/v1/public/workItem"


def counts(service: Service) -> tuple[int, int, int]:
    state = service.tenant().state
    return len(state.people), len(state.organisations), len(set(state.work_items) - {IMPORTED_WORK_ITEM_ID})


def test_clio_operate_fails_after_contacts_were_created_then_recovers(service: Service) -> None:
    headers = service.bearer()
    people, organisations, _ = counts(service)
    service.faults.add(WORK_ITEM, method="POST", status=500, times=1)
    failed = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    assert failed.status_code == 502
    assert "did not complete" in failed.json()["error"] and "safe to import again" in failed.json()["error"]
    after_failure = counts(service)
    assert after_failure == (people + 2, organisations + 2, 0), "contacts exist, the work item does not"

    retried = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    assert retried.status_code == 201
    assert counts(service) == (people + 2, organisations + 2, 1), "the retry reused every contact"
    created = {c["ods_id"] for c in retried.json()["contacts"]["created"]}
    assert len(created) == 4
    history = service.client.get("/api/v1/history", headers=headers).json()["items"]
    assert [i["outcome"] for i in history] == ["imported", "failed"]


def test_a_contact_create_fails_the_others_are_kept_and_reused(service: Service) -> None:
    headers = service.bearer()
    people, organisations, _ = counts(service)
    service.faults.add(PEOPLE, method="POST", status=503, times=1)
    failed = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    assert failed.status_code == 502
    partial = counts(service)
    assert partial[1] == organisations + 2 and partial[2] == 0
    assert service.client.post("/api/v1/matters/82001/import", json={}, headers=headers).status_code == 201
    assert counts(service) == (people + 2, organisations + 2, 1)


def test_the_agent_fails_mid_import_and_history_records_it(service: Service) -> None:
    headers = service.bearer()
    service.faults.add("/aderant/v1/matters/82001", status=503)
    response = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    assert response.status_code == 502
    assert "Aderant is not reachable for Production" in response.json()["error"]
    item = service.client.get("/api/v1/history", headers=headers).json()["items"][0]
    assert item["outcome"] == "failed" and "Aderant" in item["error"] and item["matter_number"] == "82001"
    assert counts(service)[2] == 0
    events = [e.type for e in service.store.audit_events(service.organisation_id)]
    assert events[0] == "import.failed"


def test_clio_operate_down_before_anything_is_written(service: Service) -> None:
    headers = service.bearer()
    service.client.get("/api/v1/environments", headers=headers)
    service.faults.add("/production/api/v1/public/workItem/findByQuery", status=500)
    response = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    assert response.status_code == 502 and "safe to import again" in response.json()["error"]
    assert counts(service)[2] == 0


def test_audit_events_follow_every_attempt(service: Service) -> None:
    headers = service.bearer()
    service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    service.client.post("/api/v1/matters/82001/import?environment=2", json={}, headers=headers)
    events = [(e.type, e.data.get("matter_number")) for e in reversed(service.store.audit_events(service.organisation_id))]
    assert [e for e in events if e[0].startswith("import.")] == [
        ("import.started", "82001"), ("import.succeeded", "82001"),
        ("import.already_imported", "82001"), ("import.refused", "82001"),
    ]
