"""The agent's relay listener (agent/relay/) against the sandbox's stand-in relay (sandbox/relay.py),
over loopback WebSockets and HTTP.

Shapes and limits follow Microsoft's "Azure Relay Hybrid Connections protocol" article
(MicrosoftDocs/azure-docs `articles/azure-relay/relay-hybrid-connections-protocol.md`: "Request
message", "Responding to requests", "Responding via rendezvous", "Listener token renewal", the
sender's token order under "Request operation") and Microsoft's reference listener hyco-https
(Azure/azure-relay-node `hyco-https/lib/HybridConnectionHttpsServer.js`, `_hyco_outgoing.js`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import httpx2
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from agent.relay.listener import INLINE_BODY_LIMIT, RelayEndpointMissing, RelayListener
from agent.relay.sas import RelayEndpoint, sas_token
from tests.relay.conftest import LISTEN_KEY, LISTEN_RULE, SEND_KEY, Relay, backend_app, loads, run_listener


async def eventually(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Wait until ``condition`` holds; ``timeout`` only bounds a failure."""
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"not within {timeout} s: {what}") from None


async def send(relay: Relay, method: str, route: str, **kwargs: object) -> httpx2.Response:
    headers = {"ServiceBusAuthorization": relay.send_token(), **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    async with httpx2.AsyncClient(timeout=10) as http:
        return await http.request(method, f"{relay.sender_url}{route}", headers=headers, **kwargs)  # type: ignore[arg-type]


# Inline requests and answers on the control channel


async def test_a_small_get_goes_over_the_control_channel_and_back(relay: Relay, listening: RelayListener) -> None:
    response = await send(relay, "GET", "/v1/echo?q=acme&sb-hc-id=trace-1", headers={"Authorization": "Bearer agent-key"})

    assert response.status_code == 200
    seen = loads(response)
    assert (seen["method"], seen["path"], seen["query"]) == ("GET", "/v1/echo", "q=acme")  # sb-hc-* stripped
    assert seen["headers"]["authorization"] == "Bearer agent-key"  # end-to-end auth passes through
    assert "servicebusauthorization" not in seen["headers"]  # the relay's token never reaches the agent
    assert response.headers["via"] == "1.1 127.0.0.1"  # the relay marks the listener's answers
    (call,) = relay.stand_in.calls
    assert (call.request_target, call.channel, call.status) == ("/aderant/v1/echo?q=acme", "control", 200)


async def test_a_request_body_follows_its_request_frame(relay: Relay, listening: RelayListener) -> None:
    response = await send(relay, "POST", "/v1/echo", content=b"hello relay")

    seen = loads(response)
    assert (seen["method"], seen["body_length"], seen["body_head"]) == ("POST", 11, "hello relay")
    assert relay.stand_in.calls[-1].channel == "control"


async def test_the_request_frame_has_the_articles_fields(relay: Relay) -> None:
    """A bare control channel, to read the frame exactly as the stand-in sends it."""
    token = sas_token(RelayEndpoint.parse(relay.listen_address).resource_uri, LISTEN_RULE, LISTEN_KEY, int(time.time()) + 60)
    async with connect(f"{relay.listen_address}?sb-hc-action=listen", additional_headers={"ServiceBusAuthorization": token}) as channel:
        sender = asyncio.create_task(send(relay, "POST", "/v1/echo?x=1", content=b"abc", headers={"X-Custom": "Hello"}))
        frame = json.loads(await channel.recv())["request"]
        assert set(frame) == {"address", "id", "requestTarget", "method", "requestHeaders", "body"}
        assert (frame["method"], frame["requestTarget"], frame["body"]) == ("POST", "/aderant/v1/echo?x=1", True)
        assert frame["requestHeaders"]["x-custom"] == "Hello"
        assert not {"host", "content-length", "connection", "servicebusauthorization"} & set(frame["requestHeaders"])
        assert frame["address"].startswith(relay.listen_address) and "sb-hc-action=request" in frame["address"]
        assert await channel.recv() == b"abc"
        # hyco-https writes a body in several fragments of one message; the relay joins them.
        response = {"requestId": frame["id"], "statusCode": 201, "responseHeaders": {"X-Seen": "yes"}, "body": True}
        await channel.send(json.dumps({"response": response}))
        await channel.send([b"part one, ", b"part two"])
        answer = await sender
    assert (answer.status_code, answer.content, answer.headers["x-seen"]) == (201, b"part one, part two", "yes")


# Rendezvous for what does not fit in 64 kB


async def test_an_answer_over_64_kb_goes_over_a_rendezvous_socket(relay: Relay, listening: RelayListener) -> None:
    small = await send(relay, "GET", f"/v1/big?size={INLINE_BODY_LIMIT}")
    large = await send(relay, "GET", f"/v1/big?size={INLINE_BODY_LIMIT + 1}")

    assert len(small.content) == INLINE_BODY_LIMIT and len(large.content) == INLINE_BODY_LIMIT + 1
    assert [call.channel for call in relay.stand_in.calls] == ["control", "rendezvous"]


async def test_a_request_over_64_kb_arrives_over_a_rendezvous_socket(relay: Relay, listening: RelayListener) -> None:
    body = b"y" * 100_000

    response = await send(relay, "POST", "/v1/echo", content=body)

    assert loads(response)["body_length"] == len(body)
    assert relay.stand_in.calls[-1].channel == "rendezvous"


async def test_a_rendezvous_address_is_single_use(relay: Relay) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{relay.listen_address}?sb-hc-action=request&sb-hc-id=unknown"):
            pass
    assert refused.value.response.status_code == 403


# Time limits


async def test_a_listener_that_does_not_answer_in_time_gets_the_sender_a_504_from_the_relay(relay: Relay) -> None:
    relay.stand_in.answer_limit = 0.5
    async with run_listener(relay.listener()):
        response = await send(relay, "GET", "/v1/slow?seconds=2")

    assert response.status_code == 504 and "via" not in response.headers
    assert "did not respond within 0.5 s" in response.json()["error"]["message"]


async def test_the_agent_gives_up_before_the_relay_and_says_why(relay: Relay) -> None:
    async with run_listener(relay.listener(answer_deadline=0.3)):
        response = await send(relay, "GET", "/v1/slow?seconds=2")

    assert response.status_code == 503 and response.headers["via"] == "1.1 127.0.0.1"
    assert response.json() == {"error": "The agent did not answer within 0.3 s (Azure Relay allows 60 s per request)"}


# Sender tokens (the article's "Request operation" and status table)


@pytest.mark.parametrize(
    ("headers", "params", "status", "code"),
    [
        ({}, {}, 401, "TokenMissingOrInvalid"),
        ({"ServiceBusAuthorization": "SharedAccessSignature sr=x&sig=y&se=1&skn=nobody"}, {}, 401, "TokenMissingOrInvalid"),
        ({"ServiceBusAuthorization": "wrong-key"}, {}, 401, "TokenMissingOrInvalid"),
        ({"ServiceBusAuthorization": "expired"}, {}, 401, "TokenExpired"),
        ({"ServiceBusAuthorization": "listen-rule"}, {}, 403, "Forbidden"),
        ({"ServiceBusAuthorization": "other-connection"}, {}, 403, "Forbidden"),
    ],
)
async def test_the_relay_refuses_bad_sender_tokens(
    relay: Relay, listening: RelayListener, headers: dict[str, str], params: dict[str, str], status: int, code: str
) -> None:
    now = int(time.time())
    tokens = {
        "wrong-key": relay.send_token(key="not-the-key"),
        "expired": relay.send_token(expiry=now - 1),
        "listen-rule": relay.send_token(key=LISTEN_KEY, rule=LISTEN_RULE),
        "other-connection": sas_token("http://127.0.0.1/relay/other", "proxy-send", SEND_KEY, now + 60),
    }
    headers = {name: tokens.get(value, value) for name, value in headers.items()}
    async with httpx2.AsyncClient() as http:
        response = await http.get(f"{relay.sender_url}/v1/echo", headers=headers, params=params)

    assert response.status_code == status and response.json()["error"]["code"] == code
    assert "via" not in response.headers and relay.stand_in.calls[-1].channel == "none"


async def test_the_token_may_come_as_sb_hc_token_or_authorization_and_is_stripped(relay: Relay, listening: RelayListener) -> None:
    async with httpx2.AsyncClient() as http:
        by_query = await http.get(f"{relay.sender_url}/v1/echo", params={"sb-hc-token": relay.send_token(), "q": "1"})
        by_authorization = await http.get(f"{relay.sender_url}/v1/echo", headers={"Authorization": relay.send_token()})

    assert by_query.status_code == 200 and loads(by_query)["query"] == "q=1"
    assert by_authorization.status_code == 200 and "authorization" not in loads(by_authorization)["headers"]


async def test_no_listener_is_502_and_an_unknown_hybrid_connection_is_404(relay: Relay) -> None:
    no_listener = await send(relay, "GET", "/v1/echo")
    async with httpx2.AsyncClient() as http:
        unknown = await http.get(f"{relay.base_url}/relay/nowhere/v1/echo", headers={"ServiceBusAuthorization": relay.send_token()})

    assert no_listener.status_code == 502 and "via" not in no_listener.headers
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "EndpointNotFound"


# The control channel: token renewal, expiry, reconnection


async def test_the_listener_renews_its_token_and_keeps_its_control_channel(relay: Relay) -> None:
    async with run_listener(relay.listener(token_lifetime=2, token_renew_before=1)) as listener:
        # A renewal a second before each token expires: the third is past the first token's expiry.
        await eventually(lambda: relay.stand_in.renewals >= 3, "three renewals")
        response = await send(relay, "GET", "/v1/echo")

        assert listener.online.is_set() and response.status_code == 200
    assert relay.stand_in.listener_connections == 1, "the same control channel throughout"


async def test_the_relay_closes_a_control_channel_whose_token_expires_with_1008(relay: Relay) -> None:
    endpoint = RelayEndpoint.parse(relay.listen_address)
    token = sas_token(endpoint.resource_uri, LISTEN_RULE, LISTEN_KEY, int(time.time()) + 1)
    async with connect(endpoint.listen_url, additional_headers={"ServiceBusAuthorization": token}) as channel:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(channel.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


async def test_a_renewal_with_a_bad_token_closes_the_control_channel(relay: Relay) -> None:
    endpoint = RelayEndpoint.parse(relay.listen_address)
    token = sas_token(endpoint.resource_uri, LISTEN_RULE, LISTEN_KEY, int(time.time()) + 60)
    async with connect(endpoint.listen_url, additional_headers={"ServiceBusAuthorization": token}) as channel:
        await channel.send(json.dumps({"renewToken": {"token": token.replace("sig=", "sig=x")}}))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(channel.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


async def test_the_listener_reconnects_when_the_control_channel_drops(relay: Relay, listening: RelayListener) -> None:
    await relay.stand_in.drop_listeners()
    await asyncio.sleep(0.05)
    await asyncio.wait_for(listening.online.wait(), 5)
    for _ in range(50):  # the stand-in registers the new channel just after the handshake
        if relay.stand_in.listeners["aderant"]:
            break
        await asyncio.sleep(0.02)

    response = await send(relay, "GET", "/v1/echo")

    assert response.status_code == 200 and relay.stand_in.listener_connections == 2


async def test_a_listener_with_a_wrong_key_is_refused_and_keeps_trying(relay: Relay, caplog: pytest.LogCaptureFixture) -> None:
    listener = RelayListener(
        backend_app(), RelayEndpoint.parse(relay.listen_address), LISTEN_RULE, "wrong-key",
        reconnect_delays=(0.05,), ping_interval=None,
    )
    task = asyncio.create_task(listener.serve_forever())
    await eventually(lambda: caplog.text.count("refused the listener") >= 2, "a second attempt")  # it retries with backoff
    task.cancel()

    assert not listener.online.is_set() and relay.stand_in.listener_connections == 0
    assert "the relay refused the listener with HTTP 401" in caplog.text


async def test_a_missing_hybrid_connection_stops_the_listener(relay: Relay) -> None:
    endpoint = RelayEndpoint.parse(relay.listen_address.replace("/aderant", "/nowhere"))
    listener = RelayListener(backend_app(), endpoint, LISTEN_RULE, LISTEN_KEY, ping_interval=None)

    with pytest.raises(RelayEndpointMissing, match="no hybrid connection"):
        await asyncio.wait_for(listener.serve_forever(), 5)
