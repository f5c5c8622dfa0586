"""ClioOperateClient and ClioIdentity against the Clio Operate shapes (sandbox/README.md,
reference/sharedo-api.md), through pytest-httpx."""

import asyncio
import base64
import json
from typing import Any
from urllib.parse import parse_qsl

import httpx2
import pytest
from pytest_httpx import HTTPXMock

from clients.clio_models import (
    FormField,
    NewParticipant,
    NewWorkItem,
    ParticipantRole,
    ParticipantType,
    PhaseRef,
    PhaseTransition,
    WorkItemChanges,
    WorkItemKeyDates,
    WorkItemParticipant,
    WorkItemPhase,
    WorkItemRef,
    WorkType,
)
from clients.clio_operate import ClioIdentity, ClioOperateClient, work_item_query
from clients.errors import (
    RemoteAuthError,
    RemoteNotFound,
    RemoteRejected,
    RemoteTimeout,
    RemoteUnavailable,
)
from clients.remote_clients import RemoteClients
from plugin.environment_clients import EnvironmentClients
from store.repository import EnvironmentSettings
from tests.clients.client_samples import API_URL, CLIENT_ID, CLIENT_SECRET, IDENTITY_URL, assert_no_secrets

TOKEN_URL = f"{IDENTITY_URL}/connect/token"
BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def clio(http: httpx2.AsyncClient, clock: FakeClock) -> ClioOperateClient:
    return ClioOperateClient(
        identity_url=IDENTITY_URL + "/",
        api_url=API_URL,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        environment_name="UAT",
        http=http,
        clock=clock,
        concurrency=2,
    )


def add_token(httpx_mock: HTTPXMock, token: str = "service-token-1", expires_in: int = 900) -> None:
    httpx_mock.add_response(
        method="POST",
        url=TOKEN_URL,
        match_headers={"Authorization": BASIC},
        match_content=b"grant_type=client_credentials&scope=sharedo",
        json={"access_token": token, "expires_in": expires_in, "token_type": "Bearer"},
    )


def api(path: str) -> str:
    return API_URL + path


def bearer(request: httpx2.Request) -> str:
    return request.headers["Authorization"]


def token_requests(httpx_mock: HTTPXMock) -> list[httpx2.Request]:
    return httpx_mock.get_requests(url=TOKEN_URL)


# Service token


async def test_service_token_uses_basic_auth_and_client_credentials(
    clio: ClioOperateClient, httpx_mock: HTTPXMock
) -> None:
    """POST {identity}/connect/token, Basic client auth, client_credentials with scope sharedo:
    sharedo-tech/sharedo-auth-samples (client credentials sample)."""
    add_token(httpx_mock)
    httpx_mock.add_response(method="GET", url=api("/api/v2/public/types/tree"), json=[])

    await clio.work_type_tree()

    (token_request,) = token_requests(httpx_mock)
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert dict(parse_qsl(token_request.content.decode())) == {"grant_type": "client_credentials", "scope": "sharedo"}
    (api_request,) = httpx_mock.get_requests(url=api("/api/v2/public/types/tree"))
    assert bearer(api_request) == "Bearer service-token-1"
    assert api_request.extensions["timeout"] == {"connect": 15.0, "read": 15.0, "write": 15.0, "pool": 15.0}


