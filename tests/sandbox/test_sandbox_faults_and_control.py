"""Fault injection, the call log, reset, and the other mounts of the sandbox app."""

from __future__ import annotations

import asyncio
import time

import httpx2
import pytest
from starlette.applications import Starlette

from sandbox.app import Sandbox
from sandbox.clio.seed import IMPORTED_WORK_ITEM_ID
from sandbox.faults import CallLog, FaultMiddleware, Faults
from tests.sandbox.conftest import BASE_URL

TREE = "/production/api/v2/public/types/tree"
USER_INFO = "/production/api/security/userInfo"


async def test_delay_slows_only_the_matching_endpoint(sandbox_app: Starlette, staff_auth: dict[str, str]) -> None:
    delays: list[float] = []
    delaying, release = asyncio.Event(), asyncio.Event()

    async def held_sleep(seconds: float) -> None:
        """The first delay lasts until the test releases it; any other passes at once (and is noted)."""
        delays.append(seconds)
        if len(delays) == 1:
            delaying.set()
            await release.wait()

    faults = Faults()
    rule = faults.add(TREE, method="GET", delay=0.3)
    delayed = FaultMiddleware(sandbox_app, faults, CallLog(), sleep=held_sleep)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=delayed), base_url=BASE_URL) as client:
        slow = asyncio.create_task(client.get(TREE, headers=staff_auth))
        await asyncio.wait({slow, asyncio.create_task(delaying.wait())}, return_when=asyncio.FIRST_COMPLETED)
        assert delaying.is_set(), "the tree call waits out its delay"
        fast = await client.get(USER_INFO, headers=staff_auth)
        assert fast.status_code == 200 and not slow.done(), "the user-info call is answered while the tree call waits"
        release.set()
        assert (await slow).status_code == 200
    assert delays == [0.3] and rule.fired == 1


async def test_status_is_injected_for_a_prefix(
    client: httpx2.AsyncClient, sandbox: Sandbox, staff_auth: dict[str, str]
) -> None:
    sandbox.faults.add("/production/api/ods/*", status=503)

    injected = await client.post("/production/api/ods/_search", json={}, headers=staff_auth)
    untouched = await client.get(TREE, headers=staff_auth)

    assert (injected.status_code, injected.json()) == (503, {"error": "injected fault"})
    assert untouched.status_code == 200


async def test_times_limits_how_often_a_rule_fires(
    client: httpx2.AsyncClient, sandbox: Sandbox, staff_auth: dict[str, str]
) -> None:
    rule = sandbox.faults.add(TREE, status=500, times=2)

    statuses = [(await client.get(TREE, headers=staff_auth)).status_code for _ in range(4)]

    assert statuses == [500, 500, 200, 200]
    assert rule.fired == 2


async def test_method_restricts_a_rule(
    client: httpx2.AsyncClient, sandbox: Sandbox, staff_auth: dict[str, str]
) -> None:
    sandbox.faults.add("/production/api/v1/public/workItem/findByQuery", method="post", status=502)

    wrong_method = await client.get("/production/api/v1/public/workItem/findByQuery", headers=staff_auth)
    right_method = await client.post(
        "/production/api/v1/public/workItem/findByQuery", json={}, headers=staff_auth
    )

    assert wrong_method.status_code != 502
    assert right_method.status_code == 502


def test_timeout_holds_the_request_until_the_client_gives_up(live_sandbox: str, sandbox: Sandbox) -> None:
    sandbox.faults.add(TREE, timeout=True)

    with httpx2.Client(base_url=live_sandbox, timeout=0.5) as http, pytest.raises(httpx2.ReadTimeout):
        http.get(TREE)

    deadline = time.monotonic() + 5
    while not sandbox.calls.calls and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [(c.path, c.status) for c in sandbox.calls.calls] == [(TREE, None)]


@pytest.mark.parametrize(
    "rule",
    [
        {"path": "no-slash"},
        {"path": "/x", "delay": -1},
        {"path": "/x", "status": 42},
        {"path": "/x", "times": 0},
        {"path": "/x", "match": "regex"},
        {"path": "/x", "colour": "red"},
        {"delay": 1},
    ],
    ids=["path", "delay", "status", "times", "match", "unknown-field", "no-path"],
)
async def test_nonsense_rules_are_refused_over_http(
    client: httpx2.AsyncClient, sandbox: Sandbox, rule: dict
) -> None:
    response = await client.post("/_sandbox/faults", json=rule)

    assert response.status_code == 400
    assert sandbox.faults.rules == []


