from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
from starlette.applications import Starlette

from sandbox.aderant_db import (
    COASTAL_FREIGHT,
    LITIGATION_MATTER,
    MANY_PARTIES_MATTER,
    MARY_CITIZEN,
    PACIFIC_INSURANCE,
    create_aderant_db,
)
from tests.agent.helpers import ClientFactory


async def get_matter(client: httpx2.AsyncClient, number: str) -> dict[str, Any]:
    response = await client.get(f"/v1/matters/{number}")
    assert response.status_code == 200, response.text
    return response.json()["matter"]


async def test_matter_detail_has_summary_lookups_and_employees(client: httpx2.AsyncClient) -> None:
    matter = await get_matter(client, "82001")

    assert {key: matter[key] for key in (
        "matter_uno", "matter_number", "title", "long_title", "client_uno", "client_code",
        "client_name", "status", "status_description", "closed", "open_date", "close_date",
    )} == {
        "matter_uno": 82001,
        "matter_number": "82001",
        "title": "Harbour Holdings v Coastal Freight",
        "long_title": (
            "Harbour Holdings Pty Ltd v Coastal Freight Pty Ltd — recovery of freight charges"
        ),
        "client_uno": 8001,
        "client_code": "CL080001",
        "client_name": "Harbour Holdings Pty Ltd",
        "status": "OPEN",
        "status_description": "Open",
        "closed": False,
        "open_date": "2026-03-02",
        "close_date": None,
    }
    assert matter["matter_type"] == {"code": "LIT", "description": "Litigation"}
    assert matter["office"] == {"code": "SYD", "description": "Sydney"}
    assert matter["department"] == {"code": "LIT", "description": "Litigation"}
    # EMPLOYEE_CODE is char(6) in the database: the agent trims it
    assert matter["responsible_employee"] == {
        "empl_uno": 501, "employee_code": "JSM", "name": "Jane Smith",
    }
    assert matter["billing_employee"] == {
        "empl_uno": 502, "employee_code": "RPA", "name": "Raj Patel",
    }


async def test_matter_detail_has_the_client_party(client: httpx2.AsyncClient) -> None:
    matter = await get_matter(client, "82001")

    assert matter["client_party"] == {
        "name_uno": 90001,
        "kind": "organisation",
        "display_name": "Harbour Holdings Pty Ltd",
        "first_name": None,
        "middle_name": None,
        "last_name": None,
        "organisation_name": "Harbour Holdings Pty Ltd",
        "role_code": "CLIENT",
        "role": "Client",
        "email": "accounts@harbourholdings.example.com",
        "phone": "+61 2 5550 0100",
        "address": {
            "line1": "1 Circular Quay", "city": "Sydney", "state": "NSW", "post_code": "2000",
            "country": "AU",
        },
    }


async def test_matter_detail_has_all_parties_with_roles(client: httpx2.AsyncClient) -> None:
    matter = await get_matter(client, "82001")

    parties = {party["name_uno"]: party for party in matter["parties"]}
    assert {(uno, party["role_code"]) for uno, party in parties.items()} == set(
        LITIGATION_MATTER.parties
    )
    assert matter["parties_next_offset"] is None
    assert parties[MARY_CITIZEN.name_uno] == {
        "name_uno": 90003,
        "kind": "person",
        "display_name": "Mary Citizen",
        "first_name": "Mary",
        "middle_name": None,
        "last_name": "Citizen",
        "organisation_name": None,
        "role_code": "WIT",
        "role": "Witness",
        "email": "mary.citizen@example.com",
        "phone": None,
        "address": {
            "line1": "4 Example Street", "city": "Newtown", "state": "NSW", "post_code": "2042",
            "country": "AU",
        },
    }
    coastal = parties[COASTAL_FREIGHT.name_uno]
    assert (coastal["kind"], coastal["organisation_name"], coastal["role"], coastal["phone"]) == (
        "organisation", "Coastal Freight Pty Ltd", "Adverse party", "+61 2 5550 0142",
    )
    assert parties[90004]["role"] == "Other side solicitor"
    assert parties[90004]["email"] == "daniel.obrien@example.com"
    assert parties[90004]["address"] is None  # an address row with contact details only
    pacific = parties[PACIFIC_INSURANCE.name_uno]
    assert (pacific["role"], pacific["email"], pacific["address"]) == (
        "Interested party", None, None,
    )


async def test_closed_matter_detail(client: httpx2.AsyncClient) -> None:
    matter = await get_matter(client, "82002")

    assert (matter["status"], matter["closed"], matter["close_date"]) == (
        "CLOSE", True, "2026-06-30",
    )
    assert matter["department"] == {"code": "COM", "description": "Commercial"}
    assert [(p["display_name"], p["role_code"]) for p in matter["parties"]] == [
        ("Mary Citizen", "WIT"),
    ]


async def test_many_parties_fit_in_one_response_by_default(client: httpx2.AsyncClient) -> None:
    response = await client.get("/v1/matters/82004")

    matter = response.json()["matter"]
    assert len(matter["parties"]) == len(MANY_PARTIES_MATTER.parties) == 50
    assert matter["parties_next_offset"] is None
    assert len(response.content) < 60_000


async def test_unknown_matter_is_404(client: httpx2.AsyncClient) -> None:
    response = await client.get("/v1/matters/999")

    assert response.status_code == 404
    assert response.json() == {"error": "Matter 999 was not found"}


async def test_parties_of_unknown_matter_is_404(client: httpx2.AsyncClient) -> None:
    response = await client.get("/v1/matters/999/parties")

    assert response.status_code == 404
    assert response.json() == {"error": "Matter 999 was not found"}


async def test_parties_endpoint_continues_from_an_offset(client: httpx2.AsyncClient) -> None:
    detail = await get_matter(client, "82001")
    response = await client.get("/v1/matters/82001/parties", params={"offset": 2})

    assert response.status_code == 200
    assert response.json() == {"items": detail["parties"][2:], "next_offset": None}


async def test_matter_number_shared_by_two_matters_is_409(
    tmp_path: Path, make_app: Callable[..., Starlette], make_client: ClientFactory
) -> None:
    url = f"sqlite:///{tmp_path / 'duplicate.db'}"
    create_aderant_db(url, generated_matters=0)
    with sqlite3.connect(tmp_path / "duplicate.db") as db:  # per-client numbering, e.g. two "82001"
        db.execute(
            'INSERT INTO HBM_MATTER (MATTER_UNO, CLIENT_UNO, MATTER_CODE, MATTER_NAME, STATUS_CODE)'
            " VALUES (99, 8001, '82001', 'Another 82001', 'OPEN')"
        )

    async with make_client(make_app(database_url=url)) as http:
        detail = await http.get("/v1/matters/82001")
        parties = await http.get("/v1/matters/82001/parties")

    assert detail.status_code == parties.status_code == 409
    assert "CLNT_MATT_CODE" in detail.json()["error"]
