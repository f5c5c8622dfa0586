"""`GET /v1/matter-details`: many matters in one call, each as its own route gives it, with its
first parties (agent/README.md)."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from agent.app import MAX_DETAIL_IDS, PARTIES_PER_DETAIL
from agent.paging import RESPONSE_BYTE_LIMIT
from sandbox.aderant_db import MANY_PARTIES_COUNT


async def one_by_one(client: httpx2.AsyncClient, number: str) -> dict[str, Any]:
    """A matter with every party, as the single-matter routes give it."""
    matter = (await client.get(f"/v1/matters/{number}")).json()["matter"]
    offset = matter.pop("parties_next_offset")
    while offset is not None:
        page = (await client.get(f"/v1/matters/{number}/parties", params={"offset": offset})).json()
        matter["parties"] += page["items"]
        offset = page["next_offset"]
    return matter


async def test_many_matters_come_as_their_own_routes_give_them_unknown_ids_left_out(client: httpx2.AsyncClient) -> None:
    response = await client.get("/v1/matter-details", params={"ids": "82004,999999,82001,82003"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_offset"] is None
    assert [m["matter_uno"] for m in body["items"]] == [82001, 82003, 82004]
    for item in body["items"]:
        whole = await one_by_one(client, item["matter_number"])
        rest_from = item.pop("parties_next_offset")
        assert item == {**whole, "parties": whole["parties"][:PARTIES_PER_DETAIL]}
        assert rest_from == (PARTIES_PER_DETAIL if len(whole["parties"]) > PARTIES_PER_DETAIL else None)
    assert len((await one_by_one(client, "82004"))["parties"]) == MANY_PARTIES_COUNT


async def test_matters_that_do_not_fit_one_answer_continue_from_next_offset(client: httpx2.AsyncClient) -> None:
    ids = ",".join(str(100_000 + n) for n in range(MAX_DETAIL_IDS))
    pages, offset = [], 0
    while offset is not None:
        response = await client.get("/v1/matter-details", params={"ids": ids, "offset": offset})
        assert response.status_code == 200 and len(response.content) < RESPONSE_BYTE_LIMIT
        pages.append(response.json())
        offset = pages[-1]["next_offset"]

    assert len(pages) > 1, "50 generated matters with their parties are more than one answer"
    assert [m["matter_uno"] for page in pages for m in page["items"]] == list(range(100_000, 100_000 + MAX_DETAIL_IDS))
    assert pages[0]["next_offset"] == len(pages[0]["items"])


@pytest.mark.parametrize("ids", ["", "abc", ",".join(str(n) for n in range(1, MAX_DETAIL_IDS + 2))])
async def test_bad_detail_ids_are_400(client: httpx2.AsyncClient, ids: str) -> None:
    response = await client.get("/v1/matter-details", params={"ids": ids})
    assert response.status_code == 400
