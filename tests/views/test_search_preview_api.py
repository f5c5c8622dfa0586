"""Search and preview through the JSON API and the pages, against the in-process sandbox."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event, text
from sqlmodel import Session

from plugin.search import search_matters
from sandbox.clio.seed import HARBOUR_HOLDINGS_ID, IMPORTED_WORK_ITEM_ID
from store.settings_version import raise_version
from tests.environments import save_environment
from tests.views.conftest import SANDBOX, Service

WRITES = ("/api/public/v1/people", "/api/v2/public/organisation", "/api/v1/public/workItem")


def production(service: Service) -> int:
    return next(e["id"] for e in service.client.get("/api/v1/environments", headers=service.bearer()).json() if e["name"] == "Production")


def test_environments(service: Service) -> None:
    response = service.client.get("/api/v1/environments", headers=service.bearer())
    assert response.json() == [
        {"id": 1, "name": "Production", "default": True, "import_writes_enabled": True},
        {"id": 2, "name": "UAT", "default": False, "import_writes_enabled": False},
    ]


def test_search_marks_imported_matters_and_makes_one_remote_call(service: Service) -> None:
    headers = service.bearer()
    service.client.get("/api/v1/environments", headers=headers)  # sign-in lookups out of the way
    service.calls.clear()
    response = service.client.get("/api/v1/matters", params={"q": "CL080001"}, headers=headers)
    assert response.status_code == 200
    results = {r["matter_number"]: r for r in response.json()["results"]}
    assert set(results) == {"82001", "82002", "82003", "82004", "82005", "82006", "82007", "82008"}
    assert results["82003"]["imported"] and results["82003"]["work_item_id"] == IMPORTED_WORK_ITEM_ID
    assert results["82003"]["work_item_url"] == f"{SANDBOX}/production/sharedo/{IMPORTED_WORK_ITEM_ID}"
    assert not results["82001"]["imported"] and results["82001"]["work_item_url"] is None
    assert results["82002"]["status"] == "Closed"
    assert [c.path for c in service.calls.calls] == ["/aderant/v1/matters"]


@pytest.mark.parametrize("q", ["82001", "Harbour Holdings", "Mary Citizen"])
def test_search_by_number_client_or_party_name(service: Service, q: str) -> None:
    results = service.client.get("/api/v1/matters", params={"q": q}, headers=service.bearer()).json()["results"]
    assert "82001" in [r["matter_number"] for r in results]


@pytest.mark.parametrize(("q", "message"), [("", "Enter a matter number"), ("   ", "Enter a matter number"), ("x" * 201, "too long")])
def test_empty_or_very_long_search_text_is_refused(service: Service, q: str, message: str) -> None:
    response = service.client.get("/api/v1/matters", params={"q": q}, headers=service.bearer())
    assert response.status_code == 400 and message in response.json()["error"]


def test_preview_shows_exactly_what_an_import_would_create_and_writes_nothing(service: Service) -> None:
    headers = service.bearer()
    service.calls.clear()
    response = service.client.get("/api/v1/matters/82001/preview", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["work_type"], body["title"], body["reference"]) == (
        "matter-litigation", "Harbour Holdings v Coastal Freight", "CL080001/82001"
    )
    assert body["key_dates"] == {"kd-instruction-date": "2026-03-02"}
    assert body["attributes"]["aderant-matter-id"] == "82001" and body["attributes"]["aderant-client-code"] == "CL080001"
    parties = {p["key"]: p for p in body["parties"]}
    assert set(parties) == {"client-90001", "adv-90002", "wit-90003", "sol-90004", "int-90005"}
    assert parties["client-90001"]["default_decision"] == {"link": HARBOUR_HOLDINGS_ID}
    assert parties["client-90001"]["candidates"][0]["exact"]
    assert parties["wit-90003"]["role"] == "witness" and parties["wit-90003"]["default_decision"] == "create"
    # the public types tree carries no names (sharedo-mobile-core src/infra/typesTree.js): the demo loaded the modeller's
    assert body["work_type_name"] == "Litigation" and parties["adv-90002"]["role_name"] == "Other Side"
    assert body["teams"][0]["role_name"] == "Reader"
    assert {c["name"] for c in parties["wit-90003"]["candidates"]} >= {"Mary Citizen"}
    assert body["summary"] == {"create": 4, "link": 1}
    assert body["teams"][0]["name"] == "Litigation – Sydney"
    assert body["already_imported"] is False and body["warnings"] == []
    writes = tuple(f"/production{w}" for w in WRITES)
    assert not [
        c for c in service.calls.calls
        if c.method in ("POST", "PUT") and c.path.startswith(writes) and "findByQuery" not in c.path
    ]


def test_preview_of_an_imported_matter_links_to_it(service: Service) -> None:
    body = service.client.get("/api/v1/matters/82003/preview", headers=service.bearer()).json()
    assert body["already_imported"] and body["work_item_id"] == IMPORTED_WORK_ITEM_ID


def test_preview_finds_a_work_item_imported_before_this_service_kept_a_record(service: Service) -> None:
    # UAT's tenant holds the 82003 work item too, but this service has no record of importing it there.
    assert not service.store.imported_matters(service.organisation_id, 2, ["82003"])
    body = service.client.get("/api/v1/matters/82003/preview", params={"environment": 2}, headers=service.bearer()).json()
    assert body["environment"]["name"] == "UAT"
    assert body["already_imported"] and body["work_item_id"] == IMPORTED_WORK_ITEM_ID


def test_unknown_matter_is_404_in_plain_words(service: Service) -> None:
    response = service.client.get("/api/v1/matters/404404/preview", headers=service.bearer())
    assert response.status_code == 404
    assert response.json()["error"].startswith("Matter 404404 was not found in Aderant (Production)")


def test_environments_of_other_organisations_cannot_be_used(service: Service) -> None:
    other = service.store.create_organisation("Other firm", [])
    foreign = save_environment(
        service.store, other, "Production", identity_url="https://other-identity.test", api_url="https://other.test",
        client_id="c", client_secret="s", agent_url="https://agent.other.test", agent_key="k",
    )
    response = service.client.get("/api/v1/matters", params={"q": "82001", "environment": foreign}, headers=service.bearer())
    assert response.status_code == 404
    assert service.client.get("/api/v1/matters", params={"q": "1", "environment": "x"}, headers=service.bearer()).status_code == 400


def test_agent_down_is_502_naming_the_environment(service: Service) -> None:
    service.faults.add("/aderant/*", status=503)
    response = service.client.get("/api/v1/matters", params={"q": "82001"}, headers=service.bearer())
    assert response.status_code == 502
    assert "Aderant is not reachable for Production" in response.json()["error"]


def test_clio_operate_down_during_preview_still_shows_the_aderant_side(service: Service) -> None:
    headers = service.bearer()
    service.client.get("/api/v1/environments", headers=headers)
    service.faults.add("/production/api/ods/_search", status=500)
    body = service.client.get("/api/v1/matters/82001/preview", headers=headers).json()
    assert body["title"] == "Harbour Holdings v Coastal Freight" and len(body["parties"]) == 5
    assert all(p["candidates"] == [] and p["default_decision"] == "create" for p in body["parties"])
    assert "could not be looked up" in body["warnings"][0] and "Clio Operate" in body["warnings"][0]


def test_api_without_a_token_is_401(service: Service) -> None:
    response = service.client.get("/api/v1/matters", params={"q": "82001"})
    assert response.status_code == 401 and "Sign in" in response.json()["error"]


def test_dashboard_search_and_preview_pages(service: Service) -> None:
    service.sign_in()
    page = service.client.get("/", params={"q": "CL080001"})
    assert page.status_code == 200
    assert "Imported" in page.text and "View →" in page.text and "Preview →" in page.text
    assert 'href="/matters/82001/preview?environment=1"' in page.text
    assert "Environment:" in page.text, "two environments: the switcher shows"
    preview = service.client.get("/matters/82001/preview", params={"environment": 1})
    assert preview.status_code == 200
    for shown in ("matter-litigation", "Link to existing: Harbour Holdings Pty Ltd", "Create new", "exact match", "Litigation – Sydney"):
        assert shown in preview.text
    missing = service.client.get("/matters/404404/preview")
    assert missing.status_code == 404 and "was not found in Aderant" in missing.text


def test_an_environment_without_connections_is_not_configured(service: Service) -> None:
    training = save_environment(
        service.store, service.organisation_id, "Training", identity_url="https://training-identity.test", api_url="",
        client_id="", client_secret=None, agent_url="", agent_key=None,
    )
    response = service.client.get("/api/v1/matters", params={"q": "82001", "environment": training}, headers=service.bearer())
    assert response.status_code == 409 and "not configured" in response.json()["error"]
    service.sign_in()
    with Session(service.store.engine) as session:
        session.execute(text("UPDATE environment SET agent_url = ''"))
        raise_version(session, service.organisation_id)  # as every save does
        session.commit()
    page = service.client.get("/")
    assert "not configured for your organisation" in page.text and 'name="q"' not in page.text


def test_party_names_are_shown_as_text(service: Service) -> None:
    database = service.aderant_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO HBM_NAME (NAME_UNO, NAME, NAME_SORT, NAME_TYPE) VALUES (990001, '<script>alert(1)</script>', 'X', 'O')")
        db.execute("INSERT INTO _HBM_MATTER_PARTY (MATTER_UNO, NAME_UNO, PARTY_ROLE_CODE) VALUES (82004, 990001, 'ADV')")
    try:
        service.sign_in()
        page = service.client.get("/matters/82004/preview")
        assert page.status_code == 200
        assert "<script>alert(1)</script>" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    finally:
        with sqlite3.connect(database) as db:
            db.execute("DELETE FROM _HBM_MATTER_PARTY WHERE NAME_UNO = 990001")
            db.execute("DELETE FROM HBM_NAME WHERE NAME_UNO = 990001")


@pytest.mark.parametrize("q", ["CL080001", "Harbour Holdings"])
def test_a_search_reads_the_store_once_whatever_it_finds(service: Service, q: str) -> None:
    services = service.client.app.state.runtime.services
    env = service.client.portal.call(services.environment, service.organisation_id, 1)  # as a view has it
    service.client.portal.call(search_matters, services, env, q)  # the environment's mapping, now cached
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(services.store.engine, "before_cursor_execute", count)
    try:
        page = service.client.portal.call(search_matters, services, env, q)
    finally:
        event.remove(services.store.engine, "before_cursor_execute", count)
    assert len(page.rows) > 1 and any(r.imported for r in page.rows), "several matters, 82003 among them imported"
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("SELECT"), statements
