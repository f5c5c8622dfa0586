"""Test connection's verdict per hop, against answers the sandbox cannot give (Azure Relay, no
connection, timeouts), through pytest-httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx2
import pytest
from pytest_httpx import HTTPXMock

from clients.remote_clients import RemoteClients
from plugin.connection_check import ConnectionCheck, Hop, check_connection
from plugin.environment_clients import EnvironmentClients
from plugin.services import Services
from store.environments import EnvironmentStore
from store.repository import Store
from tests.environments import save_environment

RELAY = "https://firm-relay.servicebus.windows.net/pms-agent"
AGENT = "https://agent.firm.example"
IDENTITY = "https://firm-identity.example"
API = "https://firm.example"
AGENT_KEY = "agent-Key-0001"
RELAY_KEY = "relay-Key-0002"
CLIENT_SECRET = "client-Secret-0003"
VIA = {"Via": "1.1 firm-relay.servicebus.windows.net"}

Check = Callable[..., Awaitable[ConnectionCheck]]


@pytest.fixture
async def check(store: Store) -> AsyncIterator[Check]:
    """Test connection of an environment saved with these settings (agent through the relay by default)."""
    organisation = store.create_organisation("Firm", ["system-administrator"])
    async with httpx2.AsyncClient() as http:
        services = Services(store, EnvironmentClients(RemoteClients(http, timeout=5)))

        async def run(**settings: object) -> ConnectionCheck:
            defaults: dict = {
                "identity_url": IDENTITY,
                "api_url": API,
                "client_id": "pms-sync",
                "client_secret": CLIENT_SECRET,
                "agent_url": RELAY,
                "agent_key": AGENT_KEY,
                "relay_key_name": "proxy-send",
                "relay_key": RELAY_KEY,
            }
            env_id = save_environment(store, organisation, "Production", **{**defaults, **settings})  # type: ignore[arg-type]
            return await check_connection(services, organisation, env_id, checked_by="admin@firm.example")

        yield run


def clio_answers(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", url=f"{IDENTITY}/connect/token", json={"access_token": "t", "expires_in": 900}
    )
    httpx_mock.add_response(method="GET", url=f"{API}/api/v2/public/types/tree", json=[])


def no_secrets(hop: Hop) -> bool:
    return not any(secret in hop.message for secret in (AGENT_KEY, RELAY_KEY, CLIENT_SECRET, "SharedAccessSignature"))


async def test_relay_502_without_via_means_no_agent_is_listening(check: Check, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{RELAY}/v1/health", status_code=502, text="Bad Gateway")
    clio_answers(httpx_mock)

    reached, database, token, api = (await check()).hops

    assert reached.label == "Aderant agent reached through Azure Relay" and reached.outcome == "failed"
    assert "the Aderant agent is offline or not connected to the relay" in reached.message
    assert reached.fix.startswith(
        "Check that the agent runs on the firm's server and listens on this hybrid connection"
    )
    assert database.outcome == "skipped" and (token.outcome, api.outcome) == ("ok", "ok")
    assert len(httpx_mock.get_requests(url=f"{RELAY}/v1/health")) == 1  # a test is not retried
    assert reached.summary == "Aderant agent (through Azure Relay) not reachable"


async def test_relay_403_means_the_rule_lacks_the_send_right(check: Check, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{RELAY}/v1/health", status_code=403, text="Unauthorized access. 'Send' claim(s) are required"
    )
    clio_answers(httpx_mock)

    reached = (await check()).hops[0]

    assert reached.outcome == "failed"
    assert (
        "the relay refused the SAS rule for this hybrid connection: use a rule with the Send right" in reached.message
    )
    assert "a rule without the Send right" in reached.fix
    assert no_secrets(reached)


async def test_401_from_the_agent_behind_the_relay_is_the_agent_key(check: Check, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{RELAY}/v1/health", status_code=401, headers=VIA, json={"error": "Missing or wrong API key"}
    )
    clio_answers(httpx_mock)

    reached = (await check()).hops[0]

    assert (
        reached.message
        == "Aderant refused our credentials for Production: check the agent API key (Missing or wrong API key)"
    )
    assert "A 401 from the agent means a wrong Aderant agent key" in reached.fix


async def test_the_agent_answering_without_its_database(check: Check, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{RELAY}/v1/health", status_code=503, headers=VIA, json={"status": "error", "database": "login failed"}
    )
    clio_answers(httpx_mock)

    reached, database, *_ = (await check()).hops

    assert reached.outcome == "ok" and database.outcome == "failed"
    assert database.message == "The agent runs, but its database does not answer (login failed)."
    assert database.fix.startswith("Check that the Aderant SQL Server is running")
    assert database.latency_ms == reached.latency_ms  # the agent checked it within the same request
    assert database.summary == "Aderant database not answering"


async def test_an_unreachable_agent(check: Check, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx2.ConnectError("Name or service not known"), url=f"{AGENT}/v1/health")
    clio_answers(httpx_mock)

    reached = (await check(agent_url=AGENT, relay_key_name=None)).hops[0]

    assert reached.label == "Aderant agent reached" and reached.outcome == "failed"
    assert reached.message == "Aderant is not reachable for Production: Name or service not known"
    assert reached.fix == "Check the Aderant agent URL, and that PMS Sync can connect to that host (DNS, firewall)."


async def test_an_agent_that_does_not_answer_in_time(check: Check, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx2.ReadTimeout("timed out"), url=f"{AGENT}/v1/health")
    clio_answers(httpx_mock)

    reached = (await check(agent_url=AGENT, relay_key_name=None)).hops[0]

    assert reached.message == "Aderant did not answer in time for Production: no answer before the time limit"
    assert reached.fix.startswith("Check that the agent is running, and that nothing between PMS Sync and the agent")


async def test_400_invalid_client_from_the_identity_server(check: Check, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{RELAY}/v1/health", headers=VIA, json={"status": "ok", "database": "ok"})
    httpx_mock.add_response(
        method="POST", url=f"{IDENTITY}/connect/token", status_code=400, json={"error": "invalid_client"}
    )

    reached, database, token, api = (await check()).hops

    assert (reached.outcome, database.outcome, token.outcome, api.outcome) == ("ok", "ok", "failed", "skipped")
    assert (
        token.message
        == "Clio Operate refused our credentials for Production: check the client id and secret (invalid_client)"
    )
    assert "Check the client ID and client secret" in token.fix
    assert not httpx_mock.get_requests(url=f"{API}/api/v2/public/types/tree")
    assert token.summary == "Clio Operate identity server refused PMS Sync's credentials"


async def test_an_unreachable_identity_server(check: Check, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{RELAY}/v1/health", headers=VIA, json={"status": "ok", "database": "ok"})
    httpx_mock.add_exception(httpx2.ConnectError("Connection refused"), url=f"{IDENTITY}/connect/token")

    token = (await check()).hops[2]

    assert token.fix == "Check the Clio Operate identity URL, and that PMS Sync can connect to that host."


async def test_the_api_refusing_the_client(check: Check, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{RELAY}/v1/health", headers=VIA, json={"status": "ok", "database": "ok"})
    httpx_mock.add_response(
        method="POST", url=f"{IDENTITY}/connect/token", json={"access_token": "t", "expires_in": 900}
    )
    httpx_mock.add_response(
        url=f"{API}/api/v2/public/types/tree",
        status_code=403,
        json={"message": "Missing permission core.modeller.read"},
    )

    api = (await check()).hops[3]

    assert (
        api.message
        == "Clio Operate refused our credentials for Production: the API client lacks the permission core.modeller.read"
    )
    assert api.fix.startswith("The API refused the token")


async def test_what_is_not_filled_in_is_not_tried(check: Check, httpx_mock: HTTPXMock) -> None:
    reached, database, token, api = (await check(agent_key=None, client_secret=None)).hops

    assert (reached.outcome, database.outcome, token.outcome, api.outcome) == ("failed", "skipped", "failed", "skipped")
    assert reached.message == "Not tried: the Aderant agent URL and key are not filled in."
    assert token.fix == "Fill in the Clio Operate API URL, client ID and client secret, save, then test again."
    assert not httpx_mock.get_requests()
    assert reached.summary == "Aderant agent not set up" and token.summary == "Clio Operate not set up"


async def test_each_check_is_kept_as_the_environments_last_in_a_few_words(
    check: Check, httpx_mock: HTTPXMock, store: Store
) -> None:
    httpx_mock.add_exception(httpx2.ConnectError("Connection refused"), url=f"{AGENT}/v1/health")
    clio_answers(httpx_mock)
    organisation = store.organisation_by_name("Firm")
    assert organisation is not None
    checks = EnvironmentStore(store.engine, store.secrets)

    failed = await check(agent_url=AGENT, relay_key_name=None)

    assert failed.summary == "Aderant agent not reachable"
    [(environment_id, last)] = checks.last_checks(organisation).items()
    assert (last.ok, last.summary, last.checked_by) == (False, "Aderant agent not reachable", "admin@firm.example")

    httpx_mock.add_response(url=f"{AGENT}/v1/health", json={"status": "ok", "database": "ok"})
    clio_answers(httpx_mock)
    passed = await check(agent_url=AGENT, relay_key_name=None)

    assert passed.summary == "All 4 hops answered"
    again = checks.last_checks(organisation)[environment_id]
    assert (again.ok, again.summary) == (True, "All 4 hops answered") and again.checked_at >= last.checked_at
