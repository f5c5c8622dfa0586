"""The sandbox tenant refuses what a real one refuses: participants that name no entity of their
type, more than one primary contact detail of a type; and it answers the ODS search as a real
tenant does, whether or not the caller sends the portal's whole body."""

from __future__ import annotations

import json

import httpx2
import pytest

from sandbox.clio.seed import MARY_CITIZEN_ID, STAFF_USER_ID, TEAM_LITIGATION_SYDNEY_ID
from tests.sandbox.test_sandbox_work_items_api import WORK_ITEM, create, matter

PEOPLE = "/production/api/public/v1/people"
ORGANISATIONS = "/production/api/v2/public/organisation"
SEARCH = "/production/api/ods/_search"


def participants(*entries: dict) -> dict:
    return matter(participants=list(entries))


# Participants. odsType names the entity's type: person, organisation, team, or user (reference/
# sharedo-api.md §2.1, from Alter-Igor/Test _IDE/WKExpressSydneyWater/WKExpressWidgetAgent.js); the
# 400 answer for an invalid configuration is in the tenant swagger copied in
# Alter-Igor/AlterspectiveSharedoIDE swaggers/workItemSwagger.json.

REFUSED = {
    "unknown-ods-type": (
        {"roleSystemName": "client", "odsId": MARY_CITIZEN_ID, "odsType": "robot"},
        "Invalid odsType 'robot'",
    ),
    "an-e-mail-as-id": (
        {"roleSystemName": "contributor", "odsId": "staff@sandbox.test", "odsType": "person"},
        "ODS entity 'staff@sandbox.test' was not found",
    ),
    "a-team-as-a-person": (
        {"roleSystemName": "matter-owner", "odsId": TEAM_LITIGATION_SYDNEY_ID, "odsType": "person"},
        f"ODS entity '{TEAM_LITIGATION_SYDNEY_ID}' is not a person",
    ),
    "a-person-who-is-no-user-as-a-user": (
        {"roleSystemName": "matter-owner", "odsId": MARY_CITIZEN_ID, "odsType": "user"},
        f"ODS entity '{MARY_CITIZEN_ID}' is not a user",
    ),
}


@pytest.mark.parametrize(("participant", "message"), REFUSED.values(), ids=REFUSED.keys())
async def test_a_participant_naming_no_entity_of_its_type_is_refused(
    client: httpx2.AsyncClient, staff_auth: dict[str, str], participant: dict, message: str
) -> None:
    response = await client.post(WORK_ITEM, json=participants(participant), headers=staff_auth)

    assert response.status_code == 400 and message in response.json()["error"]


async def test_a_user_added_as_a_person_takes_a_user_role(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    """Real callers add the current user as odsType "person" with the user's id
    (Alter-Igor/Test _IDE/WKExpressSydneyWater/WKExpressWidgetAgent.js); contributor takes users
    and teams (reference/sharedo-api.md §3.3)."""
    item_id = await create(
        client, staff_auth, participants({"roleSystemName": "contributor", "odsId": STAFF_USER_ID, "odsType": "person"})
    )

    listed = (await client.get(f"/production/api/v2/public/workItem/{item_id}/participants", headers=staff_auth)).json()
    assert [(p["participantRoleSystemName"], p["odsId"], p["participantType"]) for p in listed] == [
        ("contributor", STAFF_USER_ID, "user")
    ]


# Contact details: one primary per contact type, as on every entity of a real `_search` answer
# (Alter-Igor/AlterspectiveSharedoIDE _IDE/Alt/UnifiedDataSearch/Blades/UnifiedOdsPmsSearch/
# sharedoResultsExample.json: a second e-mail is never primary; e-mail, mobile and direct line each are).


def email(value: str, primary: bool) -> dict:
    return {"contactTypeSystemName": "email", "contactValue": value, "isPrimary": primary}


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (PEOPLE, {"firstName": "Mary", "surname": "Two", "contactDetails": [email("a@x.example", True), email("b@x.example", True)]}),
        (ORGANISATIONS, {"name": "Two Primaries Ltd", "contactDetails": [email("a@x.example", True), email("b@x.example", True)]}),
    ],
    ids=["person", "organisation"],
)
async def test_two_primary_details_of_one_type_are_refused(
    client: httpx2.AsyncClient, staff_auth: dict[str, str], url: str, body: dict
) -> None:
    response = await client.post(url, json=body, headers=staff_auth)

    assert response.status_code == 400
    assert response.json()["error"] == "Only one 'email' contact detail can be primary"


async def test_one_primary_per_type_is_accepted(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    details = [
        email("a@x.example", True),
        email("b@x.example", False),
        {"contactTypeSystemName": "mobile", "contactValue": "0400 000 000", "isPrimary": True},
        {"contactTypeSystemName": "direct-line", "contactValue": "02 5550 0000", "isPrimary": True},
    ]
    response = await client.post(PEOPLE, json={"firstName": "Mary", "surname": "One", "contactDetails": details}, headers=staff_auth)

    assert response.status_code == 200


# ODS search: liberal in what it takes, real in what it answers.

PORTAL_BODY = {
    "startPage": 1,
    "endPage": 1,
    "rowsPerPage": 10,
    "odsEntityTypes": ["person"],
    "availability": {"isAvailable": None, "isOutOfOffice": None, "isNotAvailable": None},
    "location": {"postcode": None, "range": 10},
    "connection": {"systemName": None, "label": None, "otherOdsIds": []},
    "competencies": [],
    "teams": [],
    "roles": [],
    "odsTypes": [],
    "wallManagement": False,
}


@pytest.mark.parametrize(
    "body",
    [{**PORTAL_BODY, "searchString": "staff@sandbox.test"}, {"searchString": "staff@sandbox.test"}],
    ids=["portal-body", "bare-body"],
)
async def test_people_are_found_by_e_mail_with_contact_details_in_aspect_data(
    client: httpx2.AsyncClient, staff_auth: dict[str, str], body: dict
) -> None:
    """People are searched by surname or e-mail (Alter-Igor/Test src/WebBased/Common/OdsHelper.ts,
    searchForUsers); a row's `result` is a JSON string whose contact details are in
    `aspectData.ContactDetails` (…/UnifiedOdsPmsSearch/sharedoResultsExample.json)."""
    response = await client.post(SEARCH, json=body, headers=staff_auth)

    assert response.status_code == 200
    [row] = response.json()["rows"]
    entity = json.loads(row["result"])
    assert (row["id"], entity["isUser"]) == (STAFF_USER_ID, True)
    assert [(d["contactTypeSystemName"], d["contactValue"], d["isPrimary"]) for d in entity["aspectData"]["ContactDetails"]] == [
        ("email", "staff@sandbox.test", True)
    ]