async def test_faults_over_http(client: httpx2.AsyncClient, staff_auth: dict[str, str]) -> None:
    added = await client.post(
        "/_sandbox/faults",
        json={
            "method": None,
            "path": "/production/api/*",
            "match": "prefix",
            "delay": 0,
            "status": 500,
            "timeout": False,
            "times": None,
        },
    )
    listed = (await client.get("/_sandbox/faults")).json()
    during = await client.get(TREE, headers=staff_auth)
    cleared = await client.delete("/_sandbox/faults")
    after = await client.get(TREE, headers=staff_auth)

    assert added.status_code == 201
    assert [(r["path"], r["match"], r["status"]) for r in listed["rules"]] == [
        ("/production/api/", "prefix", 500)
    ]
    assert (during.status_code, cleared.status_code, after.status_code) == (500, 204, 200)


async def test_the_call_log_records_remote_calls_but_not_controls(
    client: httpx2.AsyncClient, staff_auth: dict[str, str]
) -> None:
    await client.get(TREE, headers=staff_auth)
    await client.get("/production/api/v1/public/workItem/nope", headers=staff_auth)
    await client.get("/_sandbox/faults")

    calls = (await client.get("/_sandbox/calls")).json()["calls"]
    cleared = await client.delete("/_sandbox/calls")
    after = (await client.get("/_sandbox/calls")).json()["calls"]

    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("GET", TREE, 200),
        ("GET", "/production/api/v1/public/workItem/nope", 404),
    ]
    assert all(c["started"] <= c["finished"] for c in calls)
    assert calls[0]["finished"] <= calls[1]["started"]
    assert cleared.status_code == 204 and after == []


async def test_reset_restores_the_seed(
    client: httpx2.AsyncClient, sandbox: Sandbox, staff_auth: dict[str, str]
) -> None:
    created = await client.post(
        "/production/api/v2/public/organisation", json={"name": "Temp Pty Ltd"}, headers=staff_auth
    )
    await client.put(
        f"/production/api/v1/public/workItem/{IMPORTED_WORK_ITEM_ID}/phase",
        json={"toPhaseSystemName": "matter-on-hold"},
        headers=staff_auth,
    )

    reset = await client.post("/_sandbox/reset")
    gone = await client.get(
        f"/production/api/v2/public/organisation/{created.json()['id']}", headers=staff_auth
    )
    phase = (
        await client.get(
            f"/production/api/v1/public/workItem/{IMPORTED_WORK_ITEM_ID}/phase", headers=staff_auth
        )
    ).json()

    assert reset.status_code == 204
    assert gone.status_code == 404
    assert phase["systemName"] == "matter-handling"


def test_environments(sandbox: Sandbox) -> None:
    environments = sandbox.environments()

    assert [(e["name"], e["tenant"]) for e in environments] == [("Production", "production"), ("UAT", "uat")]
    assert environments[1] == {
        "name": "UAT",
        "tenant": "uat",
        "identity_url": "http://sandbox.test/uat/identity",
        "api_url": "http://sandbox.test/uat",
        "portal_url": "http://sandbox.test/uat/portal/",
        "client_id": "pms-sync",
        "client_secret": "sandbox-secret",
    }


async def test_uat_is_a_separate_tenant_with_the_same_seed(
    client: httpx2.AsyncClient, sandbox: Sandbox
) -> None:
    uat_auth = {"Authorization": f"Bearer {sandbox.tenants['uat'].mint_client_token()}"}
    production_auth = {"Authorization": f"Bearer {sandbox.tenants['production'].mint_client_token()}"}
    await client.post(
        "/production/api/v2/public/organisation",
        json={"name": "Only In Production Ltd"},
        headers=production_auth,
    )

    seeded = await client.get(f"/uat/api/v1/public/workItem/{IMPORTED_WORK_ITEM_ID}", headers=uat_auth)
    search = (
        await client.post(
            "/uat/api/ods/_search", json={"searchString": "Only In Production"}, headers=uat_auth
        )
    ).json()

    assert seeded.status_code == 200
    assert search["totalRows"] == 0


async def test_the_agent_is_mounted_with_the_configured_key(client: httpx2.AsyncClient) -> None:
    without_key = await client.get("/aderant/v1/matters/82001")
    with_key = await client.get(
        "/aderant/v1/matters/82001", headers={"Authorization": "Bearer sandbox-agent-key"}
    )

    assert without_key.status_code == 401
    assert with_key.status_code == 200
    assert with_key.json()["matter"]["client_name"] == "Harbour Holdings Pty Ltd"
