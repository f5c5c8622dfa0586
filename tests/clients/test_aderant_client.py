"""AderantAgentClient against the agent's HTTP contract (agent/README.md), through pytest-httpx."""

import asyncio
import re
from datetime import date
from urllib.parse import parse_qs

import httpx2
import pytest
from pytest_httpx import HTTPXMock

from clients.aderant import AderantAgentClient
from clients.aderant_models import Address, AgentHealth, CodeDescription, Employee, MatterStatus
from clients.errors import (
    RemoteAuthError,
    RemoteError,
    RemoteNotFound,
    RemoteRejected,
    RemoteTimeout,
    RemoteUnavailable,
)
from clients.relay import relay_resource_uri, sas_token
from tests.clients.agent_answers import agent_answer, unreachable_database_url
from tests.clients.client_samples import (
    AGENT_KEY,
    AGENT_URL,
    RELAY_KEY,
    RELAY_KEY_NAME,
    RELAY_URL,
    assert_no_secrets,
    detail_json,
    party_json,
    status_json,
    summary_json,
)

HEALTHY = agent_answer("/v1/health")
DATABASE_DOWN = agent_answer("/v1/health", status=503, database_url=unreachable_database_url())


def make_client(
    http: httpx2.AsyncClient,
    base_url: str = AGENT_URL,
    *,
    concurrency: int = 4,
    timeout: float = 20.0,
    relay_keys: bool | None = None,
) -> AderantAgentClient:
    """The relay's rule name and key are configured for RELAY_URL unless `relay_keys` says otherwise."""
    relayed = base_url == RELAY_URL if relay_keys is None else relay_keys
    return AderantAgentClient(
        base_url=base_url,
        api_key=AGENT_KEY,
        environment_name="UAT",
        http=http,
        relay_key_name=RELAY_KEY_NAME if relayed else None,
        relay_key=RELAY_KEY if relayed else None,
        timeout=timeout,
        concurrency=concurrency,
        retry_backoff=0,
    )


# Requests


async def test_search_sends_the_api_key_and_a_request_id_but_no_relay_token(
    http: httpx2.AsyncClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        method="GET",
        url=f"{AGENT_URL}/v1/matters?q=acme+widget&offset=25&limit=10",
        json={"items": [summary_json(close_date="2026-05-01", closed=True)], "next_offset": 35},
    )

    page = await make_client(http).search_matters("acme widget", offset=25, limit=10)

    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["Authorization"] == f"Bearer {AGENT_KEY}"
    assert "ServiceBusAuthorization" not in request.headers
    assert len(request.headers["X-Request-Id"]) >= 16
    assert page.next_offset == 35
    (matter,) = page.items
    assert matter.matter_uno == 82001 and matter.client_code == "CL080001"
    assert matter.open_date == date(2026, 3, 2)
    assert matter.close_date == date(2026, 5, 1)
    assert matter.closed is True


async def test_relay_url_adds_a_valid_sas_token_and_keeps_the_api_key(
    http: httpx2.AsyncClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=f"{RELAY_URL}/v1/health", json=HEALTHY)

    assert await make_client(http, RELAY_URL).health() == AgentHealth("ok")

    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["Authorization"] == f"Bearer {AGENT_KEY}"
    token = request.headers["ServiceBusAuthorization"]
    fields = parse_qs(token.removeprefix("SharedAccessSignature "))
    expiry = int(fields["se"][0])
    assert token == sas_token(relay_resource_uri(RELAY_URL), RELAY_KEY_NAME, RELAY_KEY, expiry)
    assert fields["sr"] == ["http://contoso-relay.servicebus.windows.net/pms-agent-uat"]
    assert fields["skn"] == [RELAY_KEY_NAME]


async def test_a_relay_off_azure_is_signed_because_its_rule_is_configured(
    http: httpx2.AsyncClient, httpx_mock: HTTPXMock
) -> None:
    """The sandbox's stand-in relay lives at {sandbox}/relay/{hybrid connection}: the configured
    rule decides, and the token is signed for the URL as configured (port dropped)."""
    url = "http://127.0.0.1:8101/relay/aderant"
    httpx_mock.add_response(url=f"{url}/v1/health", json=HEALTHY)

    await make_client(http, url, relay_keys=True).health()

    request = httpx_mock.get_request()
    assert request is not None and request.headers["Authorization"] == f"Bearer {AGENT_KEY}"
    fields = parse_qs(request.headers["ServiceBusAuthorization"].removeprefix("SharedAccessSignature "))
    assert fields["sr"] == ["http://127.0.0.1/relay/aderant"] and fields["skn"] == [RELAY_KEY_NAME]


