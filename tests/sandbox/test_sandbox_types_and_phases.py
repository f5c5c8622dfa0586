"""Work type tree, roles per type, the demo phase plan and phase transitions."""

from __future__ import annotations

import httpx2
import pytest

from sandbox.clio.seed import IMPORTED_WORK_ITEM_ID

API = "/production/api"


async def test_types_tree_answers_only_the_public_fields(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    """The public tree is a root array of `{systemName, children}` (sharedo-tech/sharedo-mobile-core
    `src/infra/typesTree.js` reads nothing else); `name` and `isAbstract` are seen on the modeller
    tree only (reference/public-evidence.md), so the sandbox does not send them."""
    tree = (await client.get(f"{API}/v2/public/types/tree", headers=staff_auth)).json()

    def keys(nodes: list[dict]) -> set[str]:
        return {key for node in nodes for key in node} | {key for node in nodes for key in keys(node["children"])}

    assert keys(tree) == {"systemName", "children"}
    assert [t["systemName"] for t in tree] == ["matter"]
    children = {c["systemName"]: c for c in tree[0]["children"]}
    assert set(children) == {
        "matter-litigation",
        "matter-commercial",
        "matter-property",
        "matter-private-client",
    }
    assert children["matter-litigation"]["children"] == []
    assert children["matter-private-client"]["children"] == [
        {"systemName": "matter-private-client-general", "children": []}
    ]


async def test_the_modeller_tree_carries_names_and_abstract_flags(client: httpx2.AsyncClient, admin_auth: dict[str, str]) -> None:
    """`GET /api/modeller/sharedoTypes`: nodes with `systemName`, `name`, `isAbstract`, `children`
    (jacquesonline/ShareDo-Tools `server/worktype-service.js` reads these, or `title`/`derivedTypes`)."""
    tree = (await client.get(f"{API}/modeller/sharedoTypes", headers=admin_auth)).json()

    [matter] = tree
    assert (matter["systemName"], matter["name"], matter["isAbstract"]) == ("matter", "Matter", True)
    children = {c["systemName"]: c for c in matter["children"]}
    assert (children["matter-litigation"]["name"], children["matter-litigation"]["isAbstract"]) == ("Litigation", False)
    assert children["matter-private-client"]["isAbstract"] is True
    assert children["matter-private-client"]["children"] == [
        {"systemName": "matter-private-client-general", "name": "Private Client – General", "isAbstract": False, "children": []}
    ]


async def test_roles_differ_by_type(client: httpx2.AsyncClient, admin_auth: dict[str, str]) -> None:
    url = f"{API}/modeller/referenceData/participantRoles/for"
    litigation = {
        r["systemName"]: r for r in (await client.get(f"{url}/matter-litigation", headers=admin_auth)).json()
    }
    commercial = {
        r["systemName"]: r for r in (await client.get(f"{url}/matter-commercial", headers=admin_auth)).json()
    }

    base_roles = {
        "client",
        "other-side",
        "other-side-solicitor",
        "interested-party",
        "matter-owner",
        "contributor",
        "reader",
        "client-read-only",
    }
    assert set(commercial) == base_roles
    assert set(litigation) == base_roles | {"witness"}
    assert litigation["witness"]["allowedParticipantTypes"] == ["person"]
    assert commercial["reader"]["isSecurityTeamRole"] is True and commercial["reader"]["isTeamRole"] is True
    assert commercial["client"]["isTeamRole"] is False
    assert commercial["matter-owner"]["allowedParticipantTypes"] == ["person", "team", "user"]


async def test_roles_of_an_unknown_type_are_404(
    client: httpx2.AsyncClient, admin_auth: dict[str, str]
) -> None:
    response = await client.get(
        f"{API}/modeller/referenceData/participantRoles/for/matter-tax", headers=admin_auth
    )

    assert response.status_code == 404


async def test_phase_plan(client: httpx2.AsyncClient, admin_auth: dict[str, str]) -> None:
    plan = (
        await client.get(f"{API}/modeller/sharedoTypes/matter-commercial/phasePlan", headers=admin_auth)
    ).json()

    phases = {p["systemName"]: p for p in plan["phases"]}
    assert [p["systemName"] for p in plan["phases"] if p["isStart"]] == ["matter-discovery"]
    assert {name for name, p in phases.items() if p["isOpen"]} == {
        "matter-discovery",
        "matter-handling",
        "matter-on-hold",
        "matter-closing",
    }
    assert phases["matter-closed"]["isOpen"] is False and phases["matter-abandoned"]["isOpen"] is False
    transitions = {(t["fromPhaseSystemName"], t["toPhaseSystemName"]): t["name"] for t in plan["transitions"]}
    assert transitions[("matter-closing", "matter-closed")] == "Close"
    assert transitions[("matter-abandoned", "matter-handling")] == "Re-Open"
    assert len(transitions) == 8


async def test_phase_plan_of_an_unknown_type_is_404(
    client: httpx2.AsyncClient, admin_auth: dict[str, str]
) -> None:
    response = await client.get(f"{API}/modeller/sharedoTypes/matter-tax/phasePlan", headers=admin_auth)

    assert response.status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/modeller/referenceData/participantRoles/for/matter-litigation", "/modeller/sharedoTypes/matter/phasePlan", "/modeller/sharedoTypes"],
)
async def test_modeller_routes_refuse_a_client_credentials_token_and_staff(
    client: httpx2.AsyncClient, client_auth: dict[str, str], staff_auth: dict[str, str], path: str
) -> None:
    """Modeller routes answer an administrator's portal session only: jacquesonline/ShareDo-Tools
    `server/auth.js` (`tryAuth`) gets 401 with its client-credentials token and retries with the
    administrator's `_api` cookie (`server.js`: phase plan, roles, "admin cookie required")."""
    refused = await client.get(f"{API}{path}", headers=client_auth)
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert (await client.get(f"{API}{path}", headers=staff_auth)).status_code == 403


