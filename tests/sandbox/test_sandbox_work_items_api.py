"""Work items: create with its validation rules, get, findByQuery, attributes, participants."""

from __future__ import annotations

import httpx2
import pytest

from sandbox.clio.seed import (
    HARBOUR_HOLDINGS_ID,
    IMPORTED_WORK_ITEM_ID,
    MARY_CITIZEN_ID,
    STAFF_USER_ID,
    TEAM_LITIGATION_SYDNEY_ID,
)

WORK_ITEM = "/production/api/v1/public/workItem"
FIND = f"{WORK_ITEM}/findByQuery"


def matter(
    type_name: str = "matter-litigation",
    *,
    participants: list[dict] | None = None,
    key_dates: dict | None = None,
    form_data: dict | None = None,
) -> dict:
    return {
        "workItem": {
            "sharedoTypeSystemName": type_name,
            "title": "Harbour Holdings v Coastal Freight",
            "titleIsUserProvided": True,
            "reference": "CL080001/82001",
            "referenceIsUserProvided": True,
            "description": "Recovery of freight charges",
        },
        "aspectData": {
            "formBuilder": {
                "formData": form_data
                if form_data is not None
                else {"aderant-matter-id": "82001", "aderant-client-code": "CL080001"},
                "formIds": [],
            }
        },
        "keyDates": key_dates if key_dates is not None else {"kd-instruction-date": "2026-03-02"},
        "participants": participants
        if participants is not None
        else [
            {
                "roleSystemName": "client",
                "odsId": HARBOUR_HOLDINGS_ID,
                "odsType": "organisation",
                "odsReference": "Harbour Holdings Pty Ltd",
            },
            {"roleSystemName": "witness", "odsId": MARY_CITIZEN_ID, "odsType": "person"},
            {"roleSystemName": "matter-owner", "odsId": STAFF_USER_ID, "odsType": "user"},
            {"roleSystemName": "reader", "odsId": TEAM_LITIGATION_SYDNEY_ID, "odsType": "team"},
        ],
    }


