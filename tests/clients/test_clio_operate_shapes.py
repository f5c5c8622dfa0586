"""The method, path and body of each Clio Operate write and ODS search PMS Sync sends, each pinned
to the public source it follows (docs/remote-shapes.md lists them all)."""

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from pytest_httpx import HTTPXMock

from clients.clio_models import ContactAddress, NewParticipant, NewWorkItem, OdsContact, Team
from clients.clio_operate import ClioOperateClient, TeamSearchBody
from clients.clio_routes import DEFAULT_ROUTES, ClioRoutes
from tests.clients.client_samples import API_URL, CLIENT_ID, CLIENT_SECRET, IDENTITY_URL

FIXTURES = Path(__file__).parent / "fixtures"
# The body the portal's own ODS search sends besides paging, text and entity types.
PORTAL_FILTERS = {
    "availability": {"isAvailable": None, "isOutOfOffice": None, "isNotAvailable": None},
    "location": {"postcode": None, "range": 10},
    "connection": {"systemName": None, "label": None, "otherOdsIds": []},
    "competencies": [],
    "teams": [],
    "roles": [],
    "odsTypes": [],
    "wallManagement": False,
}


def client(http: httpx2.AsyncClient, *, routes: ClioRoutes = DEFAULT_ROUTES, team_search_body: TeamSearchBody = "minimal") -> ClioOperateClient:
    return ClioOperateClient(
        identity_url=IDENTITY_URL,
        api_url=API_URL,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        environment_name="UAT",
        http=http,
        routes=routes,
        team_search_body=team_search_body,
    )


