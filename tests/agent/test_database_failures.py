from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.applications import Starlette

from agent.app import DATABASE_UNAVAILABLE
from tests.agent.helpers import API_KEYS, ClientFactory

ENDPOINTS = [
    ("/v1/matters", {"q": "82001"}),
    ("/v1/matters/82001", {}),
    ("/v1/matters/82001/parties", {}),
    ("/v1/matter-statuses", {"ids": "82001"}),
    ("/v1/matters-opened", {"clients": "CL080001", "since": "2026-01-01"}),
]


@pytest.fixture
def unreachable_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'no-such-directory' / 'aderant.db'}"


async def test_health_reports_database_down(
    make_app: Callable[..., Starlette], make_client: ClientFactory, unreachable_url: str
) -> None:
    async with make_client(make_app(database_url=unreachable_url)) as http:
        response = await http.get("/v1/health")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}


@pytest.mark.parametrize(("path", "params"), ENDPOINTS)
async def test_database_down_is_503_with_a_plain_message(
    make_app: Callable[..., Starlette],
    make_client: ClientFactory,
    unreachable_url: str,
    path: str,
    params: dict[str, str],
) -> None:
    async with make_client(make_app(database_url=unreachable_url)) as http:
        response = await http.get(path, params=params)

    assert response.status_code == 503
    assert response.json() == {"error": DATABASE_UNAVAILABLE}


@pytest.mark.parametrize(("path", "params"), ENDPOINTS)
async def test_failing_query_hides_sql_from_the_caller_and_keys_from_the_log(
    make_app: Callable[..., Starlette],
    make_client: ClientFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    path: str,
    params: dict[str, str],
) -> None:
    empty_database = f"sqlite:///{tmp_path / 'empty.db'}"  # exists, but has no Aderant tables
    with caplog.at_level(logging.INFO):
        async with make_client(make_app(database_url=empty_database)) as http:
            response = await http.get(path, params=params)

    assert response.status_code == 503
    assert response.json() == {"error": DATABASE_UNAVAILABLE}
    assert "SELECT" not in response.text and "HBM_" not in response.text
    assert "no such table" in caplog.text  # the operator gets the detail
    assert all(key not in caplog.text for key in API_KEYS)