async def test_a_configured_relay_without_via_is_the_relay_speaking(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    url = "http://127.0.0.1:8101/relay/aderant"
    for _ in range(2):  # retried once
        httpx_mock.add_response(url=f"{url}/v1/health", status_code=502, json={"error": {"code": "BadGateway"}})

    with pytest.raises(RemoteUnavailable) as caught:
        await make_client(http, url, relay_keys=True).health()

    assert "the Aderant agent is offline or not connected to the relay" in str(caught.value)


async def test_each_call_gets_its_own_request_id(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{AGENT_URL}/v1/health", json=HEALTHY, is_reusable=True)
    client = make_client(http)

    await client.health()
    await client.health()

    first, second = httpx_mock.get_requests()
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


async def test_get_matter_encodes_the_number_and_follows_party_pages(
    http: httpx2.AsyncClient, httpx_mock: HTTPXMock
) -> None:
    path = f"{AGENT_URL}/v1/matters/2024%2F001%20A"
    matter = agent_answer("/v1/matters/82001")["matter"] | {
        "matter_number": "2024/001 A", "office": None, "parties": [party_json(1), party_json(2)], "parties_next_offset": 2,
    }
    httpx_mock.add_response(url=path, json={"matter": matter})
    httpx_mock.add_response(url=f"{path}/parties?offset=2", json={"items": [party_json(3)], "next_offset": 3})
    httpx_mock.add_response(url=f"{path}/parties?offset=3", json={"items": [party_json(4)], "next_offset": None})

    detail = await make_client(http).get_matter("2024/001 A")

    assert [party.name_uno for party in detail.parties] == [1, 2, 3, 4]
    assert detail.matter_number == "2024/001 A"
    assert detail.matter_type == CodeDescription("LIT", "Litigation")
    assert detail.office is None
    assert detail.responsible_employee == Employee(501, "JSM", "Jane Smith")
    assert detail.client_party.kind == "organisation" and detail.client_party.role_code == "CLIENT"
    assert detail.client_party.address == Address("1 Circular Quay", "Sydney", "NSW", "2000", "AU")
    assert len(httpx_mock.get_requests()) == 3


async def test_matter_statuses_go_in_chunks_of_200_at_most_concurrency_at_once() -> None:
    in_flight = 0
    most_in_flight = 0
    chunks: list[list[int]] = []

    async def agent(request: httpx2.Request) -> httpx2.Response:
        nonlocal in_flight, most_in_flight
        assert request.url.path == "/v1/matter-statuses"
        ids = [int(value) for value in request.url.params["ids"].split(",")]
        chunks.append(ids)
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        # The agent leaves unknown ids out: pretend odd ids are unknown.
        return httpx2.Response(200, json={"items": [status_json(uno) for uno in ids if uno % 2 == 0]})

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(agent)) as http:
        client = make_client(http, concurrency=2)
        statuses = await client.matter_statuses([*range(1, 1001), 1, 2])  # repeated ids are asked once

    assert sorted(len(chunk) for chunk in chunks) == [200, 200, 200, 200, 200]
    assert sorted(uno for chunk in chunks for uno in chunk) == list(range(1, 1001))
    assert most_in_flight == 2
    assert [status.matter_uno for status in statuses] == list(range(2, 1001, 2))
    assert statuses[0] == MatterStatus(2, "2", "CLOSE", "Closed", True, date(2026, 6, 30))


async def test_no_ids_means_no_call(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    assert await make_client(http).matter_statuses([]) == []
    assert httpx_mock.get_requests() == []


async def test_matters_opened_since_chunks_client_codes_by_50_and_follows_pages(
    http: httpx2.AsyncClient, httpx_mock: HTTPXMock
) -> None:
    codes = [f"CL{number:06d}" for number in range(1, 121)]
    opened_url = f"{AGENT_URL}/v1/matters-opened"

    def params(chunk: list[str], offset: int) -> dict[str, str]:
        return {"clients": ",".join(chunk), "since": "2026-01-01", "offset": str(offset), "limit": "100"}

    httpx_mock.add_response(
        url=opened_url,
        match_params=params(codes[:50], 0),
        json={"items": [summary_json(3, open_date="2026-02-01")], "next_offset": 100},
    )
    httpx_mock.add_response(
        url=opened_url,
        match_params=params(codes[:50], 100),
        json={"items": [summary_json(1, open_date="2026-03-01")], "next_offset": None},
    )
    httpx_mock.add_response(
        url=opened_url,
        match_params=params(codes[50:100], 0),
        json={"items": [summary_json(2, open_date="2026-01-15")], "next_offset": None},
    )
    httpx_mock.add_response(
        url=opened_url, match_params=params(codes[100:], 0), json={"items": [], "next_offset": None}
    )

    matters = await make_client(http).matters_opened_since(codes, date(2026, 1, 1))

    assert [matter.matter_uno for matter in matters] == [2, 3, 1]  # by open date across chunks
    assert len(httpx_mock.get_requests()) == 4


# Retries


async def test_a_503_from_the_agent_is_retried_once_with_the_same_request_id(
    http: httpx2.AsyncClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=f"{AGENT_URL}/v1/health", status_code=503, json=DATABASE_DOWN)
    httpx_mock.add_response(url=f"{AGENT_URL}/v1/health", json=HEALTHY)

    assert (await make_client(http).health()).database_ok

    first, second = httpx_mock.get_requests()
    assert first.headers["X-Request-Id"] == second.headers["X-Request-Id"]


async def test_a_connection_error_is_retried_once(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx2.ConnectError("connection refused"), url=f"{AGENT_URL}/v1/health")
    httpx_mock.add_response(url=f"{AGENT_URL}/v1/health", json=HEALTHY)

    assert await make_client(http).health() == AgentHealth("ok")
    assert len(httpx_mock.get_requests()) == 2


@pytest.mark.parametrize("status", [400, 401, 404, 500])
async def test_other_failures_are_not_retried(status: int, http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{AGENT_URL}/v1/matters/7", status_code=status, json={"error": "no"})

    with pytest.raises(RemoteError):
        await make_client(http).get_matter("7")

    assert len(httpx_mock.get_requests()) == 1


# Errors


async def test_connection_refused_twice_is_unavailable(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    for _ in range(2):
        httpx_mock.add_exception(httpx2.ConnectError("connection refused"), url=f"{AGENT_URL}/v1/health")

    with pytest.raises(RemoteUnavailable) as caught:
        await make_client(http).health()

    assert str(caught.value) == "Aderant is not reachable for UAT: connection refused"
    assert_no_secrets(caught.value)


async def test_a_read_timeout_is_a_timeout_and_is_not_retried(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx2.ReadTimeout("timed out"), url=f"{AGENT_URL}/v1/health")

    with pytest.raises(RemoteTimeout) as caught:
        await make_client(http).health()

    assert str(caught.value).startswith("Aderant did not answer in time for UAT")
    assert len(httpx_mock.get_requests()) == 1


async def test_the_timeout_is_applied_to_each_request(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{AGENT_URL}/v1/health", json=HEALTHY)

    await make_client(http, timeout=7.5).health()

    request = httpx_mock.get_request()
    assert request is not None
    assert request.extensions["timeout"] == {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}


async def test_a_500_is_unavailable(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{AGENT_URL}/v1/health", status_code=500, json={"error": "boom"})

    with pytest.raises(RemoteUnavailable) as caught:
        await make_client(http).health()

    assert str(caught.value) == "Aderant is not reachable for UAT: it answered HTTP 500 (boom)"


async def test_relay_502_without_via_means_the_agent_is_offline(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    for _ in range(2):  # retried once
        httpx_mock.add_response(url=f"{RELAY_URL}/v1/health", status_code=502, text="Bad Gateway")

    with pytest.raises(RemoteUnavailable) as caught:
        await make_client(http, RELAY_URL).health()

    assert "the Aderant agent is offline or not connected to the relay" in str(caught.value)
    assert str(caught.value).startswith("Aderant is not reachable for UAT")


async def test_relay_503_with_via_came_from_the_agent(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    for _ in range(2):
        httpx_mock.add_response(
            url=f"{RELAY_URL}/v1/health",
            status_code=503,
            headers={"Via": "1.1 contoso-relay.servicebus.windows.net"},
            json=DATABASE_DOWN,
        )

    with pytest.raises(RemoteUnavailable) as caught:
        await make_client(http, RELAY_URL).health()

    assert "offline" not in str(caught.value)
    assert "it answered HTTP 503" in str(caught.value) and "unavailable" in str(caught.value)


async def test_relay_504_is_a_timeout(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    for _ in range(2):
        httpx_mock.add_response(url=f"{RELAY_URL}/v1/health", status_code=504)

    with pytest.raises(RemoteTimeout) as caught:
        await make_client(http, RELAY_URL).health()

    assert str(caught.value).startswith("Aderant did not answer in time for UAT")


async def test_relay_401_points_at_the_relay_key(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{RELAY_URL}/v1/health", status_code=401, text="InvalidSignature")

    with pytest.raises(RemoteAuthError) as caught:
        await make_client(http, RELAY_URL).health()

    assert "check the relay key name and key" in str(caught.value)


async def test_agent_401_points_at_the_api_key_and_never_shows_it(
    http: httpx2.AsyncClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        url=f"{RELAY_URL}/v1/health",
        status_code=401,
        headers={"Via": "1.1 contoso-relay.servicebus.windows.net"},
        json={"error": f"key {AGENT_KEY} is not valid"},  # a careless agent echoing the key
    )

    with pytest.raises(RemoteAuthError) as caught:
        await make_client(http, RELAY_URL).health()

    assert str(caught.value).startswith("Aderant refused our credentials for UAT: check the agent API key")
    sas = httpx_mock.get_request().headers["ServiceBusAuthorization"]  # type: ignore[union-attr]
    assert_no_secrets(caught.value, sas)


async def test_unknown_matter_is_not_found(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{AGENT_URL}/v1/matters/999", status_code=404, json={"error": "Matter 999 was not found"}
    )

    with pytest.raises(RemoteNotFound) as caught:
        await make_client(http).get_matter("999")

    assert str(caught.value) == "Matter 999 was not found in Aderant (UAT)"


async def test_404_on_a_fixed_route_means_a_wrong_url(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{AGENT_URL}/v1/health", status_code=404, text="Not Found")

    with pytest.raises(RemoteUnavailable) as caught:
        await make_client(http).health()

    assert "check the URL" in str(caught.value)


async def test_400_carries_the_agent_message(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=re.compile(re.escape(f"{AGENT_URL}/v1/matters?")), status_code=400, json={"error": "q is too long"}
    )

    with pytest.raises(RemoteRejected) as caught:
        await make_client(http).search_matters("x" * 300)

    assert str(caught.value) == "Aderant rejected the request for UAT: q is too long"


async def test_a_malformed_answer_is_a_remote_error(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{AGENT_URL}/v1/matters?q=a&offset=0&limit=25", json={"items": [{"matter_uno": 1}]})

    with pytest.raises(RemoteError) as caught:
        await make_client(http).search_matters("a")

    assert type(caught.value) is RemoteError
    assert str(caught.value).startswith("Aderant gave an answer we could not read for UAT")


async def test_paging_that_does_not_move_forward_stops(http: httpx2.AsyncClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{AGENT_URL}/v1/matters-opened?clients=CL1&since=2026-01-01&offset=0&limit=100",
        json={"items": [], "next_offset": 0},
    )

    with pytest.raises(RemoteError):
        await make_client(http).matters_opened_since(["CL1"], date(2026, 1, 1))


async def test_matter_details_go_50_a_call_follow_pages_and_the_parties_of_a_long_matter() -> None:
    def detail(uno: int, more_from: int | None = None) -> dict[str, object]:
        return detail_json(uno, parties=[party_json(uno)], parties_next_offset=more_from)

    asked: list[tuple[list[int], int]] = []
    party_pages: list[str] = []

    async def agent(request: httpx2.Request) -> httpx2.Response:
        params = request.url.params
        if request.url.path == "/v1/matters/7/parties":
            party_pages.append(params["offset"])
            return httpx2.Response(200, json={"items": [party_json(30)], "next_offset": None})
        assert request.url.path == "/v1/matter-details"
        ids, offset = [int(v) for v in params["ids"].split(",")], int(params["offset"])
        asked.append((ids, offset))
        known = [uno for uno in ids if uno % 10 != 0]  # the agent leaves unknown ids out
        if ids[0] == 1 and offset == 0:  # the first chunk does not fit one answer
            return httpx2.Response(200, json={"items": [detail(uno) for uno in known[:5]], "next_offset": 5})
        items = [detail(uno, 20 if uno == 7 else None) for uno in known[offset:]]
        return httpx2.Response(200, json={"items": items, "next_offset": None})

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(agent)) as http:
        matters = await make_client(http).matter_details([*range(1, 121), 3])

    assert sorted((ids[0], len(ids), offset) for ids, offset in asked) == [(1, 50, 0), (1, 50, 5), (51, 50, 0), (101, 20, 0)]
    assert [m.matter_uno for m in matters] == [uno for uno in range(1, 121) if uno % 10 != 0]
    seventh = next(m for m in matters if m.matter_uno == 7)
    assert [p.name_uno for p in seventh.parties] == [7, 30] and party_pages == ["20"]