@pytest.fixture
def clio(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> ClioOperateClient:
    httpx_mock.add_response(
        method="POST", url=f"{IDENTITY_URL}/connect/token", json={"access_token": "t", "expires_in": 900}, is_optional=True
    )
    return client(http)


def sent(httpx_mock: HTTPXMock, path: str) -> tuple[str, Any]:
    (request,) = httpx_mock.get_requests(url=API_URL + path)
    return request.method, json.loads(request.content)


# ODS search


async def test_ods_search_sends_the_portals_full_body_and_parses_a_real_answer(
    clio: ClioOperateClient, httpx_mock: HTTPXMock
) -> None:
    """Body: Alter-Igor/AlterspectiveSharedoIDE _IDE/Alt/UnifiedDataSearch/Blades/UnifiedOdsPmsSearch/blade.js
    (searchOds), typed in Alter-Igor/Test src/Typings/api/ods/_search.d.ts and sent by
    src/WebBased/Common/OdsHelper.ts. Answer: …/UnifiedOdsPmsSearch/sharedoResultsExample.json
    (three of its rows, e-mail and phone values replaced), `result` a JSON string: e-mails and
    phones (mobile, direct-line) from `aspectData.ContactDetails`, addresses from `locations`
    (`addressLine1`, `town`, `postCode`). The real answer has no creation date: `created` is None."""
    answer = json.loads((FIXTURES / "ods_search_answer.json").read_text())
    httpx_mock.add_response(method="POST", url=API_URL + "/api/ods/_search", json=answer)

    contacts = await clio.search_contacts("smith", rows=5)

    assert sent(httpx_mock, "/api/ods/_search") == (
        "POST",
        {
            "startPage": 1,
            "endPage": 1,
            "rowsPerPage": 5,
            "searchString": "smith",
            "odsEntityTypes": ["person", "organisation"],
            **PORTAL_FILTERS,
        },
    )
    assert contacts == [
        OdsContact(
            "1f30f3e7-9a05-41f2-b69d-bb26bf0772e9", "person", "Ciaran Clarke", None, None,
            emails=("ciaran.clarke@example.com",), is_user=False, phones=("+61 400 000 000",),
            addresses=(ContactAddress("63 Ffordd Las", "Rhyl", "LL18 2EE"),),
        ),
        OdsContact(
            "623f9e04-1908-4542-ad74-2724ef57c369", "person", "Bob Smith", None, None,
            emails=("bob.smith@example.com", "bob.smith2@example.com"), is_user=True, phones=("+61 400 000 000",),
            addresses=(ContactAddress("9 Links Road", "Bolton", "BL2 4EN"),),
        ),
        OdsContact(
            "4d1b9183-fc82-4a61-a0f2-1652366d8647", "organisation", "B2B Client Ltd", None, None,
            emails=("b2b@example.com", "b2b2@example.com"),
            addresses=(ContactAddress("4B Hand Lane", "Leigh", "WN7 3LP"),),
        ),
    ]
    assert all(c.created is None for c in contacts)
    assert contacts[1].has_email("Bob.Smith2@Example.com") and not contacts[1].has_email("smith@example.com")


async def test_people_only_search_names_the_entity_type(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    """The UnifiedOdsPmsSearch blade narrows by `odsEntityTypes: ["person"]` (blade.js, searchOds)."""
    httpx_mock.add_response(method="POST", url=API_URL + "/api/ods/_search", json={"rows": []})

    assert await clio.search_contacts("sam@firm.example", kinds=("person",)) == []

    _, body = sent(httpx_mock, "/api/ods/_search")
    assert body["odsEntityTypes"] == ["person"] and body["searchString"] == "sam@firm.example"
    assert {key: body[key] for key in PORTAL_FILTERS} == PORTAL_FILTERS


# Team search: the route is known by name only, so its body is configurable.


@pytest.mark.parametrize(
    ("body_setting", "expected"),
    [
        ("minimal", {"searchString": "Litigation", "startPage": 1, "endPage": 1, "rowsPerPage": 20}),
        (
            "ods",
            {
                "startPage": 1, "endPage": 1, "rowsPerPage": 20, "searchString": "Litigation",
                "odsEntityTypes": ["team"], **PORTAL_FILTERS,
            },
        ),
    ],
)
async def test_team_search_body_is_the_environments_choice(
    body_setting: TeamSearchBody, expected: dict[str, Any], http: httpx2.AsyncClient, httpx_mock: HTTPXMock
) -> None:
    """Configurable: no public source shows the body of /api/ods/teams/_search (reference/sharedo-api.md §4.5, [R])."""
    httpx_mock.add_response(method="POST", url=f"{IDENTITY_URL}/connect/token", json={"access_token": "t", "expires_in": 900})
    team = {"id": "t-1", "name": "Litigation Sydney", "teamType": "structural"}
    httpx_mock.add_response(
        method="POST",
        url=API_URL + "/api/ods/teams/_search",
        json={"rows": [{"odsEntityType": "team", "id": "t-1", "result": json.dumps(team)}]},
    )

    teams = await client(http, team_search_body=body_setting).search_teams("Litigation")

    assert teams == [Team("t-1", "Litigation Sydney", "structural")]
    assert sent(httpx_mock, "/api/ods/teams/_search") == ("POST", expected)


# People and organisations


async def test_create_person_body(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    """POST /api/public/v1/people {firstName, surname, isActive, contactDetails[{contactTypeSystemName,
    contactValue, isPrimary}]} → {id}: Alter-Igor/Test _IDE/WKExpressSydneyWater/WKExpressWidgetAgent.js.
    One primary per contact type, as on every entity of a real answer
    (Alter-Igor/AlterspectiveSharedoIDE …/UnifiedOdsPmsSearch/sharedoResultsExample.json: e-mail,
    mobile and direct line each primary; a second e-mail not)."""
    httpx_mock.add_response(method="POST", url=API_URL + "/api/public/v1/people", json={"id": "p-9"})

    person_id = await clio.create_person(
        first_name="Mary", surname="Citizen", reference="90001", external_reference="90001",
        email="mary@example.com", mobile="0400 000 000", direct_line="+61 2 5550 1234",
    )

    assert person_id == "p-9"
    assert sent(httpx_mock, "/api/public/v1/people") == (
        "POST",
        {
            "firstName": "Mary",
            "surname": "Citizen",
            "isActive": True,
            "reference": "90001",
            "externalReference": "90001",
            "contactDetails": [
                {"contactTypeSystemName": "email", "contactValue": "mary@example.com", "isPrimary": True},
                {"contactTypeSystemName": "mobile", "contactValue": "0400 000 000", "isPrimary": True},
                {"contactTypeSystemName": "direct-line", "contactValue": "+61 2 5550 1234", "isPrimary": True},
            ],
        },
    )


async def test_create_organisation_body(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    """POST /api/v2/public/organisation {name, isActive, contactDetails} → {id}:
    Alter-Igor/Test _IDE/WKExpressSydneyWater/WKExpressWidgetAgent.js; `phone` is the organisation's
    phone type (Alter-Igor/AlterspectiveSharedoIDE _IDE/Alt/UnifiedDataSearch/CLAUDE.md)."""
    httpx_mock.add_response(method="POST", url=API_URL + "/api/v2/public/organisation", json={"id": "o-9"})

    organisation_id = await clio.create_organisation(
        name="Widget Co Pty Ltd", reference="90002", external_reference="90002", email="info@widget.example", phone="02 5550 0000"
    )

    assert organisation_id == "o-9"
    assert sent(httpx_mock, "/api/v2/public/organisation") == (
        "POST",
        {
            "name": "Widget Co Pty Ltd",
            "isActive": True,
            "reference": "90002",
            "externalReference": "90002",
            "contactDetails": [
                {"contactTypeSystemName": "email", "contactValue": "info@widget.example", "isPrimary": True},
                {"contactTypeSystemName": "phone", "contactValue": "02 5550 0000", "isPrimary": True},
            ],
        },
    )


async def test_contacts_without_details_send_an_empty_list(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=API_URL + "/api/public/v1/people", json={"id": "p-1"})

    await clio.create_person(first_name="Mary", surname="Citizen")

    assert sent(httpx_mock, "/api/public/v1/people")[1]["contactDetails"] == []


# Work items


async def test_create_work_item_with_parties_teams_and_the_importing_user(
    clio: ClioOperateClient, httpx_mock: HTTPXMock
) -> None:
    """POST /api/v1/public/workItem {workItem, aspectData, keyDates, participants[{roleSystemName,
    odsId}]} → {workItem: {id}}: sharedo-tech/sharedo_ide CreateInstructionFileUpload/src/agent.js.
    odsType and odsReference, a team as odsType "team", and the user as odsType "person" with the
    user's id: Alter-Igor/Test _IDE/WKExpressSydneyWater/WKExpressWidgetAgent.js."""
    httpx_mock.add_response(method="POST", url=API_URL + "/api/v1/public/workItem", json={"workItem": {"id": "w-9"}})
    item = NewWorkItem(
        work_type="matter-litigation",
        title="Acme v Widget",
        reference="CL080001/82001",
        description="Acme Pty Ltd v Widget Co Pty Ltd",
        attributes={"aderant-matter-id": "82001"},
        key_dates={"kd-instruction-date": "2026-03-02"},
        participants=(
            NewParticipant("client", "o-1", "organisation", "Harbour Holdings Pty Ltd"),
            NewParticipant("other-side", "p-1", "person", "Mary Citizen"),
            NewParticipant("reader", "t-1", "team", "Litigation Sydney"),
            NewParticipant("contributor", "0b8e5c1e-0000-4000-8000-000000000001", "person", "staff@sandbox.test"),
        ),
    )

    assert await clio.create_work_item(item) == "w-9"

    assert sent(httpx_mock, "/api/v1/public/workItem") == (
        "POST",
        {
            "workItem": {
                "sharedoTypeSystemName": "matter-litigation",
                "title": "Acme v Widget",
                "titleIsUserProvided": True,
                "reference": "CL080001/82001",
                "referenceIsUserProvided": True,
                "description": "Acme Pty Ltd v Widget Co Pty Ltd",
            },
            "aspectData": {"formBuilder": {"formData": {"aderant-matter-id": "82001"}, "formIds": []}},
            "keyDates": {"kd-instruction-date": "2026-03-02"},
            "participants": [
                {"roleSystemName": "client", "odsId": "o-1", "odsType": "organisation", "odsReference": "Harbour Holdings Pty Ltd"},
                {"roleSystemName": "other-side", "odsId": "p-1", "odsType": "person", "odsReference": "Mary Citizen"},
                {"roleSystemName": "reader", "odsId": "t-1", "odsType": "team", "odsReference": "Litigation Sydney"},
                {
                    "roleSystemName": "contributor",
                    "odsId": "0b8e5c1e-0000-4000-8000-000000000001",
                    "odsType": "person",
                    "odsReference": "staff@sandbox.test",
                },
            ],
        },
    )


# Routes an environment overrides


async def test_overridden_routes_are_called_with_quoted_values(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    routes = DEFAULT_ROUTES.with_overrides(
        {
            "token": "/identity/connect/token",
            "ods_search": "/api/ods/search",
            "work_item_participants": "/api/v1/public/workItem/{id}/participants",
        }
    )
    httpx_mock.add_response(
        method="POST", url=f"{IDENTITY_URL}/identity/connect/token", json={"access_token": "t", "expires_in": 900}
    )
    httpx_mock.add_response(method="POST", url=API_URL + "/api/ods/search", json={"rows": []})
    httpx_mock.add_response(method="GET", url=API_URL + "/api/v1/public/workItem/a%2Fb/participants", json=[])
    clio = client(http, routes=routes)

    assert await clio.search_contacts("x") == []
    assert await clio.participants("a/b") == []