async def create(client: httpx2.AsyncClient, auth: dict[str, str], body: dict) -> str:
    response = await client.post(WORK_ITEM, json=body, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["workItem"]["id"]


async def find(client: httpx2.AsyncClient, auth: dict[str, str], search: dict, enrich: list[str] = ()) -> dict:
    body = {
        "search": {"page": {"page": 1, "rowsPerPage": 20}, **search},
        "enrich": [{"path": p} for p in enrich],
    }
    response = await client.post(FIND, json=body, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


async def test_create_then_get(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    item_id = await create(client, staff_auth, matter())

    body = (await client.get(f"{WORK_ITEM}/{item_id}", headers=staff_auth)).json()

    assert body["workItem"] == {
        "id": item_id,
        "title": "Harbour Holdings v Coastal Freight",
        "reference": "CL080001/82001",
        "description": "Recovery of freight charges",
        "sharedoTypeSystemName": "matter-litigation",
        "titleIsUserProvided": True,
        "referenceIsUserProvided": True,
    }
    assert body["aspectData"]["formBuilder"]["formData"] == {
        "aderant-matter-id": "82001",
        "aderant-client-code": "CL080001",
    }
    assert body["keyDates"] == {"kd-instruction-date": "2026-03-02"}


async def test_find_by_attribute_sees_a_new_item_at_once(
    client: httpx2.AsyncClient, staff_auth: dict[str, str]
) -> None:
    item_id = await create(client, staff_auth, matter())

    found = await find(
        client,
        staff_auth,
        {
            "types": {"includeTypesDerivedFrom": ["matter"]},
            "phase": {"includeOpen": True, "includeClosed": True},
            "attributes": [{"key": "aderant-matter-id", "value": "82001"}],
        },
        enrich=[
            "id",
            "title",
            "reference",
            "phase.systemName",
            "type.systemName",
            "type.name",
            "form-aderant.aderant-client-code",
            "form-aderant.aderant-matter-id",
            "createdDate.utc.value",
            "roles.primary-owner.ods.name",
        ],
    )

    assert found["totalCount"] == 1
    result = found["results"][0]
    assert result["id"] == item_id
    data = result["data"]
    assert (data["id"], data["title"], data["reference"]) == (
        item_id,
        "Harbour Holdings v Coastal Freight",
        "CL080001/82001",
    )
    assert data["phase.systemName"] == "matter-discovery"
    assert (data["type.systemName"], data["type.name"]) == ("matter-litigation", "Litigation")
    assert data["form-aderant.aderant-client-code"] == "CL080001"
    assert data["form-aderant.aderant-matter-id"] == "82001"
    assert data["createdDate.utc.value"].endswith("Z")
    assert data["roles.primary-owner.ods.name"] is None, "a known path the sandbox does not model"


@pytest.mark.parametrize(
    "path",
    [
        "phase.isOpen",  # no public caller enriches it (reference/public-evidence.md)
        "aderant-matter-id",  # an attribute by its bare name: values are read as form-{form}.{field}
        "form-nosuchform.aderant-matter-id",  # a form the tenant does not have
        "form-aderant.no-such-field",  # a field its form does not have
        "no-such-thing",
    ],
)
async def test_find_by_query_refuses_an_unknown_enrich_path(
    client: httpx2.AsyncClient, staff_auth: dict[str, str], path: str
) -> None:
    """Known paths are those public callers use (sharedo-tech/sharedo_api_samples
    `documents/filing/Filing.App/Sharedo/WorkItemSearches.cs`, sharedo-tech/sharedo-sample-mobile-app
    `src/agents/searchAgent.js`, jacquesonline/ShareDo-Tools `public/search/search.js`) and the
    fields of the tenant's forms as `form-{form}.{field}` (sharedo-tech/forum2024-02-S3
    `IDE/Demo01/PMSWidget/PMSWidgetAgent.js`)."""
    body = {"search": {"workItemIds": [IMPORTED_WORK_ITEM_ID]}, "enrich": [{"path": "id"}, {"path": path}]}
    response = await client.post(FIND, json=body, headers=staff_auth)
    assert response.status_code == 400 and path in response.json()["error"]


async def test_find_by_query_refuses_an_unknown_search_field(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    """The `search` fields are those public callers send (reference/sharedo-api.md §2.4, e.g.
    sharedo-tech/sharedo_api_samples `time/entry/app/Sharedo/MyMattersApi.cs` for `sort` and `ownership`)."""
    known = {"search": {"sort": {"orderBy": "updatedDate", "direction": "descending"}, "freeText": {"input": "x"}}}
    assert (await client.post(FIND, json=known, headers=staff_auth)).status_code == 200
    response = await client.post(FIND, json={"search": {"matterNumber": "82003"}}, headers=staff_auth)
    assert response.status_code == 400 and "matterNumber" in response.json()["error"]


async def test_find_the_seeded_imported_matter(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    by_attribute = await find(
        client,
        staff_auth,
        {"attributes": [{"key": "aderant-matter-id", "value": "82003"}]},
        enrich=["title", "phase.systemName"],
    )
    by_reference = await find(client, staff_auth, {"reference": "CL080001/82003"})

    assert [r["id"] for r in by_attribute["results"]] == [IMPORTED_WORK_ITEM_ID]
    assert by_attribute["results"][0]["data"] == {
        "title": "Harbour Holdings — employment advice",
        "phase.systemName": "matter-handling",
    }
    assert [r["id"] for r in by_reference["results"]] == [IMPORTED_WORK_ITEM_ID]


async def test_find_by_work_item_ids_and_types(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    litigation = await create(client, staff_auth, matter())
    property_matter = await create(client, staff_auth, matter("matter-property", participants=[]))

    by_ids = await find(client, staff_auth, {"workItemIds": [litigation, IMPORTED_WORK_ITEM_ID]})
    property_only = await find(client, staff_auth, {"types": {"includeTypes": ["matter-property"]}})
    all_matters = await find(client, staff_auth, {"types": {"includeTypesDerivedFrom": ["matter"]}})
    no_match = await find(
        client, staff_auth, {"attributes": [{"key": "aderant-matter-id", "value": "99999"}]}
    )

    assert {r["id"] for r in by_ids["results"]} == {litigation, IMPORTED_WORK_ITEM_ID}
    assert [r["id"] for r in property_only["results"]] == [property_matter]
    assert all_matters["totalCount"] == 3
    assert no_match == {"totalCount": 0, "results": []}


async def test_find_pages_results(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    for _ in range(3):
        await create(client, staff_auth, matter(participants=[]))

    first = await find(client, staff_auth, {"page": {"page": 1, "rowsPerPage": 2}})
    second = await find(client, staff_auth, {"page": {"page": 2, "rowsPerPage": 2}})

    assert (first["totalCount"], len(first["results"])) == (4, 2)
    assert len(second["results"]) == 2
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


BAD_CREATES = {
    "unknown-type": matter("matter-tax"),
    "abstract-type": matter("matter-private-client", participants=[]),
    "witness-on-commercial": matter(
        "matter-commercial",
        participants=[{"roleSystemName": "witness", "odsId": MARY_CITIZEN_ID, "odsType": "person"}],
    ),
    "team-as-client": matter(
        participants=[{"roleSystemName": "client", "odsId": TEAM_LITIGATION_SYDNEY_ID, "odsType": "team"}]
    ),
    "person-as-reader": matter(
        participants=[{"roleSystemName": "reader", "odsId": MARY_CITIZEN_ID, "odsType": "person"}]
    ),
    "type-does-not-match-entity": matter(
        participants=[{"roleSystemName": "client", "odsId": MARY_CITIZEN_ID, "odsType": "organisation"}]
    ),
    "unknown-ods-id": matter(
        participants=[
            {"roleSystemName": "client", "odsId": "00000000-0000-0000-0000-000000000000", "odsType": "person"}
        ]
    ),
    "unknown-key-date": matter(key_dates={"kd-trial-date": "2026-09-01"}),
    "no-title": {"workItem": {"sharedoTypeSystemName": "matter-litigation"}},
    "no-type": {"workItem": {"title": "Untyped"}},
}


@pytest.mark.parametrize("body", BAD_CREATES.values(), ids=BAD_CREATES.keys())
async def test_invalid_creates_are_refused(
    client: httpx2.AsyncClient, staff_auth: dict[str, str], body: dict
) -> None:
    response = await client.post(WORK_ITEM, json=body, headers=staff_auth)
    everything = await find(client, staff_auth, {})

    assert response.status_code == 400
    assert response.json()["error"]
    assert everything["totalCount"] == 1, "a refused create must not leave an item behind"


async def test_participant_type_is_inferred_when_omitted(
    client: httpx2.AsyncClient, staff_auth: dict[str, str]
) -> None:
    item_id = await create(
        client, staff_auth, matter(participants=[{"roleSystemName": "contributor", "odsId": STAFF_USER_ID}])
    )

    participants = (
        await client.get(f"/production/api/v2/public/workItem/{item_id}/participants", headers=staff_auth)
    ).json()

    assert [(p["participantType"], p["odsName"]) for p in participants] == [("user", "Sam Staff")]


async def test_participants_list(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    item_id = await create(client, staff_auth, matter())

    participants = (
        await client.get(f"/production/api/v2/public/workItem/{item_id}/participants", headers=staff_auth)
    ).json()

    assert [
        (p["participantRoleSystemName"], p["odsId"], p["odsName"], p["participantType"]) for p in participants
    ] == [
        ("client", HARBOUR_HOLDINGS_ID, "Harbour Holdings Pty Ltd", "organisation"),
        ("witness", MARY_CITIZEN_ID, "Mary Citizen", "person"),
        ("matter-owner", STAFF_USER_ID, "Sam Staff", "user"),
        ("reader", TEAM_LITIGATION_SYDNEY_ID, "Litigation – Sydney", "team"),
    ]
    assert participants[0]["participantRoleTypeName"] == "Client"
    assert participants[3]["participantRoleCategorySystemName"]


async def test_attributes_read_and_write(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    url = f"{WORK_ITEM}/{IMPORTED_WORK_ITEM_ID}/attributes"

    written = await client.post(f"{url}/pms-sync-import-id", json={"value": "imp-1"}, headers=staff_auth)
    cleared = await client.post(f"{url}/aderant-client-id", json={"value": None}, headers=staff_auth)
    attributes = (await client.get(url, headers=staff_auth)).json()
    found = await find(client, staff_auth, {"attributes": [{"key": "pms-sync-import-id", "value": "imp-1"}]})

    assert (written.status_code, written.json(), cleared.status_code) == (200, {}, 200)
    assert attributes == {
        "aderant-matter-id": "82003",
        "aderant-matter-code": "82003",
        "aderant-client-code": "CL080001",
        "pms-sync-import-id": "imp-1",
    }
    assert [r["id"] for r in found["results"]] == [IMPORTED_WORK_ITEM_ID]


@pytest.mark.parametrize("suffix", ["", "/attributes", "/phase"])
async def test_unknown_work_items_are_404(
    client: httpx2.AsyncClient, staff_auth: dict[str, str], suffix: str
) -> None:
    response = await client.get(
        f"{WORK_ITEM}/00000000-0000-0000-0000-000000000000{suffix}", headers=staff_auth
    )

    assert response.status_code == 404


async def test_the_pascal_case_form_builder_aspect_is_accepted(
    client: httpx2.AsyncClient, staff_auth: dict[str, str]
) -> None:
    body = matter(participants=[])
    body["aspectData"] = {"FormBuilder": {"formData": {"aderant-matter-id": "82009"}, "formIds": ["pms-sync"]}}
    item_id = await create(client, staff_auth, body)

    attributes = (await client.get(f"{WORK_ITEM}/{item_id}/attributes", headers=staff_auth)).json()
    aspects = (await client.get(f"{WORK_ITEM}/{item_id}", headers=staff_auth)).json()["aspectData"]

    assert attributes == {"aderant-matter-id": "82009"}
    assert aspects == {"formBuilder": {"formData": {"aderant-matter-id": "82009"}, "formIds": ["pms-sync"]}}


async def test_an_update_takes_the_shape_get_answers_and_refuses_any_other(
    client: httpx2.AsyncClient, staff_auth: dict[str, str]
) -> None:
    """`PUT …/workItem/{id}` with the GET answer changed (the tenant's swagger; read, change, send
    back as sharedo-tech/sharedo-sample-mobile-app src/views/WorkItems/EditWorkItem.vue does)."""
    work_item_id = await create(client, staff_auth, matter())
    current = (await client.get(f"{WORK_ITEM}/{work_item_id}", headers=staff_auth)).json()
    url = f"{WORK_ITEM}/{work_item_id}"

    refused = [
        {"title": "Flat"},
        {**current, "extra": 1},
        {**current, "workItem": {**current["workItem"], "id": "another"}},
        {**current, "workItem": {**current["workItem"], "sharedoTypeSystemName": "matter-commercial"}},
        {**current, "workItem": {**current["workItem"], "title": ""}},
        {**current, "keyDates": {"kd-unknown": "2026-01-01"}},
    ]
    for body in refused:
        answer = await client.put(url, json=body, headers=staff_auth)
        assert answer.status_code == 400, body

    changed = {**current, "workItem": {**current["workItem"], "title": "Renamed"}, "keyDates": {"kd-instruction-date": "2026-05-05"}}
    answer = await client.put(url, json=changed, headers=staff_auth)

    assert answer.status_code == 200
    now = (await client.get(url, headers=staff_auth)).json()
    assert now["workItem"]["title"] == "Renamed" and now["workItem"]["reference"] == current["workItem"]["reference"]
    assert now["keyDates"] == {"kd-instruction-date": "2026-05-05"}
    assert now["aspectData"]["formBuilder"]["formData"] == current["aspectData"]["formBuilder"]["formData"]


async def test_a_participant_is_added_once(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    work_item_id = await create(client, staff_auth, matter(participants=[]))
    url = f"/production/api/v2/public/workItem/{work_item_id}/participants"
    entry = {"roleSystemName": "witness", "odsId": MARY_CITIZEN_ID, "odsType": "person", "odsReference": "Mary Citizen"}

    added = await client.post(url, json=entry, headers=staff_auth)
    twice = await client.post(url, json=entry, headers=staff_auth)
    wrong_role = await client.post(url, json={**entry, "roleSystemName": "no-such-role"}, headers=staff_auth)

    assert added.status_code == 200 and twice.status_code == 400 and wrong_role.status_code == 400
    listed = (await client.get(url, headers=staff_auth)).json()
    assert [(p["participantRoleSystemName"], p["odsId"]) for p in listed] == [("witness", MARY_CITIZEN_ID)]
