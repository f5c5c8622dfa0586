"""What Settings → Test connection asks of the clients: the agent's health once, unretried, and a
fresh Clio Operate service token."""

import httpx2
import pytest
from pytest_httpx import HTTPXMock

from clients.aderant import AderantAgentClient, AgentHealth
from clients.clio_operate import ClioOperateClient
from clients.errors import RemoteAuthError, RemoteUnavailable, RemoteUnreachable
from tests.clients.agent_answers import agent_answer, unreachable_database_url
from tests.clients.client_samples import (
    AGENT_KEY,
    AGENT_URL,
    API_URL,
    CLIENT_ID,
    CLIENT_SECRET,
    IDENTITY_URL,
    RELAY_KEY,
    RELAY_KEY_NAME,
    RELAY_URL,
    assert_no_secrets,
)

TOKEN_URL = f"{IDENTITY_URL}/connect/token"
TREE_URL = f"{API_URL}/api/v2/public/types/tree"


def agent(http: httpx2.AsyncClient, base_url: str = AGENT_URL) -> AderantAgentClient:
    return AderantAgentClient(
        base_url=base_url,
        api_key=AGENT_KEY,
        environment_name="UAT",
        http=http,
        relay_key_name=RELAY_KEY_NAME if base_url == RELAY_URL else None,
        relay_key=RELAY_KEY if base_url == RELAY_URL else None,
        retry_backoff=0,
    )


def clio(http: httpx2.AsyncClient) -> ClioOperateClient:
    return ClioOperateClient(
        identity_url=IDENTITY_URL,
        api_url=API_URL,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        environment_name="UAT",
        http=http,
    )


async def test_a_healthy_agent(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{AGENT_URL}/v1/health", json=agent_answer("/v1/health"))

    health = await agent(http).check_health()

    assert health == AgentHealth("ok") and health.database_ok
    assert httpx_mock.get_request().headers["Authorization"] == f"Bearer {AGENT_KEY}"  # type: ignore[union-attr]


async def test_the_agents_own_503_is_a_health_answer_and_is_not_retried(
    http: httpx2.AsyncClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        url=f"{AGENT_URL}/v1/health", status_code=503, json=agent_answer("/v1/health", status=503, database_url=unreachable_database_url())
    )

    health = await agent(http).check_health()

    assert health == AgentHealth("unavailable") and not health.database_ok
    assert len(httpx_mock.get_requests()) == 1


async def test_a_503_without_the_health_shape_is_an_error(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{AGENT_URL}/v1/health", status_code=503, text="Service Unavailable")

    with pytest.raises(RemoteUnavailable) as caught:
        await agent(http).check_health()

    assert str(caught.value) == "Aderant is not reachable for UAT: it answered HTTP 503 (Service Unavailable)"
    assert len(httpx_mock.get_requests()) == 1


async def test_relay_503_without_via_is_no_listener_even_with_a_health_shaped_body(
    http: httpx2.AsyncClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=f"{RELAY_URL}/v1/health", status_code=503, json={"database": "ok"})

    with pytest.raises(RemoteUnavailable) as caught:
        await agent(http, RELAY_URL).check_health()

    assert "the Aderant agent is offline or not connected to the relay" in str(caught.value)
    assert len(httpx_mock.get_requests()) == 1


async def test_relay_403_names_the_send_right(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{RELAY_URL}/v1/health", status_code=403, text="Send claim required")

    with pytest.raises(RemoteAuthError) as caught:
        await agent(http, RELAY_URL).check_health()

    assert str(caught.value) == (
        "Aderant refused our credentials for UAT: the relay refused the SAS rule for this hybrid connection: "
        "use a rule with the Send right (e.g. proxy-send) and its key (Send claim required)"
    )
    assert_no_secrets(caught.value, httpx_mock.get_request().headers["ServiceBusAuthorization"])  # type: ignore[union-attr]


async def test_no_connection_is_unreachable(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx2.ConnectError("connection refused"), url=f"{AGENT_URL}/v1/health")

    with pytest.raises(RemoteUnreachable) as caught:
        await agent(http).check_health()

    assert str(caught.value) == "Aderant is not reachable for UAT: connection refused"


async def test_check_token_fetches_a_new_token_even_when_one_is_cached(
    http: httpx2.AsyncClient, httpx_mock: HTTPXMock
) -> None:
    for token in ("first", "second"):
        httpx_mock.add_response(method="POST", url=TOKEN_URL, json={"access_token": token, "expires_in": 900})
    httpx_mock.add_response(url=TREE_URL, json=[], is_reusable=True)
    client = clio(http)
    await client.work_type_tree()

    await client.check_token()
    await client.work_type_tree()

    token_requests = httpx_mock.get_requests(url=TOKEN_URL)
    assert len(token_requests) == 2
    assert b"grant_type=client_credentials" in token_requests[1].content
    first, second = httpx_mock.get_requests(url=TREE_URL)
    assert (first.headers["Authorization"], second.headers["Authorization"]) == ("Bearer first", "Bearer second")


async def test_check_token_with_a_refused_client(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=TOKEN_URL, status_code=400, json={"error": "invalid_client"})

    with pytest.raises(RemoteAuthError) as caught:
        await clio(http).check_token()

    assert (
        str(caught.value)
        == "Clio Operate refused our credentials for UAT: check the client id and secret (invalid_client)"
    )
