"""Twenty concurrent imports of one matter through two app instances sharing one database
(SQLite, or PostgreSQL when PMS_SYNC_TEST_DATABASE_URL is set): exactly one work item."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx2
from starlette.testclient import TestClient

from plugin.settings import Settings
from sandbox.clio.seed import IMPORTED_WORK_ITEM_ID
from tests.views.conftest import SERVICE, Service
from views.app import create_app


def test_twenty_concurrent_imports_through_two_instances_make_one_work_item(service: Service) -> None:
    first = service.client
    settings = Settings(
        database_url=str(service.store.engine.url.render_as_string(hide_password=False)),
        secret_keys=first.app.state.runtime.settings.secret_keys,
        public_url=SERVICE,
        cookie_secure=False,
    )
    second_app = create_app(settings, transport=httpx2.ASGITransport(app=service.sandbox))
    people_before = len(service.tenant().state.people)
    with TestClient(second_app, base_url=SERVICE) as second:
        tokens = [service.bearer("staff@sandbox.test"), service.bearer("admin@sandbox.test")]
        clients = [first, second]

        def attempt(i: int) -> httpx2.Response:
            return clients[i % 2].post("/api/v1/matters/82001/import", json={}, headers=tokens[i // 2 % 2])

        with ThreadPoolExecutor(max_workers=20) as pool:
            responses = list(pool.map(attempt, range(20)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, [r.text for r in responses if r.status_code not in (200, 201, 409)]
    assert set(statuses) <= {200, 201, 409}
    answers = {r.json().get("status") or r.json().get("error") for r in responses if r.status_code != 201}
    assert answers <= {"already_imported", "An import of this matter is already in progress: wait a moment, then open it again."}
    work_items = set(service.tenant().state.work_items) - {IMPORTED_WORK_ITEM_ID}
    assert len(work_items) == 1
    assert len(service.tenant().state.people) == people_before + 2, "contacts were created once"
    winner = next(r for r in responses if r.status_code == 201).json()
    assert winner["work_item_id"] in work_items
    history = service.client.get("/api/v1/history", params={"limit": 200}, headers=tokens[0]).json()["items"]
    assert len(history) == 20 and [h["outcome"] for h in history].count("imported") == 1
