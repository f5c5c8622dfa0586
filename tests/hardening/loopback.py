"""The service, the sandbox and a SIEM receiver served by uvicorn on loopback, in this process
(in a thread), so a test reads every log record they write."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.ports import SocketServer, port_of
from views.server import server_config

CREDENTIAL_HEADERS = (b"authorization", b"servicebusauthorization")


@dataclass
class CredentialRecorder:
    """An ASGI wrapper keeping every credential a caller presented (the service's Bearer tokens)."""

    app: ASGIApp
    seen: set[str] = field(default_factory=set)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name in CREDENTIAL_HEADERS:
                    self.seen.add(value.decode().partition(" ")[2] or value.decode())
        await self.app(scope, receive, send)


@dataclass
class SiemReceiver:
    """A SIEM webhook that accepts every event."""

    events: list[bytes] = field(default_factory=list)

    def app(self) -> Starlette:
        async def receive(request: Request) -> Response:
            self.events.append(await request.body())
            return Response(status_code=204)

        return Starlette(routes=[Route("/audit", receive, methods=["POST"])])


class LoopbackOrApp(httpx2.AsyncBaseTransport):
    """A transport sending requests for 127.0.0.1 over the network (to a server `serving` runs)
    and every other one to an in-process app (the sandbox)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = httpx2.ASGITransport(app=app)
        self._network = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        transport = self._network if request.url.host == "127.0.0.1" else self._app
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._network.aclose()
        await self._app.aclose()


@contextmanager
def serving(apps: Iterable[tuple[socket.socket, ASGIApp]]) -> Iterator[None]:
    """Serve each app on its bound socket (sandbox.ports; as ``pms-sync serve`` does, with the access
    log) until the block ends."""
    servers = [
        SocketServer(server_config(app, host="127.0.0.1", port=port_of(sock), log_config=None, access_log=True), sock)
        for sock, app in apps
    ]

    async def serve_all() -> None:
        await asyncio.gather(*(server.serve() for server in servers))

    thread = threading.Thread(target=asyncio.run, args=(serve_all(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not all(server.started for server in servers):
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the loopback servers did not start")
        time.sleep(0.05)
    try:
        yield
    finally:
        for server in servers:
            server.should_exit = True
        thread.join(timeout=30)
