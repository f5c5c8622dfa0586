"""A stand-in relay (sandbox/relay.py) served over loopback, and a small ASGI app to put behind it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from agent.relay.listener import RelayListener
from agent.relay.sas import RelayEndpoint, sas_token
from sandbox.relay import RelayStandIn, SasRule
from tests.loopback import serve

LISTEN_RULE, LISTEN_KEY = "proxy-listen", "listen-key-0123456789abcdef"
SEND_RULE, SEND_KEY = "proxy-send", "send-key-0123456789abcdef"
RULES = {
    LISTEN_RULE: SasRule(LISTEN_KEY, frozenset({"Listen"})),
    SEND_RULE: SasRule(SEND_KEY, frozenset({"Send"})),
}
HYBRID_CONNECTION = "aderant"


async def echo(request: Request) -> Response:
    body = await request.body()
    return JSONResponse({
        "method": request.method, "path": request.url.path, "query": request.url.query,
        "headers": dict(request.headers), "body_length": len(body), "body_head": body[:20].decode(errors="replace"),
    })


async def big(request: Request) -> Response:
    return Response(b"x" * int(request.query_params["size"]), media_type="application/octet-stream")


async def slow(request: Request) -> Response:
    await asyncio.sleep(float(request.query_params["seconds"]))
    return JSONResponse({"slept": True})


def backend_app() -> Starlette:
    """What the listener answers with, standing for the agent's app."""
    return Starlette(routes=[
        Route("/v1/echo", echo, methods=["GET", "POST"]),
        Route("/v1/big", big),
        Route("/v1/slow", slow),
    ])


@dataclass
class Relay:
    stand_in: RelayStandIn
    base_url: str

    @property
    def listen_address(self) -> str:
        return self.base_url.replace("http://", "ws://") + f"/relay/$hc/{HYBRID_CONNECTION}"

    @property
    def sender_url(self) -> str:
        return f"{self.base_url}/relay/{HYBRID_CONNECTION}"

    def send_token(self, *, key: str = SEND_KEY, rule: str = SEND_RULE, expiry: int | None = None) -> str:
        resource = f"http://127.0.0.1/relay/{HYBRID_CONNECTION}"
        return sas_token(resource, rule, key, expiry or int(time.time()) + 600)

    def listener(self, app: Starlette | None = None, **options: object) -> RelayListener:
        options = {"ping_interval": None, "reconnect_delays": (0.05,), **options}
        return RelayListener(app or backend_app(), RelayEndpoint.parse(self.listen_address), LISTEN_RULE, LISTEN_KEY, **options)  # type: ignore[arg-type]


@pytest.fixture
async def relay() -> AsyncIterator[Relay]:
    stand_in = RelayStandIn(rules=RULES, hybrid_connections=(HYBRID_CONNECTION,), answer_limit=3.0)
    app = Starlette(routes=[Mount("/relay", routes=stand_in.routes()), Mount("/_sandbox", routes=stand_in.control_routes())])
    async for base_url in serve(app):
        yield Relay(stand_in, base_url)


@pytest.fixture
async def listening(relay: Relay) -> AsyncIterator[RelayListener]:
    """A listener on the stand-in, online."""
    async with run_listener(relay.listener()) as listener:
        yield listener


class run_listener:
    """`async with run_listener(listener)`: serve in the background until online; stop on exit."""

    def __init__(self, listener: RelayListener) -> None:
        self.listener = listener

    async def __aenter__(self) -> RelayListener:
        self.task = asyncio.create_task(self.listener.serve_forever())
        await asyncio.wait_for(self.listener.online.wait(), 5)
        return self.listener

    async def __aexit__(self, *exc: object) -> None:
        self.task.cancel()
        try:
            await self.task
        except asyncio.CancelledError:
            pass


def loads(response: httpx2.Response) -> dict:
    return json.loads(response.content)
