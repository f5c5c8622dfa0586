"""The sandbox answers calls made at once at once, as Clio Operate would; and what keeps a burst
of them cheap (a token verified once, work items looked up by attribute) keeps their answers right."""

from __future__ import annotations

import asyncio

import httpx2
import pytest

from sandbox.app import Sandbox
from sandbox.calls import sequential_depth
from sandbox.clio.seed import IMPORTED_WORK_ITEM_ID
from sandbox.clio.state import WorkItemQuery
from sandbox.clio.tenant import Tenant

SEARCH = "/production/api/ods/_search"


async def test_two_delayed_calls_sent_together_are_served_together(
    live_sandbox: str, sandbox: Sandbox, staff_auth: dict[str, str]
) -> None:
    sandbox.faults.add(SEARCH, method="POST", delay=0.5)
    async with httpx2.AsyncClient(base_url=live_sandbox, headers=staff_auth) as http:
        answers = await asyncio.gather(
            *(http.post(SEARCH, json={"searchString": name}) for name in ("Smith", "Citizen"))
        )

    assert [a.status_code for a in answers] == [200, 200]
    calls = [c for c in sandbox.calls.calls if c.path == SEARCH]
    assert len(calls) == 2
    assert max(c.started for c in calls) < min(c.finished for c in calls), "the second began before the first ended"
    assert sequential_depth(calls) == 1


def test_a_token_verified_once_is_refused_once_it_has_expired(production: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    token = production.mint_user_token("staff@sandbox.test", lifetime=60)
    claims = production.tokens.resolve(token)
    assert claims is not None and production.tokens.resolve(token) == claims

    monkeypatch.setattr("sandbox.clio.tokens.time.time", lambda: claims["exp"])
    assert production.tokens.resolve(token) is None


def test_a_token_refused_once_is_refused_again(production: Tenant) -> None:
    forged = production.tokens.sign({"iss": production.tokens.issuer, "aud": "someone-else", "sub": "x"})
    assert production.tokens.resolve(forged) is None
    assert production.tokens.resolve(forged) is None


def test_work_items_are_found_by_their_attributes_as_they_are_now(production: Tenant) -> None:
    state = production.state

    def found(value: str) -> list[str]:
        query = WorkItemQuery(attributes=(("aderant-matter-id", value),))
        return [item.id for item in state.find_work_items(query)]

    assert found("82003") == [IMPORTED_WORK_ITEM_ID]
    state.set_attribute(IMPORTED_WORK_ITEM_ID, "aderant-matter-id", "82003-B")
    assert (found("82003"), found("82003-B")) == ([], [IMPORTED_WORK_ITEM_ID])
    state.set_attribute(IMPORTED_WORK_ITEM_ID, "aderant-matter-id", None)
    assert found("82003-B") == []
