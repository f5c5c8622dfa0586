from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette

from agent.paging import items_envelope, render_page
from sandbox.aderant_db import MANY_PARTIES_MATTER
from tests.agent.helpers import ClientFactory

ITEMS = [{"n": index, "text": "x" * 40} for index in range(10)]  # 53 bytes each


def page(
    candidates: list[dict[str, Any]], *, offset: int = 0, limit: int = 10, budget: int
) -> dict[str, Any]:
    body = render_page(
        candidates, offset=offset, limit=limit, envelope=items_envelope, budget=budget
    )
    assert len(body) < budget
    return json.loads(body)


def test_everything_that_fits_is_returned_without_next_offset() -> None:
    assert page(ITEMS, budget=10_000) == {"items": ITEMS, "next_offset": None}


def test_items_are_cut_to_stay_under_the_budget() -> None:
    result = page(ITEMS, offset=20, budget=300)

    assert result["items"] == ITEMS[:4]
    assert result["next_offset"] == 24


def test_look_ahead_item_only_signals_more() -> None:
    result = page(ITEMS, limit=9, budget=10_000)

    assert result["items"] == ITEMS[:9]
    assert result["next_offset"] == 9


def test_one_item_larger_than_the_budget_is_still_returned_so_paging_progresses() -> None:
    body = render_page(ITEMS, offset=0, limit=10, envelope=items_envelope, budget=50)

    assert json.loads(body) == {"items": ITEMS[:1], "next_offset": 1}


@pytest.mark.parametrize("budget", [1_500, 4_000])
async def test_small_budget_pages_the_parties_of_a_large_matter(
    make_app: Callable[..., Starlette], make_client: ClientFactory, budget: int
) -> None:
    async with make_client(make_app(response_budget=budget)) as http:
        response = await http.get("/v1/matters/82004")
        assert response.status_code == 200
        sizes = [len(response.content)]
        matter = response.json()["matter"]
        parties = matter["parties"]
        offset = matter["parties_next_offset"]
        assert offset == len(parties) < len(MANY_PARTIES_MATTER.parties)
        while offset is not None:
            response = await http.get("/v1/matters/82004/parties", params={"offset": offset})
            assert response.status_code == 200
            sizes.append(len(response.content))
            parties += response.json()["items"]
            offset = response.json()["next_offset"]

    assert max(sizes) < budget
    assert len(sizes) > 2
    assert sorted((p["name_uno"], p["role_code"]) for p in parties) == sorted(
        MANY_PARTIES_MATTER.parties
    )


async def test_small_budget_cuts_search_results(
    make_app: Callable[..., Starlette], make_client: ClientFactory
) -> None:
    async with make_client(make_app(response_budget=2_000)) as http:
        response = await http.get("/v1/matters", params={"q": "Pty", "limit": 100})

    body = response.json()
    assert len(response.content) < 2_000
    assert 0 < len(body["items"]) < 100
    assert body["next_offset"] == len(body["items"])


async def test_default_budget_keeps_full_pages_under_60000_bytes(
    client: httpx2.AsyncClient,
) -> None:
    for path, params in [
        ("/v1/matters", {"q": "Pty", "limit": 100}),
        ("/v1/matters-opened", {"clients": ",".join(f"CL{100_000 + n}" for n in range(50)),
                                "since": "2018-01-01", "limit": 100}),
        ("/v1/matter-statuses", {"ids": ",".join(str(100_000 + n) for n in range(200))}),
        ("/v1/matters/82004", {}),
    ]:
        response = await client.get(path, params=params)
        assert response.status_code == 200
        assert len(response.content) < 60_000
