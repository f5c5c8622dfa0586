from __future__ import annotations

import httpx2
import pytest
from starlette.applications import Starlette

from agent.app import create_agent_app
from tests.agent.helpers import API_KEYS, ClientFactory


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-key", f"Basic {API_KEYS[0]}", "Bearer ", f"Bearer {API_KEYS[0]}x"],
)
async def test_request_without_a_valid_key_is_refused(
    agent_app: Starlette, make_client: ClientFactory, authorization: str | None
) -> None:
    async with make_client(agent_app, authorization=authorization) as http:
        response = await http.get("/v1/matters", params={"q": "82001"})

    assert response.status_code == 401
    assert response.json() == {"error": "Missing or wrong API key"}
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("key", API_KEYS)
async def test_every_configured_key_is_accepted_so_keys_can_be_rotated(
    agent_app: Starlette, make_client: ClientFactory, key: str
) -> None:
    async with make_client(agent_app, authorization=f"Bearer {key}") as http:
        response = await http.get("/v1/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("api_keys", [[], ["", "  "]])
def test_app_refuses_to_start_without_keys(aderant_db_url: str, api_keys: list[str]) -> None:
    with pytest.raises(ValueError, match="API key"):
        create_agent_app(database_url=aderant_db_url, api_keys=api_keys)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/v1/matters?q=82001", "/v1/matters/82001", "/v1/health"])
async def test_only_get_is_answered(client: httpx2.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path)

    assert response.status_code == 405
    assert response.json() == {"error": "Method Not Allowed"}
    assert "GET" in response.headers["allow"]


async def test_head_is_not_answered_either(client: httpx2.AsyncClient) -> None:
    response = await client.head("/v1/health")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


async def test_unknown_path_is_a_json_404(client: httpx2.AsyncClient) -> None:
    response = await client.get("/v1/nothing-here")

    assert response.status_code == 404
    assert response.json() == {"error": "Not Found"}
