"""The sandbox's stand-in relay checked against Microsoft's own implementation of HTTP over hybrid
connections, the npm package hyco-https 1.4.5 (Azure/azure-relay-node `hyco-https/`): its listener
(`createRelayedServer`, `lib/HybridConnectionHttpsServer.js`, `lib/_hyco_outgoing.js`) answers
requests that the service's signing (clients/relay.py) sends through the stand-in, and its token
helpers (`createRelayToken`, `createRelayHttpsUri`, `index.js`) sign a sender whose request our
Python listener answers. Protocol: Microsoft's "Azure Relay Hybrid Connections protocol" article.

Node.js and `npm ci --prefix tests/relay/hyco` are needed; `.ci/run` installs them and sets
PMS_SYNC_REQUIRE=hyco-https so that CI fails rather than skips.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest

from agent.relay.listener import INLINE_BODY_LIMIT, RelayListener
from clients.relay import relay_resource_uri, sas_token
from tests.relay.conftest import LISTEN_KEY, LISTEN_RULE, SEND_KEY, SEND_RULE, Relay

HYCO_DIR = Path(__file__).parent / "hyco"
INSTALL = "install it with: npm ci --prefix tests/relay/hyco"


def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip(f"Node.js is not installed: the hyco-https listener for these tests runs on it ({INSTALL})")
    if not (HYCO_DIR / "node_modules" / "hyco-https").is_dir():
        pytest.skip(f"the hyco-https package is not installed: {INSTALL}")
    return found


@pytest.fixture
async def hyco_listener(relay: Relay) -> AsyncIterator[asyncio.subprocess.Process]:
    """hyco-https's listener on the stand-in, its control channel open."""
    env = {
        **os.environ,
        "HYCO_LISTEN_URI": f"{relay.listen_address}?sb-hc-action=listen",
        "HYCO_RULE": LISTEN_RULE,
        "HYCO_KEY": LISTEN_KEY,
    }
    process = await asyncio.create_subprocess_exec(
        node(), "listener.js", cwd=HYCO_DIR, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 15)
        assert line.decode().strip() == "listening", f"hyco-https listener said {line!r}"
        for _ in range(100):  # the stand-in registers the channel right after the handshake
            if relay.stand_in.listeners["aderant"]:
                break
            await asyncio.sleep(0.02)
        yield process
    finally:
        process.terminate()
        await process.wait()


async def send(relay: Relay, method: str, route: str, **kwargs: object) -> httpx2.Response:
    """A sender signed by the service's own code (clients/relay.py)."""
    token = sas_token(relay_resource_uri(relay.sender_url), SEND_RULE, SEND_KEY, int(time.time()) + 600)
    headers = {"ServiceBusAuthorization": token, "Authorization": "Bearer agent-key", **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    async with httpx2.AsyncClient(timeout=15) as http:
        return await http.request(method, f"{relay.sender_url}{route}", headers=headers, **kwargs)  # type: ignore[arg-type]


async def test_hyco_https_listener_answers_a_get_through_the_stand_in(relay: Relay, hyco_listener: object) -> None:
    response = await send(relay, "GET", "/v1/echo?q=acme", headers={"X-Custom": "Hello"})

    assert response.status_code == 200 and response.headers["x-listener"] == "hyco-https"
    assert response.headers["via"] == "1.1 127.0.0.1"
    answer = response.json()
    assert (answer["listener"], answer["method"], answer["url"]) == ("hyco-https", "GET", "/aderant/v1/echo?q=acme")
    assert (answer["custom"], answer["authorization"], answer["relayToken"]) == ("Hello", "Bearer agent-key", None)
    # hyco-https's own listener token was accepted; it signs `http://127.0.0.1:PORT/relay/aderant`
    # (Node's url.format keeps the port), which the stand-in, like Azure, reads as the same entity.
    assert relay.stand_in.listener_connections == 1
    assert relay.stand_in.calls[-1].channel == "control"


async def test_hyco_https_listener_reads_a_posted_body(relay: Relay, hyco_listener: object) -> None:
    response = await send(relay, "POST", "/v1/echo", content=b"hello hyco-https")

    answer = response.json()
    assert (answer["method"], answer["bodyLength"], answer["bodyHead"]) == ("POST", 16, "hello hyco-https")


async def test_hyco_https_listener_answers_over_64_kb_by_rendezvous(relay: Relay, hyco_listener: object) -> None:
    response = await send(relay, "GET", f"/v1/echo?size={INLINE_BODY_LIMIT + 1000}")

    assert response.status_code == 200 and len(response.json()["padding"]) == INLINE_BODY_LIMIT + 1000
    assert relay.stand_in.calls[-1].channel == "rendezvous"


async def test_hyco_https_listener_takes_a_request_over_64_kb_by_rendezvous(relay: Relay, hyco_listener: object) -> None:
    response = await send(relay, "POST", "/v1/echo", content=b"z" * 100_000)

    assert response.status_code == 200 and response.json()["bodyLength"] == 100_000
    assert relay.stand_in.calls[-1].channel == "rendezvous"


async def test_a_hyco_https_sender_is_answered_by_our_listener(relay: Relay, listening: RelayListener) -> None:
    env = {
        **os.environ,
        "HYCO_NAMESPACE": relay.base_url.removeprefix("http://") + "/relay",
        "HYCO_PATH": "aderant",
        "HYCO_RULE": SEND_RULE,
        "HYCO_KEY": SEND_KEY,
        "HYCO_ROUTE": "/v1/echo?q=from-node",
    }
    process = await asyncio.create_subprocess_exec(
        node(), "sender.js", cwd=HYCO_DIR, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 15)

    assert process.returncode == 0, err.decode()
    result = json.loads(out)
    assert (result["status"], result["via"]) == (200, "1.1 127.0.0.1")
    seen = json.loads(result["body"])
    assert (seen["path"], seen["query"]) == ("/v1/echo", "q=from-node")
    assert seen["headers"]["authorization"] == "Bearer agent-key-from-node"
