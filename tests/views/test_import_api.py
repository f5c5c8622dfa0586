"""Importing through the JSON API against the in-process sandbox."""

from __future__ import annotations

from sandbox.clio.seed import HARBOUR_HOLDINGS_ID, IMPORTED_WORK_ITEM_ID, MARY_CITIZEN_ID, STAFF_USER_ID
from tests.views.conftest import Service


def clio_state(service: Service, tenant: str = "production"):  # type: ignore[no-untyped-def]
    return service.tenant(tenant).state


def test_import_creates_the_work_item_with_everything_the_preview_showed(service: Service) -> None:
    headers = service.bearer()
    response = service.client.post(
        "/api/v1/matters/82001/import",
        json={"decisions": {"wit-90003": {"link": MARY_CITIZEN_ID}}},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "imported" and body["work_item_url"].endswith(body["work_item_id"])
    assert {c["key"] for c in body["contacts"]["linked"]} == {"client-90001", "wit-90003"}
    assert {c["key"] for c in body["contacts"]["created"]} == {"adv-90002", "sol-90004", "int-90005"}
    assert [t["name"] for t in body["teams_added"]] == ["Litigation – Sydney"]
    state = service.tenant().state
    work_item = state.work_items[body["work_item_id"]]
    assert (work_item.type_system_name, work_item.title, work_item.reference) == (
        "matter-litigation", "Harbour Holdings v Coastal Freight", "CL080001/82001"
    )
    assert work_item.key_dates == {"kd-instruction-date": "2026-03-02"}
    assert work_item.attributes["aderant-matter-id"] == "82001" and work_item.attributes["aderant-client-code"] == "CL080001"
    roles = {(p.role.system_name, p.ods_type, p.ods_id) for p in work_item.participants}
    assert ("client", "organisation", HARBOUR_HOLDINGS_ID) in roles
    assert ("witness", "person", MARY_CITIZEN_ID) in roles
    assert ("contributor", "user", STAFF_USER_ID) in roles
    assert ("reader", "team", body["teams_added"][0]["id"]) in roles
    created = {c["key"]: c["ods_id"] for c in body["contacts"]["created"]}
    coastal = state.organisations[created["adv-90002"]]
    assert coastal.name == "Coastal Freight Pty Ltd" and coastal.external_reference == coastal.reference == "ADERANT:90002"
    assert state.people[created["sol-90004"]].surname == "O'Brien"
    preview = service.client.get("/api/v1/matters/82001/preview", headers=headers).json()
    assert preview["already_imported"] and preview["work_item_id"] == body["work_item_id"]
    history = service.client.get("/api/v1/history", headers=headers).json()["items"]
    assert history[0]["outcome"] == "imported" and history[0]["work_item_id"] == body["work_item_id"]
    assert history[0]["user"] == "staff@sandbox.test" and history[0]["environment"] == "Production"


def test_a_later_preview_finds_created_contacts_as_exact_matches(service: Service) -> None:
    headers = service.bearer()
    service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    preview = service.client.get("/api/v1/matters/82002/preview", headers=headers).json()
    mary = next(p for p in preview["parties"] if p["key"] == "wit-90003")
    assert mary["candidates"][0]["exact"] and mary["default_decision"] == {"link": mary["candidates"][0]["ods_id"]}


def test_a_second_import_answers_already_imported(service: Service) -> None:
    headers = service.bearer()
    first = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers).json()
    again = service.client.post("/api/v1/matters/82001/import", json={}, headers=service.bearer("admin@sandbox.test"))
    assert again.status_code == 200
    assert again.json() == {"status": "already_imported", "work_item_id": first["work_item_id"], "work_item_url": first["work_item_url"]}


def test_import_writes_disabled_is_403(service: Service) -> None:
    response = service.client.post("/api/v1/matters/82001/import?environment=2", json={}, headers=service.bearer())
    assert response.status_code == 403 and response.json() == {"error": "Import writes are not enabled"}


def test_bad_decisions_are_400_naming_the_problem(service: Service) -> None:
    headers = service.bearer()
    cases = {
        "nope-1": ({"decisions": {"nope-1": "create"}}, "Unknown party key 'nope-1'"),
        "not a candidate": ({"decisions": {"wit-90003": {"link": HARBOUR_HOLDINGS_ID}}}, "not one of its candidate"),
        "malformed": ({"decisions": {"wit-90003": "link"}}, 'must be "create"'),
        "not an object": ({"decisions": ["create"]}, "must be an object"),
        "extra": ({"decisions": {}, "force": True}, 'only "decisions"'),
    }
    for name, (body, message) in cases.items():
        response = service.client.post("/api/v1/matters/82001/import", json=body, headers=headers)
        assert response.status_code == 400, name
        assert message in response.json()["error"], (name, response.json())


def test_a_role_the_work_type_does_not_allow_blocks_the_import_before_any_write(service: Service) -> None:
    headers = service.bearer()
    before = len(service.tenant().state.people)
    response = service.client.post("/api/v1/matters/82002/import", json={}, headers=headers)  # a witness on a commercial matter
    assert response.status_code == 409
    assert "role witness is not valid for work type matter-commercial" in response.json()["error"]
    assert len(service.tenant().state.people) == before and not service.tenant().state.work_items.keys() - {IMPORTED_WORK_ITEM_ID}
    history = service.client.get("/api/v1/history", params={"outcome": "failed"}, headers=headers).json()["items"]
    assert history[0]["matter_number"] == "82002" and "witness" in history[0]["error"]