async def new_matter(client: httpx2.AsyncClient, auth: dict[str, str]) -> str:
    body = {"workItem": {"sharedoTypeSystemName": "matter-property", "title": "Lease"}}
    return (await client.post(f"{API}/v1/public/workItem", json=body, headers=auth)).json()["workItem"]["id"]


async def move(
    client: httpx2.AsyncClient, auth: dict[str, str], item_id: str, to_phase: str
) -> httpx2.Response:
    return await client.put(
        f"{API}/v1/public/workItem/{item_id}/phase",
        json={"toPhaseSystemName": to_phase, "description": "", "reasonText": ""},
        headers=auth,
    )


async def test_a_new_item_starts_in_discovery(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    """`GET …/phase` answers the current phase and `availableTransitions` with the fields
    sharedo-tech/sharedo-sample-mobile-app reads (`src/agents/phasesAgent.js`,
    `src/views/WorkItems/WorkItemDetail.vue`: name, toPhaseSystemName, toPhaseIconClass,
    isOptimumPath, isUserDriven)."""
    item_id = await new_matter(client, staff_auth)

    phase = (await client.get(f"{API}/v1/public/workItem/{item_id}/phase", headers=staff_auth)).json()

    assert (phase["systemName"], phase["name"]) == ("matter-discovery", "Discovery")
    assert {t["toPhaseSystemName"] for t in phase["availableTransitions"]} == {
        "matter-handling",
        "matter-abandoned",
    }
    assert all(t["isUserDriven"] and t["toPhaseIconClass"] for t in phase["availableTransitions"])


async def test_closing_walks_the_plan(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    item_id = await new_matter(client, staff_auth)

    answers = [
        await move(client, staff_auth, item_id, phase)
        for phase in ("matter-handling", "matter-closing", "matter-closed")
    ]
    phase = (await client.get(f"{API}/v1/public/workItem/{item_id}/phase", headers=staff_auth)).json()

    assert [a.json() for a in answers] == [
        {"systemName": "matter-handling", "name": "Handling"},
        {"systemName": "matter-closing", "name": "Closing"},
        {"systemName": "matter-closed", "name": "Closed"},
    ]
    assert (phase["systemName"], phase["availableTransitions"]) == ("matter-closed", [])


@pytest.mark.parametrize("to_phase", ["matter-closed", "matter-closing", "matter-nowhere"])
async def test_a_transition_not_available_is_refused(
    client: httpx2.AsyncClient, staff_auth: dict[str, str], to_phase: str
) -> None:
    """Only the moves `GET …/phase` offers in `availableTransitions` can be made: the public callers
    offer nothing else (sharedo-tech/sharedo-sample-mobile-app `src/views/WorkItems/WorkItemDetail.vue`,
    `src/agents/phasesAgent.js`)."""
    item_id = await new_matter(client, staff_auth)

    response = await move(client, staff_auth, item_id, to_phase)
    phase = (await client.get(f"{API}/v1/public/workItem/{item_id}/phase", headers=staff_auth)).json()

    assert response.status_code == 400 and response.json()["error"]
    assert phase["systemName"] == "matter-discovery"


async def test_abandoned_matters_can_be_reopened(
    client: httpx2.AsyncClient, staff_auth: dict[str, str]
) -> None:
    abandoned = await move(client, staff_auth, IMPORTED_WORK_ITEM_ID, "matter-abandoned")
    reopened = await move(client, staff_auth, IMPORTED_WORK_ITEM_ID, "matter-handling")

    assert abandoned.json()["systemName"] == "matter-abandoned"
    assert reopened.json() == {"systemName": "matter-handling", "name": "Handling"}


async def test_phase_filters_of_find_by_query(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    await move(client, staff_auth, IMPORTED_WORK_ITEM_ID, "matter-closing")
    await move(client, staff_auth, IMPORTED_WORK_ITEM_ID, "matter-closed")
    open_item = await new_matter(client, staff_auth)

    async def ids(phase: dict | None) -> set[str]:
        search = {} if phase is None else {"phase": phase}
        body = (
            await client.post(
                f"{API}/v1/public/workItem/findByQuery", json={"search": search}, headers=staff_auth
            )
        ).json()
        return {r["id"] for r in body["results"]}

    assert await ids({"includeOpen": True}) == {open_item}
    assert await ids({"includeClosed": True}) == {IMPORTED_WORK_ITEM_ID}
    assert await ids({"includeOpen": True, "includeClosed": True}) == {open_item, IMPORTED_WORK_ITEM_ID}
    assert await ids(None) == {open_item, IMPORTED_WORK_ITEM_ID}


async def test_a_deleted_work_item_is_not_found(client: httpx2.AsyncClient, staff_auth: dict[str, str], production) -> None:  # type: ignore[no-untyped-def]
    """A work item in the removed phase (`matter-deleted`, IsRemoved in sharedo-tech/forum2024-02-S3's
    solution export) answers 404 like any work item not found (reference/sharedo-api.md §2.2)."""
    state = production.state
    state.work_items[IMPORTED_WORK_ITEM_ID].phase = state.phase_plan.phase("matter-deleted")
    item = f"{API}/v1/public/workItem/{IMPORTED_WORK_ITEM_ID}"

    for path in ("", "/phase", "/attributes"):
        assert (await client.get(item + path, headers=staff_auth)).status_code == 404
    assert (await move(client, staff_auth, IMPORTED_WORK_ITEM_ID, "matter-handling")).status_code == 404
