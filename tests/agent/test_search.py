from __future__ import annotations

from typing import Any

import httpx2
import pytest

from sandbox.aderant_db import EXAMPLE_MATTERS, HARBOUR_HOLDINGS

HARBOUR_MATTERS = [matter.number for matter in EXAMPLE_MATTERS]


async def search(client: httpx2.AsyncClient, q: str, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/matters", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


async def numbers(client: httpx2.AsyncClient, q: str) -> list[str]:
    return [item["matter_number"] for item in (await search(client, q))["items"]]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("82001", ["82001"]),  # matter number, exact
        ("8200", HARBOUR_MATTERS),  # matter number, prefix
        ("CL080001", HARBOUR_MATTERS),  # client code, exact
        ("cl0800", HARBOUR_MATTERS),  # client code, prefix, any case
        ("harbour HOLDINGS pty", HARBOUR_MATTERS),  # client name
        ("lease review", ["82002"]),  # matter name
        ("Pacific Insurance", ["82001"]),  # party name (organisation)
        ("mary citizen", ["82001", "82002", "82008"]),  # party name (person) on three matters
        ("Lee Wong", ["82003"]),
        ("O'Brien", ["82001"]),
    ],
)
async def test_search_matches_number_client_title_and_parties(
    client: httpx2.AsyncClient, q: str, expected: list[str]
) -> None:
    assert await numbers(client, q) == expected


async def test_search_returns_matter_summaries(client: httpx2.AsyncClient) -> None:
    body = await search(client, "82002")

    assert body == {
        "items": [
            {
                "matter_uno": 82002,
                "matter_number": "82002",
                "title": "Harbour Holdings — lease review",
                "client_uno": HARBOUR_HOLDINGS.client_uno,
                "client_code": "CL080001",
                "client_name": "Harbour Holdings Pty Ltd",
                "status": "CLOSE",
                "status_description": "Closed",
                "closed": True,
                "open_date": "2025-08-11",
                "close_date": "2026-06-30",
            }
        ],
        "next_offset": None,
    }


@pytest.mark.parametrize("q", ["' OR 1=1 --", "%", "_", "[H]arbour", "82001' --", "/"])
async def test_sql_metacharacters_are_plain_text(client: httpx2.AsyncClient, q: str) -> None:
    assert await numbers(client, q) == []


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "Pty", "limit": "0"}, "limit"),
        ({"q": "Pty", "limit": "101"}, "limit"),
        ({"q": "Pty", "limit": "ten"}, "limit"),
        ({"q": "Pty", "offset": "-1"}, "offset"),
    ],
)
async def test_bad_parameters_are_400_naming_the_parameter(
    client: httpx2.AsyncClient, params: dict[str, str], parameter: str
) -> None:
    response = await client.get("/v1/matters", params=params)

    assert response.status_code == 400
    assert response.json()["error"].startswith(f"{parameter} must")


async def test_longest_allowed_query_is_accepted(client: httpx2.AsyncClient) -> None:
    assert (await search(client, "x" * 200))["items"] == []


async def walk_search(client: httpx2.AsyncClient, q: str, limit: int) -> tuple[list[int], int]:
    unos: list[int] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        body = await search(client, q, offset=offset, limit=limit)
        unos += [item["matter_uno"] for item in body["items"]]
        offset = body["next_offset"]
        pages += 1
    return unos, pages


async def test_search_pages_are_stable_and_complete(client: httpx2.AsyncClient) -> None:
    small_pages, small_count = await walk_search(client, "Pty", limit=7)
    large_pages, large_count = await walk_search(client, "Pty", limit=100)

    assert len(small_pages) > 100  # enough matches to need several pages of either size
    assert small_count > large_count > 1
    assert small_pages == large_pages
    assert len(set(small_pages)) == len(small_pages)


async def test_search_is_ordered_by_matter_number(client: httpx2.AsyncClient) -> None:
    items = (await search(client, "Holdings", limit=100))["items"]

    numbers_seen = [item["matter_number"] for item in items]
    assert len(numbers_seen) > 10
    assert numbers_seen == sorted(numbers_seen)


async def test_first_page_points_at_the_next(client: httpx2.AsyncClient) -> None:
    body = await search(client, "Pty", limit=7)

    assert len(body["items"]) == 7
    assert body["next_offset"] == 7
