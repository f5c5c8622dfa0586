"""Relay addresses and tokens on the agent's side, and the service's client through the stand-in.

Token rules: the Service Bus SAS article and Microsoft's hyco-https `createRelayToken`
(Azure/azure-relay-node `hyco-https/index.js`); the vector is the one `tests/clients/test_relay_signing.py`
produced with Node.
"""

from __future__ import annotations

import httpx2
import pytest

from agent.relay.listener import AgentCaller, RelayListener
from agent.relay.sas import RelayEndpoint, sas_token
from clients.aderant import AderantAgentClient
from clients.errors import RemoteAuthError
from tests.clients.test_relay_signing import VECTOR_EXPIRY, VECTOR_KEY, VECTOR_KEY_NAME, VECTOR_TOKEN, VECTOR_URI
from tests.relay.conftest import SEND_KEY, SEND_RULE, Relay, backend_app


def test_the_agent_signs_like_hyco_https() -> None:
    assert sas_token(VECTOR_URI, VECTOR_KEY_NAME, VECTOR_KEY, VECTOR_EXPIRY) == VECTOR_TOKEN


@pytest.mark.parametrize(
    ("address", "listen_url", "resource_uri", "path"),
    [
        (
            "wss://firm-relay.servicebus.windows.net/pms-agent",
            "wss://firm-relay.servicebus.windows.net/$hc/pms-agent?sb-hc-action=listen",
            "http://firm-relay.servicebus.windows.net/pms-agent",
            "pms-agent",
        ),
        (
            "wss://firm-relay.servicebus.windows.net:443/$hc/pms-agent",
            "wss://firm-relay.servicebus.windows.net:443/$hc/pms-agent?sb-hc-action=listen",
            "http://firm-relay.servicebus.windows.net/pms-agent",
            "pms-agent",
        ),
        (
            "ws://127.0.0.1:8001/relay/$hc/aderant",
            "ws://127.0.0.1:8001/relay/$hc/aderant?sb-hc-action=listen",
            "http://127.0.0.1/relay/aderant",
            "aderant",
        ),
    ],
)
def test_relay_endpoint_from_its_address(address: str, listen_url: str, resource_uri: str, path: str) -> None:
    assert RelayEndpoint.parse(address) == RelayEndpoint(listen_url, resource_uri, path)


@pytest.mark.parametrize("address", ["https://firm-relay.servicebus.windows.net/pms-agent", "wss://firm-relay.servicebus.windows.net/"])
def test_relay_endpoint_refuses_what_is_not_a_hybrid_connection(address: str) -> None:
    with pytest.raises(ValueError):
        RelayEndpoint.parse(address)


@pytest.mark.parametrize(
    ("target", "route"),
    [("/aderant/v1/matters?q=1", "/v1/matters?q=1"), ("/v1/matters?q=1", "/v1/matters?q=1"), ("/aderant", "/"), ("/aderantx/v1", "/aderantx/v1")],
)
def test_the_agent_route_with_or_without_the_hybrid_connection_path(target: str, route: str) -> None:
    assert AgentCaller(backend_app(), "aderant").route(target) == route


def test_a_token_renewal_must_come_before_expiry() -> None:
    with pytest.raises(ValueError):
        RelayListener(backend_app(), RelayEndpoint.parse("wss://ns.servicebus.windows.net/a"), "r", "k",
                      token_lifetime=60, token_renew_before=60)


async def test_the_service_client_reads_the_relays_refusal(relay: Relay, listening: RelayListener) -> None:
    async with httpx2.AsyncClient() as http:
        client = AderantAgentClient(
            base_url=relay.sender_url, api_key="agent-key", environment_name="Production", http=http,
            relay_key_name=SEND_RULE, relay_key="not-" + SEND_KEY, retry_backoff=0,
        )
        with pytest.raises(RemoteAuthError) as refused:
            await client.health()

    assert str(refused.value) == (
        "Aderant refused our credentials for Production: check the relay key name and key "
        "(The security token's signature is invalid)"
    )