async def test_two_calls_share_one_token(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    add_token(httpx_mock)
    httpx_mock.add_response(url=api("/api/v2/public/types/tree"), json=[], is_reusable=True)

    await clio.work_type_tree()
    await clio.work_type_tree()

    assert len(token_requests(httpx_mock)) == 1
    assert len(httpx_mock.get_requests(url=api("/api/v2/public/types/tree"))) == 2


async def test_concurrent_calls_share_one_token_request(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    async def slow_token(request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(0.01)
        return httpx2.Response(200, json={"access_token": "service-token-1", "expires_in": 900})

    httpx_mock.add_callback(slow_token, url=TOKEN_URL)
    httpx_mock.add_response(url=api("/api/v2/public/types/tree"), json=[], is_reusable=True)

    await asyncio.gather(*(clio.work_type_tree() for _ in range(5)))

    assert len(token_requests(httpx_mock)) == 1


async def test_token_is_renewed_60_seconds_before_it_expires(
    clio: ClioOperateClient, clock: FakeClock, httpx_mock: HTTPXMock
) -> None:
    add_token(httpx_mock, "service-token-1")
    add_token(httpx_mock, "service-token-2")
    httpx_mock.add_response(url=api("/api/v2/public/types/tree"), json=[], is_reusable=True)

    await clio.work_type_tree()
    clock.now += 900 - 60 - 1
    await clio.work_type_tree()
    clock.now += 1
    await clio.work_type_tree()

    calls = httpx_mock.get_requests(url=api("/api/v2/public/types/tree"))
    assert [bearer(call) for call in calls] == [
        "Bearer service-token-1",
        "Bearer service-token-1",
        "Bearer service-token-2",
    ]
    assert len(token_requests(httpx_mock)) == 2


async def test_a_401_fetches_a_new_token_and_retries_once(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    add_token(httpx_mock, "service-token-1")
    add_token(httpx_mock, "service-token-2")
    sent: list[str] = []  # recorded as sent: the retry reuses (and re-authorises) the same request

    def tree(request: httpx2.Request) -> httpx2.Response:
        sent.append(bearer(request))
        if len(sent) == 1:
            return httpx2.Response(401)
        return httpx2.Response(200, json=[{"systemName": "matter"}])

    httpx_mock.add_callback(tree, url=api("/api/v2/public/types/tree"), is_reusable=True)

    nodes = await clio.work_type_tree()

    assert [node.system_name for node in nodes] == ["matter"]
    assert sent == ["Bearer service-token-1", "Bearer service-token-2"]
    assert len(token_requests(httpx_mock)) == 2


async def test_the_recent_tree_is_read_again_only_once_it_is_old(
    clio: ClioOperateClient, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    add_token(httpx_mock)
    answers = iter(["Litigation", "Disputes"])
    httpx_mock.add_callback(
        lambda request: httpx2.Response(200, json=[{"systemName": "matter-litigation", "name": next(answers)}]),
        url=api("/api/v2/public/types/tree"), is_reusable=True,
    )

    first = await clio.recent_work_type_tree(max_age=600)
    clock.now += 599
    cached = await clio.recent_work_type_tree(max_age=600)
    clock.now += 2
    renewed = await clio.recent_work_type_tree(max_age=600)

    assert [t.name for t in (*first, *cached, *renewed)] == ["Litigation", "Litigation", "Disputes"]
    assert len(httpx_mock.get_requests(url=api("/api/v2/public/types/tree"))) == 2


async def test_a_second_401_is_an_auth_error_without_the_token(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    add_token(httpx_mock, "service-token-1")
    add_token(httpx_mock, "service-token-2")
    for _ in range(2):
        httpx_mock.add_response(
            url=api("/api/v2/public/types/tree"), status_code=401, text="Bearer service-token-2 is not valid here"
        )

    with pytest.raises(RemoteAuthError) as caught:
        await clio.work_type_tree()

    assert str(caught.value).startswith("Clio Operate refused our credentials for UAT: check the client id and secret")
    assert len(token_requests(httpx_mock)) == 2
    assert len(httpx_mock.get_requests(url=api("/api/v2/public/types/tree"))) == 2
    assert_no_secrets(caught.value, "service-token-1", "service-token-2")


@pytest.mark.parametrize("answer", [(401, {"error": "invalid_client"}), (400, {"error": "invalid_client"})])
async def test_a_refused_client_is_an_auth_error(
    answer: tuple[int, dict[str, str]], clio: ClioOperateClient, httpx_mock: HTTPXMock
) -> None:
    status, body = answer
    httpx_mock.add_response(url=TOKEN_URL, status_code=status, json=body)

    with pytest.raises(RemoteAuthError) as caught:
        await clio.work_type_tree()

    assert "check the client id and secret (invalid_client)" in str(caught.value)
    assert_no_secrets(caught.value, BASIC.split()[1])


async def test_user_info_uses_the_users_token_and_accepts_both_role_shapes(
    clio: ClioOperateClient, httpx_mock: HTTPXMock
) -> None:
    """GET /api/security/userInfo with the user's own token; fields (userId, userName, roles as
    strings) per sharedo-tech/sharedo-auth-samples
    authCode/outlookPlugin/Sharedo.Api/Services/Models/UserClaim.cs."""
    httpx_mock.add_response(
        method="GET",
        url=api("/api/security/userInfo"),
        match_headers={"Authorization": "Bearer portal-token"},
        json={
            "isAuthenticated": True,
            "clientId": "sharedo",
            "userId": "0b8e5c1e-0000-4000-8000-000000000001",
            "userName": "staff@sandbox.test",
            "fullName": "Sam Staff",
            "provider": "idsrv",
            "roles": [
                "matter-handler",
                {"systemName": "system-administrator", "name": "System administrator"},
                {"name": "reader"},
            ],
        },
    )

    info = await clio.user_info("portal-token")

    assert info.is_authenticated and info.user_name == "staff@sandbox.test" and info.provider == "idsrv"
    assert info.roles == ("matter-handler", "system-administrator", "reader")
    assert info.client_id == "sharedo" and info.full_name == "Sam Staff"
    assert info.user_id == "0b8e5c1e-0000-4000-8000-000000000001"
    assert token_requests(httpx_mock) == []


async def test_a_refused_user_token_is_not_retried(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=api("/api/security/userInfo"), status_code=401)

    with pytest.raises(RemoteAuthError) as caught:
        await clio.user_info("expired-portal-token")

    assert len(httpx_mock.get_requests()) == 1
    assert_no_secrets(caught.value, "expired-portal-token")


# ODS


# The ODS calls' shapes are pinned in test_clio_operate_shapes.py.


# Work items


def find_result(work_item_id: str, **data: Any) -> dict[str, Any]:
    return {"id": work_item_id, "data": {"id": work_item_id, **data}}


MATTER_ID = FormField("aderant", "matterUno")
FIND = "/api/v1/public/workItem/findByQuery"


async def test_find_work_items_by_attribute_pins_the_query_and_reads_every_page(
    clio: ClioOperateClient, httpx_mock: HTTPXMock
) -> None:
    """The identity lookup. `attributes` `[{key, value}]`, `types` and the enrich paths as in
    sharedo-tech/sharedo_api_samples `documents/filing/Filing.App/Sharedo/WorkItemSearches.cs`
    (`FindMattersByAttribute`); `page` and `phase` as in `time/entry/app/Sharedo/MyMattersApi.cs`;
    the form field read back as `form-{form}.{field}` and searched by the field's name, as in
    sharedo-tech/forum2024-02-S3 `IDE/Demo01/PMSWidget/PMSWidgetAgent.js`."""
    add_token(httpx_mock)
    expected_query = {
        "search": {
            "page": {"page": 1, "rowsPerPage": 2},
            "types": {"includeTypesDerivedFrom": ["matter"]},
            "phase": {"includeOpen": True, "includeClosed": True, "includeRemoved": False},
            "attributes": [{"key": "matterUno", "value": "82001"}],
        },
        "enrich": [
            {"path": "id"},
            {"path": "title"},
            {"path": "reference"},
            {"path": "phase.systemName"},
            {"path": "phase.name"},
            {"path": "type.systemName"},
            {"path": "type.name"},
            {"path": "form-aderant.matterUno"},
        ],
    }
    second_page = json.loads(json.dumps(expected_query))
    second_page["search"]["page"]["page"] = 2
    matter = {
        "title": "Acme v Widget",
        "reference": "82001",
        "type.systemName": "matter-litigation",
        "type.name": "Litigation",
        "phase.systemName": "matter-handling",
        "phase.name": "Handling",
        "form-aderant.matterUno": "82001",
    }
    httpx_mock.add_response(
        method="POST",
        url=api(FIND),
        match_json=expected_query,
        json={"totalCount": 3, "results": [find_result("w-1", **matter), find_result("w-2", **matter)]},
    )
    httpx_mock.add_response(
        method="POST",
        url=api(FIND),
        match_json=second_page,
        json={"totalCount": 3, "results": [find_result("w-3", **matter)]},
    )

    found = await clio.find_work_items(attributes={MATTER_ID: "82001"}, rows=2)

    assert [item.id for item in found] == ["w-1", "w-2", "w-3"]
    assert found[0] == WorkItemRef(
        "w-1", "Acme v Widget", "82001", "matter-litigation", "matter-handling", {MATTER_ID: "82001"},
        type_name="Litigation", phase_name="Handling",
    )


async def test_find_open_work_items_by_many_ids_filters_by_phase_in_chunks_of_100(
    clio: ClioOperateClient, httpx_mock: HTTPXMock
) -> None:
    """Close-sync's lookup: open items only, by the search's own phase filter
    (`phase: {includeOpen: true, includeClosed: false}`, sharedo-tech/sharedo_api_samples
    `time/entry/app/Sharedo/MyMattersApi.cs`), by `workItemIds` (`WorkItemSearches.cs` `FindByIds`)."""
    add_token(httpx_mock)
    asked: list[dict[str, Any]] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        asked.append(body)
        ids = body["search"]["workItemIds"]
        return httpx2.Response(200, json={"totalCount": 1, "results": [find_result(ids[0])]})

    httpx_mock.add_callback(answer, method="POST", url=api(FIND), is_reusable=True)
    ids = [f"w-{number}" for number in range(250)]

    found = await clio.find_work_items(work_item_ids=ids, open_only=True, rows=100)

    assert sorted(len(body["search"]["workItemIds"]) for body in asked) == [50, 100, 100]
    assert sorted(work_item_id for body in asked for work_item_id in body["search"]["workItemIds"]) == sorted(ids)
    first = next(body for body in asked if body["search"]["workItemIds"][0] == "w-0")
    assert first == {
        "search": {
            "page": {"page": 1, "rowsPerPage": 100},
            "types": {"includeTypesDerivedFrom": ["matter"]},
            "phase": {"includeOpen": True, "includeClosed": False, "includeRemoved": False},
            "workItemIds": ids[:100],
        },
        "enrich": [{"path": p} for p in ("id", "title", "reference", "phase.systemName", "phase.name", "type.systemName", "type.name")],
    }
    assert [item.id for item in found] == ["w-0", "w-100", "w-200"]


async def test_find_work_items_needs_something_to_look_for(clio: ClioOperateClient) -> None:
    with pytest.raises(ValueError):
        await clio.find_work_items()


def test_work_item_query_with_ids_only() -> None:
    query = work_item_query(attributes={}, work_item_ids=["w-1"], open_only=False, page=3, rows=10)
    assert query["search"]["workItemIds"] == ["w-1"]
    assert "attributes" not in query["search"]
    assert query["search"]["page"] == {"page": 3, "rowsPerPage": 10}
    assert "phase.isOpen" not in {e["path"] for e in query["enrich"]}, "no public caller enriches phase.isOpen"


async def test_unknown_work_item_is_not_found(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    add_token(httpx_mock)
    httpx_mock.add_response(method="PUT", url=api("/api/v1/public/workItem/w-404/phase"), status_code=404)

    with pytest.raises(RemoteNotFound) as caught:
        await clio.set_phase("w-404", "matter-closed", "Closed in Aderant")

    assert str(caught.value) == "Work item w-404 was not found in Clio Operate (UAT)"


async def test_set_phase(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    """`PUT …/phase` body as in sharedo-tech/sharedo-sample-mobile-app `src/agents/phasesAgent.js`
    (`setFor`); the answer `{systemName, name}` as in sharedo-tech/sharedo_api_samples
    `documents/filing/Filing.App/Sharedo/DocumentManagement.cs` (`ReceiveDocument`)."""
    add_token(httpx_mock)
    httpx_mock.add_response(
        method="PUT",
        url=api("/api/v1/public/workItem/w-1/phase"),
        match_json={
            "toPhaseSystemName": "matter-closed",
            "description": "Closed in Aderant",
            "reasonText": "Closed in Aderant",
        },
        json={"systemName": "matter-closed", "name": "Closed"},
    )

    assert await clio.set_phase("w-1", "matter-closed", "Closed in Aderant") == PhaseRef("matter-closed", "Closed")

    assert len(httpx_mock.get_requests(method="PUT")) == 1


async def test_phase_reads_the_available_transitions(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    """`GET …/phase` → `availableTransitions[{name, toPhaseSystemName, isOptimumPath, isUserDriven}]`,
    as sharedo-tech/sharedo-sample-mobile-app `src/agents/phasesAgent.js` (`getFor`) and
    `src/views/WorkItems/WorkItemDetail.vue` read it."""
    add_token(httpx_mock)
    httpx_mock.add_response(
        method="GET",
        url=api("/api/v1/public/workItem/w%2F1/phase"),
        match_content=b"",
        json={
            "systemName": "matter-handling",
            "availableTransitions": [
                {"name": "Start Closing", "toPhaseSystemName": "matter-closing", "toPhaseIconClass": "fa-flag",
                 "isOptimumPath": True, "isUserDriven": True},
                {"name": "Abandon", "toPhaseSystemName": "matter-abandoned", "isOptimumPath": False, "isUserDriven": True},
            ],
        },
    )
    httpx_mock.add_response(method="GET", url=api("/api/v1/public/workItem/w-2/phase"), json={"availableTransitions": []})

    assert await clio.phase("w/1") == WorkItemPhase(
        "matter-handling",
        (
            PhaseTransition("Start Closing", "matter-closing", True, True),
            PhaseTransition("Abandon", "matter-abandoned", False, True),
        ),
    )
    assert await clio.phase("w-2") == WorkItemPhase(None, ())


def test_participant_types_are_names_or_objects() -> None:
    """`allowedParticipantTypes` as strings, or as objects naming their ODS entity type (Alter-Igor/Test
    `src/Typings/WidgetsOdsEntityPicker/IAddParticipantService.ts`, `AllowedParticipantType`)."""
    role = ParticipantRole.from_json(
        {
            "systemName": "matter-owner",
            "allowedParticipantTypes": [
                "team",
                {"systemName": "user", "name": "User", "iconClass": "fa-user", "addCommand": {"invoke": "x"},
                 "odsEntityTypeSystemName": "person"},
            ],
        }
    )
    assert role.allowed_participant_types == (ParticipantType("team"), ParticipantType("user", "person", "User"))
    assert role.takes("team") and role.takes("person") and not role.takes("organisation")
    assert ParticipantRole.from_json({"systemName": "anyone"}).takes("organisation"), "no list: any type"


async def test_participants(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    """`GET /api/v2/public/workItem/{id}/participants`, no body, answering a list of rows with
    `odsId`, `odsName`, `participantType`, `participantRoleTypeName` and
    `participantRoleCategorySystemName`, as sharedo-tech/sharedo-sample-mobile-app
    `src/agents/participantsAgent.js` (`getParticipantsFor`) calls it and
    `src/views/Participants/Participants.vue` reads it."""
    add_token(httpx_mock)
    rows = [
        {"odsId": "p-1", "odsName": "Mary Citizen", "participantType": "person",
         "participantRoleSystemName": "client", "participantRoleTypeName": "Client",
         "participantRoleCategorySystemName": "matter-participants"}
    ]
    httpx_mock.add_response(
        method="GET", url=api("/api/v2/public/workItem/w-1/participants"), match_content=b"", json=rows
    )

    assert await clio.participants("w-1") == [WorkItemParticipant("client", "p-1", "Mary Citizen", "person")]


async def test_key_dates_are_read_from_the_work_item_when_it_carries_them(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    """`GET /api/v1/public/workItem/{id}` answers `{workItem, aspectData}` (sharedo-tech/sharedo-sample-mobile-app
    `src/views/WorkItems/EditWorkItem.vue`); `keyDates` beside them is inferred from the create body.
    A date sent with a time (midnight) is read as its day."""
    add_token(httpx_mock)
    item = {"workItem": {"id": "w-1", "title": "T"}, "aspectData": {}}
    dates = {"kd-instruction-date": "2026-03-02", "kd-long-stop": "2026-04-01T00:00:00Z", "kd-settlement": None}
    httpx_mock.add_response(method="GET", url=api("/api/v1/public/workItem/w-1"), json={**item, "keyDates": dates})
    httpx_mock.add_response(method="GET", url=api("/api/v1/public/workItem/w-2"), json=item)

    read = await clio.key_dates("w-1")
    assert read == WorkItemKeyDates({"kd-instruction-date": "2026-03-02", "kd-long-stop": "2026-04-01", "kd-settlement": None})
    assert await clio.key_dates("w-2") is None


async def test_update_work_item_sends_back_what_get_answered_with_the_changes(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    """`PUT /api/v1/public/workItem/{id}` takes the shape GET answers (the tenant's swagger,
    reference/sharedo-api.md §2.3); the work item is read, changed and sent back as
    sharedo-tech/sharedo-sample-mobile-app `src/views/WorkItems/EditWorkItem.vue` does, so nothing
    else on it is lost. A key date None is removed."""
    add_token(httpx_mock)
    current = {
        "workItem": {"id": "w-1", "title": "Old", "reference": "R-1", "sharedoTypeSystemName": "matter-commercial"},
        "aspectData": {"formBuilder": {"formData": {"aderant-office": "Sydney"}, "formIds": []}},
        "keyDates": {"kd-instruction-date": "2026-03-02", "kd-long-stop": "2027-01-01"},
    }
    httpx_mock.add_response(method="GET", url=api("/api/v1/public/workItem/w-1"), json=current)
    httpx_mock.add_response(method="PUT", url=api("/api/v1/public/workItem/w-1"), json={})

    await clio.update_work_item(
        "w-1", WorkItemChanges(title="New", key_dates={"kd-instruction-date": "2026-05-05", "kd-long-stop": None})
    )

    sent = json.loads(httpx_mock.get_requests()[-1].content)
    assert sent == {
        "workItem": {"id": "w-1", "title": "New", "reference": "R-1", "sharedoTypeSystemName": "matter-commercial"},
        "aspectData": {"formBuilder": {"formData": {"aderant-office": "Sydney"}, "formIds": []}},
        "keyDates": {"kd-instruction-date": "2026-05-05"},
    }


async def test_set_attribute_and_add_participant(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    """An attribute: `POST …/workItem/{id}/attributes/{name}` `{value}` (sharedo-tech/forum2024-02-S3
    `IDE/Demo01/PMSWidget/PMSWidgetAgent.js`). A participant: the create call's entry, to the
    participants route whose body is not public (inferred: configurable)."""
    add_token(httpx_mock)
    httpx_mock.add_response(method="POST", url=api("/api/v1/public/workItem/w-1/attributes/aderant-office"), json={})
    httpx_mock.add_response(method="POST", url=api("/api/v2/public/workItem/w-1/participants"), json={})

    await clio.set_attribute("w-1", "aderant-office", "Perth")
    await clio.add_participant("w-1", NewParticipant("witness", "p-9", "person", "Lee Wong"))

    attribute, participant = (json.loads(r.content) for r in httpx_mock.get_requests()[-2:])
    assert attribute == {"value": "Perth"}
    assert participant == {"roleSystemName": "witness", "odsId": "p-9", "odsType": "person", "odsReference": "Lee Wong"}


async def test_form_fields_asked_for_are_read_back_without_filtering(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    """Drift's read: form fields by their enrich path `form-{form}.{field}` (sharedo-tech/forum2024-02-S3
    `IDE/Demo01/PMSWidget/PMSWidgetAgent.js`), matched by `workItemIds` only."""
    add_token(httpx_mock)
    office = FormField("aderant", "aderant-office")
    httpx_mock.add_response(
        method="POST", url=api(FIND),
        json={"totalCount": 1, "results": [find_result("w-1", **{"title": "T", "form-aderant.aderant-office": "Sydney"})]},
    )

    [found] = await clio.find_work_items(work_item_ids=["w-1"], fields=[office, office])

    body = json.loads(httpx_mock.get_requests()[-1].content)
    assert "attributes" not in body["search"] and body["search"]["workItemIds"] == ["w-1"]
    assert [e["path"] for e in body["enrich"]][-1:] == ["form-aderant.aderant-office"]
    assert found.attributes == {office: "Sydney"} and found.title == "T"


# Work types


async def test_work_type_tree_is_nested(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    """`GET /api/v2/public/types/tree`: a root array of nodes, each `{systemName, children}`, as
    sharedo-tech/sharedo-mobile-core `src/infra/typesTree.js` (`load`, `find`) reads it. A tenant
    that also sends `name` and `isAbstract` (seen on the modeller tree) is read as it says."""
    add_token(httpx_mock)
    httpx_mock.add_response(
        url=api("/api/v2/public/types/tree"),
        json=[
            {
                "systemName": "matter",
                "name": "Matter",
                "isAbstract": True,
                "children": [
                    {"systemName": "matter-litigation", "name": "Litigation", "isAbstract": False, "children": []}
                ],
            }
        ],
    )

    assert await clio.work_type_tree() == [
        WorkType("matter", "Matter", True, (WorkType("matter-litigation", "Litigation", False, ()),))
    ]


async def test_a_public_tree_without_names_or_abstract_flags_is_read_from_its_shape(
    clio: ClioOperateClient, httpx_mock: HTTPXMock
) -> None:
    """The public tree as sharedo-tech/sharedo-mobile-core `src/infra/typesTree.js` reads it
    carries only `systemName` and `children`: a node with children is a base type (abstract), a
    leaf a type a work item can be created as, and the name is the system name."""
    add_token(httpx_mock)
    httpx_mock.add_response(
        method="GET",
        url=api("/api/v2/public/types/tree"),
        match_content=b"",
        json=[
            {
                "systemName": "matter",
                "children": [
                    {"systemName": "matter-litigation", "children": []},
                    {"systemName": "matter-private-client",
                     "children": [{"systemName": "matter-private-client-general", "children": []}]},
                ],
            }
        ],
    )

    assert await clio.work_type_tree() == [
        WorkType("matter", "matter", True, (
            WorkType("matter-litigation", "matter-litigation", False, ()),
            WorkType("matter-private-client", "matter-private-client", True, (
                WorkType("matter-private-client-general", "matter-private-client-general", False, ()),
            )),
        ))
    ]


# Errors


async def test_connection_refused_is_unavailable(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    add_token(httpx_mock)
    httpx_mock.add_exception(httpx2.ConnectError("connection refused"), url=api("/api/v2/public/types/tree"))

    with pytest.raises(RemoteUnavailable) as caught:
        await clio.work_type_tree()

    assert str(caught.value) == "Clio Operate is not reachable for UAT: connection refused"


async def test_identity_server_timeout(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx2.ConnectTimeout("timed out"), url=TOKEN_URL)

    with pytest.raises(RemoteTimeout) as caught:
        await clio.work_type_tree()

    assert str(caught.value).startswith("Clio Operate did not answer in time for UAT")


async def test_a_500_is_unavailable(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    add_token(httpx_mock)
    httpx_mock.add_response(url=api("/api/ods/_search"), status_code=500, text="Internal Server Error")

    with pytest.raises(RemoteUnavailable) as caught:
        await clio.search_contacts("x")

    assert str(caught.value) == "Clio Operate is not reachable for UAT: it answered HTTP 500 (Internal Server Error)"


async def test_403_names_the_missing_permission(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    add_token(httpx_mock)
    httpx_mock.add_response(
        url=api("/api/v1/public/workItem"),
        status_code=403,
        json={"error": "Forbidden: permission core.sharedo.create.matter-litigation is required"},
    )

    with pytest.raises(RemoteAuthError) as caught:
        await clio.create_work_item(NewWorkItem("matter-litigation", "Acme v Widget", "82001"))

    assert str(caught.value) == (
        "Clio Operate refused our credentials for UAT: "
        "the API client lacks the permission core.sharedo.create.matter-litigation"
    )


async def test_400_carries_the_remote_message_and_no_token(clio: ClioOperateClient, httpx_mock: HTTPXMock) -> None:
    add_token(httpx_mock, "service-token-1")
    httpx_mock.add_response(
        url=api("/api/v1/public/workItem"),
        status_code=400,
        json={"error": "Role 'judge' is not valid for matter-litigation (caller service-token-1)"},
    )

    with pytest.raises(RemoteRejected) as caught:
        await clio.create_work_item(NewWorkItem("matter-litigation", "Acme v Widget", "82001"))

    assert str(caught.value) == (
        "Clio Operate rejected the request for UAT: Role 'judge' is not valid for matter-litigation (caller ***)"
    )
    assert_no_secrets(caught.value, "service-token-1")


# Identity documents


async def test_discovery_and_jwks(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    """Discovery at `{issuer}/.well-known/openid-configuration` (OpenID Connect Discovery 1.0,
    section 4; the identity server's Discovery row in reference/sharedo-api.md, inferred), and the
    keys wherever its `jwks_uri` says (section 3), here IdentityServer's default path."""
    jwks_uri = f"{IDENTITY_URL}/.well-known/openid-configuration/jwks"
    discovery = {"issuer": IDENTITY_URL, "jwks_uri": jwks_uri}
    keys = {"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256", "n": "AQAB", "e": "AQAB"}]}
    httpx_mock.add_response(
        method="GET", url=f"{IDENTITY_URL}/.well-known/openid-configuration", json=discovery, is_reusable=True
    )
    httpx_mock.add_response(method="GET", url=jwks_uri, json=keys)
    identity = ClioIdentity(identity_url=IDENTITY_URL, http=http)

    assert await identity.discovery() == discovery
    assert await identity.jwks() == keys


async def test_an_environment_may_move_discovery(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    """The `discovery` route is overridable per environment (its Clio Operate routes in Settings)
    like the API routes; the keys still come from the document's `jwks_uri`, never a fixed path."""
    jwks_uri = f"{IDENTITY_URL}/keys"
    httpx_mock.add_response(
        method="GET", url=f"{IDENTITY_URL}/identity/.well-known/openid-configuration",
        json={"issuer": IDENTITY_URL, "jwks_uri": jwks_uri},
    )
    httpx_mock.add_response(method="GET", url=jwks_uri, json={"keys": []})
    env = EnvironmentSettings(
        id=1, organisation_id=1, name="UAT", is_default=True, identity_url=IDENTITY_URL, api_url=API_URL,
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, portal_origins=(), work_item_url_template="",
        agent_url="", agent_key=None, relay_key_name=None, relay_key=None, import_writes_enabled=False,
        clio_settings={"routes": {"discovery": "/identity/.well-known/openid-configuration"}},
    )

    assert await EnvironmentClients(RemoteClients(http)).identity(env).jwks() == {"keys": []}


async def test_identity_errors_name_the_host_when_no_environment_is_given(
    http: httpx2.AsyncClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=f"{IDENTITY_URL}/.well-known/openid-configuration", status_code=502)

    with pytest.raises(RemoteUnavailable) as caught:
        await ClioIdentity(identity_url=IDENTITY_URL, http=http).discovery()

    assert str(caught.value).startswith("Clio Operate is not reachable for uat-identity.sharedo.test")
