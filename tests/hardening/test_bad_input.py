"""Input the database or a remote system cannot take is refused at the edge with a clear 4xx,
never a 500: a matter number too long or holding NUL (PostgreSQL refuses NUL in text), History
filters and ids beyond the integer range, and JSON nested past what the parser allows. A refused
import is in History; nothing else is written. (Run on PostgreSQL too: PMS_SYNC_TEST_DATABASE_URL.)"""

from __future__ import annotations

import pytest

from tests.hardening.conftest import database_rows, refused_attempts, unexpected_writes
from tests.views.conftest import Service

LONG = "8" * 51
NESTED = "[" * 100_000
BEYOND_64_BIT = str(2**64 + 1)
BEYOND_INTEGER = str(2**31)  # within 64 bits, beyond PostgreSQL's integer


@pytest.mark.parametrize(
    "path, shown",
    [
        (f"/api/v1/matters/{LONG}/import", "8" * 49 + "…"),
        ("/api/v1/matters/82%00001/import", "82\ufffd001"),
    ],
)
def test_an_import_of_a_matter_number_that_cannot_be_one_is_refused_and_in_history(
    service: Service, path: str, shown: str
) -> None:
    before = database_rows(service.store.engine)
    response = service.client.post(path, json={}, headers=service.bearer())
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith("That is not a matter number")
    [refused] = refused_attempts(service)
    assert (refused["matter_number"], refused["error"]) == (shown, response.json()["error"])
    assert len(unexpected_writes(before, database_rows(service.store.engine))) == 0
    assert service.calls.calls == [] or all("/aderant/" not in c.path for c in service.calls.calls), "Aderant is not asked"


def test_the_import_form_refuses_a_bad_matter_number_the_same_way(service: Service) -> None:
    service.sign_in()
    csrf = service.client.get("/history").text.split('name="csrf_token" value="')[1].split('"')[0]
    before = database_rows(service.store.engine)
    response = service.client.post("/matters/82%00001/import", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 400 and "That is not a matter number" in response.text
    assert [r["matter_number"] for r in refused_attempts(service)] == ["82\ufffd001"]
    assert unexpected_writes(before, database_rows(service.store.engine)) == []


@pytest.mark.parametrize("number", [LONG, "82%00001"])
def test_a_preview_of_a_matter_number_that_cannot_be_one_is_400(service: Service, number: str) -> None:
    response = service.client.get(f"/api/v1/matters/{number}/preview", headers=service.bearer())
    assert response.status_code == 400 and response.json()["error"].startswith("That is not a matter number")
    service.sign_in()
    assert service.client.get(f"/matters/{number}/preview").status_code == 400


@pytest.mark.parametrize(
    "query, message",
    [
        ("matter=%00", "That is not a matter number"),
        (f"matter={LONG}", "That is not a matter number"),
        (f"before={BEYOND_64_BIT}", "before must be a whole number"),
        (f"before={BEYOND_INTEGER}", "before must be a whole number"),
        ("before=-1", "before must be a whole number"),
        (f"limit={BEYOND_64_BIT}", "limit must be a whole number"),
        (f"environment={BEYOND_64_BIT}", "The environment must be an environment id"),
    ],
)
def test_history_filters_beyond_what_the_database_holds_are_400(service: Service, query: str, message: str) -> None:
    service.sign_in()
    before = database_rows(service.store.engine)
    response = service.client.get(f"/api/v1/history?{query}", headers=service.bearer())
    assert response.status_code == 400 and response.json()["error"].startswith(message), response.text
    page = service.client.get(f"/history?{query}")
    assert page.status_code == 400 and message in page.text
    assert unexpected_writes(before, database_rows(service.store.engine)) == []


@pytest.mark.parametrize("attempt_id", [BEYOND_64_BIT, BEYOND_INTEGER, "0"])
def test_a_history_id_beyond_the_integer_range_is_404(service: Service, attempt_id: str) -> None:
    service.sign_in()
    assert service.client.get(f"/history/{attempt_id}").status_code == 404


def test_settings_ids_beyond_the_integer_range_are_404(service: Service) -> None:
    service.sign_in("admin@sandbox.test")
    for path in (f"/settings/connections/{BEYOND_INTEGER}", f"/settings/connections/{BEYOND_64_BIT}"):
        assert service.client.get(path).status_code == 404, path


def test_deeply_nested_json_on_the_import_api_is_400_and_a_refusal_in_history(service: Service) -> None:
    before = database_rows(service.store.engine)
    response = service.client.post(
        "/api/v1/matters/82001/import", content=NESTED, headers={**service.bearer(), "content-type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"].startswith("The request body must be JSON")
    assert [r["matter_number"] for r in refused_attempts(service)] == ["82001"]
    assert unexpected_writes(before, database_rows(service.store.engine)) == []


def test_deeply_nested_json_on_embedded_sign_in_is_400(service: Service) -> None:
    response = service.client.post("/embed/session", content=NESTED, headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json() == {"error": "The sign-in request was not valid JSON."}
    assert "set-cookie" not in response.headers


def test_a_nul_in_a_json_body_is_refused_before_it_reaches_the_database(service: Service) -> None:
    response = service.client.post(
        "/api/v1/matters/82001/import", json={"decisions": {"a\u0000": "create"}}, headers=service.bearer()
    )
    assert response.status_code == 400 and response.json()["error"].startswith("The request body must be JSON")


def test_a_nul_in_a_form_is_refused_before_it_reaches_the_database(service: Service) -> None:
    service.sign_in("admin@sandbox.test")
    csrf = service.client.get("/settings/members").text.split('name="csrf_token" value="')[1].split('"')[0]
    before = database_rows(service.store.engine)
    response = service.client.post(
        "/settings/members", data={"csrf_token": csrf, "email": "a\u0000@firm.test", "role": "staff"}
    )
    assert response.status_code == 400 and "NUL" in response.text
    assert unexpected_writes(before, database_rows(service.store.engine)) == []


def test_starlettes_own_refusals_under_the_api_are_json_errors(service: Service) -> None:
    missing = service.client.get("/api/v1/nothing", headers=service.bearer())
    assert (missing.status_code, missing.json()) == (404, {"error": "There is no such API route: see /api/v1/openapi.json."})
    wrong_method = service.client.delete("/api/v1/history", headers=service.bearer())
    assert wrong_method.status_code == 405 and set(wrong_method.json()) == {"error"} and "GET" in wrong_method.headers["allow"]
    assert service.client.get("/nothing").text == "Not Found", "pages keep Starlette's plain answer"


def test_a_mapping_document_nested_too_deeply_is_refused_with_its_reason(service: Service) -> None:
    service.sign_in("admin@sandbox.test")
    csrf = service.client.get("/settings/mapping").text.split('name="csrf_token" value="')[1].split('"')[0]
    before = database_rows(service.store.engine)
    for action in ("preview", "save"):
        response = service.client.post("/settings/mapping", data={"csrf_token": csrf, "action": action, "document": NESTED})
        assert response.status_code == 400 and "nested too deeply to be a mapping" in response.text, action
    assert unexpected_writes(before, database_rows(service.store.engine)) == []
