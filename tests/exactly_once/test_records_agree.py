"""What the product learns about a matter's work item in Clio Operate is recorded, so search,
preview, History and close-sync agree: a work item found without our completed import (a lost
answer, or put there by something else) and a work item deleted in Clio Operate."""

from __future__ import annotations

import re
import threading
import time
from datetime import date

from plugin.close_sync import apply_close_sync
from sandbox.clio.seed import IMPORTED_WORK_ITEM_ID
from tests.exactly_once.conftest import until, work_items_of
from tests.views.conftest import Service

WORK_ITEM = "/production/api/v1/public/workItem"


def search(service: Service, number: str, environment: int = 1) -> dict:
    [row] = service.client.get("/api/v1/matters", params={"q": number, "environment": environment}, headers=service.bearer()).json()["results"]
    return row


def closable(service: Service, environment: int) -> set[str]:
    return {m.matter_number for m in service.store.schedules.imported_matters(service.organisation_id, environment)}


def test_after_a_lost_answer_search_preview_history_and_close_sync_agree(service: Service) -> None:
    headers = service.bearer()
    service.faults.add(WORK_ITEM, method="POST", late=0, times=1)  # created at once; the answer says 504
    assert service.client.post("/api/v1/matters/82001/import", json={}, headers=headers).status_code == 504
    until(lambda: work_items_of(service, "82001"), "the late work item lands")
    [work_item] = work_items_of(service, "82001")
    assert search(service, "82001")["import_state"] == "unknown"

    preview = service.client.get("/api/v1/matters/82001/preview", headers=headers).json()
    assert preview["already_imported"] and preview["work_item_id"] == work_item

    row = search(service, "82001")
    assert row["imported"] and row["work_item_id"] == work_item
    latest = service.client.get("/api/v1/history", headers=headers).json()["items"][0]
    assert latest["outcome"] == "already_imported" and latest["work_item_id"] == work_item
    assert "82001" in closable(service, 1), "our own import, whose answer was lost: close-sync keeps it in sync"


def test_a_work_item_put_there_by_something_else_is_adopted_on_preview(service: Service) -> None:
    # UAT's tenant holds 82003's work item; PMS Sync has no record of it there.
    assert not search(service, "82003", environment=2)["imported"]
    preview = service.client.get("/api/v1/matters/82003/preview", params={"environment": 2}, headers=service.bearer()).json()
    assert preview["already_imported"] and preview["work_item_id"] == IMPORTED_WORK_ITEM_ID
    row = search(service, "82003", environment=2)
    assert row["imported"] and row["work_item_id"] == IMPORTED_WORK_ITEM_ID
    again = service.client.get("/api/v1/matters/82003/preview", params={"environment": 2}, headers=service.bearer()).json()
    assert again["already_imported"] and again["work_item_id"] == IMPORTED_WORK_ITEM_ID
    # The adoption is on History once, as the preview found it: already imported, with its work item.
    history = service.client.get("/api/v1/history", params={"environment": 2, "matter": "82003"}, headers=service.bearer()).json()["items"]
    assert [(h["outcome"], h["work_item_id"], h["trigger"], h["environment_id"]) for h in history] == [
        ("already_imported", IMPORTED_WORK_ITEM_ID, "preview", 2)
    ]
    assert history[0]["finished_at"] is not None and history[0]["user"] == "staff@sandbox.test"
    assert "82003" not in closable(service, 2), "adopted: never closed by close-sync"


def test_a_work_item_deleted_in_clio_operate_is_shown_and_released_for_a_fresh_import(service: Service) -> None:
    headers = service.bearer()
    imported = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers).json()["work_item_id"]
    service.sign_in("admin@sandbox.test")
    view = service.client.get("/matters/82001/work-item", follow_redirects=False)  # checked in the frame, then opened in the portal
    assert view.status_code == 200 and re.search(rf'id="open-work-item" href="[^"]+/{imported}" target="_top"', view.text)
    service.tenant().state.delete_work_item(imported)

    # View checks the work item first: a deleted one shows the preview saying so.
    view = service.client.get("/matters/82001/work-item", follow_redirects=False)
    assert view.status_code == 200 and "deleted in Clio Operate" in view.text
    preview = service.client.get("/api/v1/matters/82001/preview", headers=headers).json()
    assert preview["work_item_deleted"] and not preview["already_imported"]
    row = search(service, "82001")
    assert row["import_state"] == "deleted" and not row["imported"]
    refused = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    assert refused.status_code == 409 and "deleted in Clio Operate" in refused.json()["error"]
    assert "82001" not in closable(service, 1)

    history = service.client.get("/history?environment=1")
    assert "Deleted in Clio Operate" in history.text and "Release for a fresh import" in history.text
    import_id = re.search(r'name="import_id" value="(\d+)"', history.text).group(1)  # type: ignore[union-attr]
    forged = service.client.post("/history/release?environment=1", data={"import_id": import_id, "csrf_token": "forged"})
    assert forged.status_code == 403
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', history.text).group(1)  # type: ignore[union-attr]
    released = service.client.post("/history/release?environment=1", data={"import_id": import_id, "csrf_token": csrf}, follow_redirects=False)
    assert released.status_code == 303
    assert "import.released" in [e.type for e in service.store.audit_events(service.organisation_id)]

    again = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    assert again.status_code == 201 and again.json()["work_item_id"] != imported
    assert work_items_of(service, "82001") == [again.json()["work_item_id"]]


def test_staff_cannot_release(service: Service) -> None:
    headers = service.bearer()
    imported = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers).json()["work_item_id"]
    service.tenant().state.delete_work_item(imported)
    service.client.get("/api/v1/matters/82001/preview", headers=headers)
    service.sign_in("staff@sandbox.test")
    history = service.client.get("/history?environment=1")
    assert "Deleted in Clio Operate" in history.text and "Release for a fresh import" not in history.text
    [deleted] = service.store.imports.deleted(service.organisation_id, 1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', history.text).group(1)  # type: ignore[union-attr]
    refused = service.client.post("/history/release?environment=1", data={"import_id": str(deleted.id), "csrf_token": csrf})
    assert refused.status_code == 403
    assert service.store.imports.deleted(service.organisation_id, 1) != []


def test_close_sync_that_meets_a_deleted_work_item_records_it(service: Service) -> None:
    import sqlite3

    work_item = service.client.post("/api/v1/matters/82001/import", json={}, headers=service.bearer()).json()["work_item_id"]
    with sqlite3.connect(service.aderant_url.removeprefix("sqlite:///")) as db:
        db.execute("UPDATE HBM_MATTER SET STATUS_CODE = 'CLOSE', CLOSE_DATE = ? WHERE MATTER_UNO = 82001", (date(2026, 10, 1).isoformat(),))
    # Deleted in Clio Operate after close-sync listed it, while it asks for its phase.
    asked = service.faults.add(f"{WORK_ITEM}/{work_item}/phase", method="GET", delay=2, times=1)
    runtime = service.client.app.state.runtime
    env = service.store.environment(service.organisation_id, 1)

    def delete_once_asked() -> None:  # while the phase request waits, after the listing found the item
        deadline = time.monotonic() + 30
        while not asked.fired and time.monotonic() < deadline:
            time.sleep(0.01)
        service.tenant().state.delete_work_item(work_item)

    deleting = threading.Thread(target=delete_once_asked)
    deleting.start()
    [outcome] = service.client.portal.call(apply_close_sync, runtime.services, env, "admin@sandbox.test")
    deleting.join()
    assert not outcome.closed and "Deleted in Clio Operate" in outcome.message
    assert search(service, "82001")["import_state"] == "deleted"
