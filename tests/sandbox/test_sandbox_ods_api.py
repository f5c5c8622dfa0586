"""ODS: contact search, people and organisation create/get, external-reference lookup, teams."""

from __future__ import annotations

import json

import httpx2
import pytest

from clients.clio_models import ContactAddress, OdsContact
from sandbox.clio.seed import HARBOUR_HOLDINGS_ID, MARY_CITIZENS_ID, TEAM_COMMERCIAL_SYDNEY_ID, TEAM_LITIGATION_SYDNEY_ID

SEARCH = "/production/api/ods/_search"


async def search(client: httpx2.AsyncClient, auth: dict[str, str], text: str, **extra: object) -> dict:
    body = {
        "startPage": 1,
        "endPage": 1,
        "rowsPerPage": 20,
        "searchString": text,
        "odsEntityTypes": ["person", "organisation"],
        **extra,
    }
    response = await client.post(SEARCH, json=body, headers=auth)
    assert response.status_code == 200
    return response.json()


def results(page: dict) -> list[dict]:
    return [json.loads(row["result"]) for row in page["rows"]]


async def test_search_finds_the_exact_match_by_name_and_by_reference(
    client: httpx2.AsyncClient, staff_auth: dict[str, str]
) -> None:
    by_name = await search(client, staff_auth, "Harbour Holdings")
    by_reference = await search(client, staff_auth, "ADERANT:90001")

    assert [r["id"] for r in results(by_name)] == [HARBOUR_HOLDINGS_ID]
    assert [r["id"] for r in results(by_reference)] == [HARBOUR_HOLDINGS_ID]
    row = by_name["rows"][0]
    assert (row["odsEntityType"], row["id"], row["aspectSearchResultWidgets"]) == (
        "organisation",
        HARBOUR_HOLDINGS_ID,
        [],
    )
    entity = results(by_name)[0]
    assert (entity["name"], entity["externalReference"], entity["reference"]) == (
        "Harbour Holdings Pty Ltd",
        "ADERANT:90001",
        "ADERANT:90001",
    )


