"""A create that Clio Operate applies after the caller gave up (the sandbox's `late` fault: it
answers 504 at once, then applies the write). The product records the outcome as unknown and
never sends the create again until Clio Operate, asked again, shows nothing after the settle window."""

from __future__ import annotations

import time

import pytest

from tests.exactly_once.conftest import contacts_stamped, set_settle, until, work_items_of
from tests.views.conftest import Service

WORK_ITEM = "/production/api/v1/public/workItem"
PEOPLE = "/production/api/public/v1/people"
ORGANISATIONS = "/production/api/v2/public/organisation"


def test_a_work_item_that_lands_late_is_not_created_twice(service: Service) -> None:
    headers = service.bearer()
    service.faults.add(WORK_ITEM, method="POST", late=1.0, times=1)

    first = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    assert first.status_code == 504
    assert "Clio Operate may still be creating this matter; try again after" in first.json()["error"]
    assert "safe to import again" not in first.json()["error"]

    retry = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    assert retry.status_code == 409, retry.text
    assert "Clio Operate may still be creating this matter; try again after" in retry.json()["error"]

    until(lambda: work_items_of(service, "82001"), "the late work item lands")
    after = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    assert after.status_code == 200 and after.json()["status"] == "already_imported", after.text
    assert work_items_of(service, "82001") == [after.json()["work_item_id"]]
    [found] = service.client.get("/api/v1/matters", params={"q": "82001"}, headers=headers).json()["results"]
    assert found["imported"] and found["work_item_id"] == after.json()["work_item_id"]


def test_after_the_settle_window_a_write_that_never_landed_is_sent_again(service: Service) -> None:
    headers = service.bearer()
    set_settle(service, 1.0)
    service.faults.add(WORK_ITEM, method="POST", status=504, times=1)  # a gateway gave up; nothing was applied

    assert service.client.post("/api/v1/matters/82001/import", json={}, headers=headers).status_code == 504
    assert service.client.post("/api/v1/matters/82001/import", json={}, headers=headers).status_code == 409
    time.sleep(1.1)
    retry = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    assert retry.status_code == 201, retry.text
    assert work_items_of(service, "82001") == [retry.json()["work_item_id"]]


@pytest.mark.parametrize(("route", "kind"), [(PEOPLE, "person"), (ORGANISATIONS, "organisation")])
def test_a_contact_that_lands_late_is_not_created_twice(service: Service, route: str, kind: str) -> None:
    headers = service.bearer()
    preview = service.client.get("/api/v1/matters/82001/preview", headers=headers).json()
    references = [p["reference"] for p in preview["parties"] if p["default_decision"] == "create"]
    of_kind = [p["reference"] for p in preview["parties"] if p["kind"] == kind and p["default_decision"] == "create"]
    assert len(of_kind) == 2, "82001 has two of each kind to create: one lands late"
    service.faults.add(route, method="POST", late=1.0, times=1)

    first = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    assert first.status_code == 504 and "may still be creating" in first.json()["error"]
    assert sum(len(contacts_stamped(service, r)) for r in of_kind) == 1, f"one {kind} created, one still to land"
    retry = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    assert retry.status_code == 409 and "Clio Operate may still be creating the contact" in retry.json()["error"]

    until(lambda: sum(len(contacts_stamped(service, r)) for r in of_kind) == 2, f"the late {kind} lands")
    after = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    assert after.status_code == 201, after.text
    assert {r: len(contacts_stamped(service, r)) for r in references} == dict.fromkeys(references, 1)
    assert len(work_items_of(service, "82001")) == 1
