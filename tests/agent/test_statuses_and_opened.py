from __future__ import annotations

import sqlite3
from typing import Any

import httpx2
import pytest
from sqlalchemy.engine import make_url


async def get_json(client: httpx2.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_statuses_of_known_matters_leave_unknown_ids_out(client: httpx2.AsyncClient) -> None:
    body = await get_json(client, "/v1/matter-statuses", ids="82002,999999,82001,82002")

    assert body == {
        "items": [
            {"matter_uno": 82001, "matter_number": "82001", "status": "OPEN",
             "status_description": "Open", "closed": False, "close_date": None},
            {"matter_uno": 82002, "matter_number": "82002", "status": "CLOSE",
             "status_description": "Closed", "closed": True, "close_date": "2026-06-30"},
        ]
    }


async def test_statuses_accept_200_ids(client: httpx2.AsyncClient) -> None:
    ids = ",".join(str(100_000 + index) for index in range(200))

    body = await get_json(client, "/v1/matter-statuses", ids=ids)

    assert [item["matter_uno"] for item in body["items"]] == list(range(100_000, 100_200))
    # generated matters are closed by status code; a status outside the closed list is open
    assert all(item["closed"] == (item["status"] != "OPEN") for item in body["items"])


@pytest.mark.parametrize(
    "ids", ["", "abc", "1,two", ",".join(str(index) for index in range(1, 202))]
)
async def test_bad_status_ids_are_400(client: httpx2.AsyncClient, ids: str) -> None:
    response = await client.get("/v1/matter-statuses", params={"ids": ids})

    assert response.status_code == 400
    assert response.json()["error"].startswith("ids must")


async def walk_opened(
    client: httpx2.AsyncClient, clients: str, since: str, limit: int
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        body = await get_json(
            client, "/v1/matters-opened", clients=clients, since=since, offset=offset, limit=limit
        )
        items += body["items"]
        offset = body["next_offset"]
    return items


async def test_matters_opened_since_a_date_in_open_date_order(client: httpx2.AsyncClient) -> None:
    body = await get_json(client, "/v1/matters-opened", clients="CL080001", since="2026-01-01")

    assert [(item["matter_number"], item["open_date"]) for item in body["items"]] == [
        ("82003", "2026-01-15"), ("82001", "2026-03-02"), ("82004", "2026-04-20"), ("82008", "2062-03-02"),
    ]
    assert body["next_offset"] is None


async def test_matters_opened_on_the_since_date_are_included(client: httpx2.AsyncClient) -> None:
    body = await get_json(client, "/v1/matters-opened", clients="CL080001", since="2026-03-02")

    assert [item["matter_number"] for item in body["items"]] == ["82001", "82004", "82008"]


async def test_matters_opened_pages_through_several_clients(
    client: httpx2.AsyncClient, aderant_db_url: str
) -> None:
    codes = [f"CL{100_000 + index}" for index in range(50)]
    with sqlite3.connect(make_url(aderant_db_url).database) as db:
        (expected,) = db.execute(
            "SELECT COUNT(*) FROM HBM_MATTER m JOIN HBM_CLIENT c ON c.CLIENT_UNO = m.CLIENT_UNO"
            f" WHERE c.CLIENT_CODE IN ({','.join('?' * len(codes))})"
            " AND m.OPEN_DATE >= '2022-01-01'",
            codes,
        ).fetchone()

    items = await walk_opened(client, ",".join(codes), "2022-01-01", limit=9)

    assert expected > 9
    assert len(items) == len({item["matter_uno"] for item in items}) == expected
    assert {item["client_code"] for item in items} <= set(codes)
    keys = [(item["open_date"], item["matter_number"]) for item in items]
    assert keys == sorted(keys)
    assert min(item["open_date"] for item in items) >= "2022-01-01"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"since": "2026-01-01"}, "clients"),
        ({"clients": " , ", "since": "2026-01-01"}, "clients"),
        ({"clients": ",".join(f"CL{n}" for n in range(51)), "since": "2026-01-01"}, "clients"),
        ({"clients": "CL080001"}, "since"),
        ({"clients": "CL080001", "since": "1 Jan 2026"}, "since"),
        ({"clients": "CL080001", "since": "2026-01-01", "limit": "101"}, "limit"),
    ],
)
async def test_bad_matters_opened_parameters_are_400(
    client: httpx2.AsyncClient, params: dict[str, str], parameter: str
) -> None:
    response = await client.get("/v1/matters-opened", params=params)

    assert response.status_code == 400
    assert response.json()["error"].startswith(f"{parameter} must")