async def test_search_returns_the_look_alikes(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    mary = results(await search(client, staff_auth, "Mary Citizen"))
    coastal = results(await search(client, staff_auth, "Coastal Freight"))

    assert [(p["firstName"], p["surname"], p["externalReference"]) for p in mary] == [
        ("Mary", "Citizen", None),
        ("Mary", "Citizens", None),
    ]
    assert [o["name"] for o in coastal] == ["Coastal Freight Ltd"]


async def test_search_rows_carry_contact_details_addresses_and_creation_as_the_client_reads_them(
    client: httpx2.AsyncClient, staff_auth: dict[str, str]
) -> None:
    """Contact details in `aspectData.ContactDetails` and addresses in `locations`, as the real
    answer (…/UnifiedOdsPmsSearch/sharedoResultsExample.json) has them; `createdDate` is the
    sandbox's own addition."""
    page = await search(client, staff_auth, "Mary Citizens")
    (row,) = page["rows"]

    contact = OdsContact.from_json(row["odsEntityType"], json.loads(row["result"]))

    assert contact.id == MARY_CITIZENS_ID
    assert contact.emails == ("mary.citizens@example.org",)
    assert contact.phones == ("+61 400 555 042",)
    assert contact.addresses == (ContactAddress("80 Collins Street", "Melbourne", "3000"),)
    assert contact.created is not None and contact.created.year == 2024


async def test_search_filters_by_entity_type(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    organisations_only = await search(client, staff_auth, "Mary", odsEntityTypes=["organisation"])

    assert organisations_only["totalRows"] == 0


async def test_search_pages_through_the_noise(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    first = await search(client, staff_auth, "", rowsPerPage=25)
    second = await search(client, staff_auth, "", rowsPerPage=25, startPage=2, endPage=2)

    assert first["totalRows"] >= 200
    assert first["totalPages"] == -(-first["totalRows"] // 25)
    assert (first["startRow"], first["endRow"], len(first["rows"])) == (1, 25, 25)
    assert (second["startRow"], second["endRow"]) == (26, 50)
    assert not {r["id"] for r in first["rows"]} & {r["id"] for r in second["rows"]}


async def test_a_created_person_can_be_read_found_and_looked_up_by_external_reference(
    client: httpx2.AsyncClient, staff_auth: dict[str, str]
) -> None:
    created = await client.post(
        "/production/api/public/v1/people",
        json={
            "firstName": "Daniel",
            "surname": "O'Brien",
            "isActive": True,
            "reference": "ADERANT:90004",
            "externalReference": "ADERANT:90004",
            "contactDetails": [
                {"contactTypeSystemName": "email", "contactValue": "daniel@example.com", "isPrimary": True}
            ],
        },
        headers=staff_auth,
    )
    person_id = created.json()["id"]

    read = (await client.get(f"/production/api/public/v1/people/{person_id}", headers=staff_auth)).json()
    looked_up = await client.get(
        "/production/api/v2/public/people/externalReference/ADERANT:90004", headers=staff_auth
    )
    found = results(await search(client, staff_auth, "O'Brien"))

    assert (read["firstName"], read["surname"], read["externalReference"]) == (
        "Daniel",
        "O'Brien",
        "ADERANT:90004",
    )
    assert read["contactDetails"][0]["contactValue"] == "daniel@example.com"
    assert looked_up.status_code == 200 and looked_up.json()["id"] == person_id
    assert [p["id"] for p in found] == [person_id]


async def test_a_created_organisation_can_be_read(
    client: httpx2.AsyncClient, staff_auth: dict[str, str]
) -> None:
    created = await client.post(
        "/production/api/v2/public/organisation",
        json={
            "name": "Pacific Insurance Group Ltd",
            "isActive": True,
            "reference": "ADERANT:90005",
            "externalReference": "ADERANT:90005",
            "contactDetails": [],
        },
        headers=staff_auth,
    )
    organisation_id = created.json()["id"]

    read = (
        await client.get(f"/production/api/v2/public/organisation/{organisation_id}", headers=staff_auth)
    ).json()

    assert (read["name"], read["externalReference"], read["odsEntityType"]) == (
        "Pacific Insurance Group Ltd",
        "ADERANT:90005",
        "organisation",
    )


async def test_unknown_people_and_organisations_are_404(
    client: httpx2.AsyncClient, staff_auth: dict[str, str]
) -> None:
    urls = [
        "/production/api/public/v1/people/00000000-0000-0000-0000-000000000000",
        f"/production/api/public/v1/people/{HARBOUR_HOLDINGS_ID}",
        "/production/api/v2/public/organisation/00000000-0000-0000-0000-000000000000",
        "/production/api/v2/public/people/externalReference/ADERANT:99999",
    ]

    statuses = [(await client.get(url, headers=staff_auth)).status_code for url in urls]

    assert statuses == [404, 404, 404, 404]


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (
            "/production/api/public/v1/people",
            {
                "firstName": "Mary",
                "surname": "Citizen",
                "contactDetails": [{"contactTypeSystemName": "phone", "contactValue": "+61 2 5550 1234"}],
            },
        ),
        ("/production/api/public/v1/people", {"firstName": "", "surname": ""}),
        ("/production/api/v2/public/organisation", {"name": ""}),
    ],
    ids=["phone-on-person", "nameless-person", "nameless-organisation"],
)
async def test_invalid_contacts_are_refused(
    client: httpx2.AsyncClient, staff_auth: dict[str, str], url: str, body: dict
) -> None:
    response = await client.post(url, json=body, headers=staff_auth)

    assert response.status_code == 400
    assert response.json()["error"]


async def test_team_search(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    response = await client.post(
        "/production/api/ods/teams/_search",
        json={"searchString": "Sydney", "startPage": 1, "endPage": 1, "rowsPerPage": 10},
        headers=staff_auth,
    )

    page = response.json()
    assert page["totalRows"] == 2
    teams = results(page)
    assert {t["id"] for t in teams} == {TEAM_COMMERCIAL_SYDNEY_ID, TEAM_LITIGATION_SYDNEY_ID}
    assert {t["teamType"] for t in teams} == {"Structural"}
    assert all(set(t) == {"id", "name", "teamType", "reference"} for t in teams)
