"""`POST /_sandbox/aderant/matters/{matter_number}`: Aderant's data changed at run time, as the
agent then reads it (sandbox/README.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette

from sandbox.aderant_db import COASTAL_FREIGHT, LEE_WONG, create_aderant_db
from sandbox.app import create_sandbox_app
from sandbox.clio.tokens import SigningKeys
from tests.sandbox.conftest import AGENT_KEY, BASE_URL, SERVICE_URL

AGENT = {"Authorization": f"Bearer {AGENT_KEY}"}


@pytest.fixture
async def http(tmp_path: Path, signing_keys: SigningKeys) -> AsyncIterator[httpx2.AsyncClient]:
    """A sandbox of its own: these changes must not reach the shared one's Aderant database."""
    database_url = f"sqlite:///{tmp_path / 'aderant.db'}"
    create_aderant_db(database_url, generated_matters=0)
    app: Starlette = create_sandbox_app(
        base_url=BASE_URL, aderant_database_url=database_url, agent_api_key=AGENT_KEY, service_url=SERVICE_URL,
        signing_keys=signing_keys,
    )
    async with app.router.lifespan_context(app):
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE_URL) as client:
            yield client


async def matter(http: httpx2.AsyncClient, number: str) -> dict[str, Any]:
    response = await http.get(f"/aderant/v1/matters/{number}", headers=AGENT)
    assert response.status_code == 200, response.text
    return response.json()["matter"]


async def test_a_title_a_date_and_codes_changed_in_aderant_are_what_the_agent_reads(http: httpx2.AsyncClient) -> None:
    body = {"title": "Harbour v Coastal Freight (appeal)", "open_date": "2026-05-05", "office": "MEL", "status": "CLOSE"}

    response = await http.post("/_sandbox/aderant/matters/82001", json=body)

    assert response.status_code == 200 and response.json() == {"changed": body}
    now = await matter(http, "82001")
    assert (now["title"], now["open_date"], now["office"], now["status"], now["closed"]) == (
        "Harbour v Coastal Freight (appeal)", "2026-05-05", {"code": "MEL", "description": "Melbourne"}, "CLOSE", True,
    )
    assert (await matter(http, "82003"))["title"] == "Harbour Holdings — employment advice", "other matters are untouched"


async def test_parties_join_and_leave_a_matter(http: httpx2.AsyncClient) -> None:
    body = {
        "add_parties": [{"name_uno": LEE_WONG.name_uno, "role": "WIT"}, {"name": "Tasman Insurance Ltd", "role": "INT"}],
        "remove_parties": [{"name_uno": COASTAL_FREIGHT.name_uno}],
    }

    response = await http.post("/_sandbox/aderant/matters/82001", json=body)

    assert response.status_code == 200, response.text
    changed = response.json()["changed"]
    new_uno = changed["add_parties"][1]["name_uno"]
    parties = {(p["name_uno"], p["role_code"]) for p in (await matter(http, "82001"))["parties"]}
    assert (LEE_WONG.name_uno, "WIT") in parties and (new_uno, "INT") in parties
    assert not any(uno == COASTAL_FREIGHT.name_uno for uno, _ in parties)
    added = next(p for p in (await matter(http, "82001"))["parties"] if p["name_uno"] == new_uno)
    assert (added["display_name"], added["kind"]) == ("Tasman Insurance Ltd", "organisation")


@pytest.mark.parametrize(
    ("number", "body", "status", "error"),
    [
        ("99999", {"title": "x"}, 404, "Matter 99999 was not found"),
        ("82001", {"title": "Changed", "colour": "red"}, 400, "Unknown field 'colour'"),
        ("82001", {"title": "x" * 41}, 400, "title must be text of 1 to 40 characters"),
        ("82001", {"office": "PER"}, 400, "office must be one of SYD, MEL, BNE"),
        ("82001", {"open_date": "5 May"}, 400, "open_date must be a date"),
        ("82001", {"add_parties": [{"name_uno": 90002, "role": "BOSS"}]}, 400, "role must be one of"),
        ("82001", {"title": "Changed", "remove_parties": [{"name_uno": 90006}]}, 400, "is not a party of this matter"),
        ("82001", ["title"], 400, "must be a JSON object"),
    ],
)
async def test_a_change_that_cannot_be_made_is_refused_and_changes_nothing(
    http: httpx2.AsyncClient, number: str, body: object, status: int, error: str
) -> None:
    before = await matter(http, "82001")
    response = await http.post(f"/_sandbox/aderant/matters/{number}", json=body)

    assert response.status_code == status and error in response.json()["error"]
    assert await matter(http, "82001") == before
