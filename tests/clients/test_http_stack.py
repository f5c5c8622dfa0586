"""The service has one HTTP stack, httpx2, for its remote clients and for Authlib's OpenID Connect
client; and its pool keeps a burst's connections for the next burst."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client

from benchmarks.measure import PeerCounter
from clients.http import TracedClient, remote_http_client
from embed_auth.oidc import OidcClient
from tests.loopback import serve

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("agent", "clients", "embed_auth", "manifest", "plugin", "sandbox", "store", "views")
BURST = 12


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module.split(".")[0])
    return modules


def test_no_product_module_imports_httpx_or_httpcore() -> None:
    sources = [path for package in PRODUCT for path in (ROOT / package).rglob("*.py")]
    assert len(sources) > 50
    other_stack = {
        str(path.relative_to(ROOT)): sorted(modules)
        for path in sources
        if (modules := imported_modules(path) & {"httpx", "httpcore"})
    }
    assert other_stack == {}


def test_the_remote_clients_and_the_oidc_sign_in_are_built_on_httpx2() -> None:
    class Provider:
        name = "entra"
        issuer = "https://login.example.test/tenant/v2.0"
        client_id = "client"
        client_secret = "secret"

    oidc_http = OidcClient(Provider(), "https://pms-sync.example.test/sign-in/entra/callback")._http()
    assert issubclass(TracedClient, httpx2.AsyncClient)
    assert issubclass(AsyncOAuth2Client, httpx2.AsyncClient)
    assert isinstance(oidc_http, httpx2.AsyncClient)


class Together:
    """Holds every request until ``size`` have arrived, so a burst is truly concurrent."""

    def __init__(self, app: PeerCounter, size: int) -> None:
        self.app = app
        self.barrier = asyncio.Barrier(size)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await self.barrier.wait()
        await self.app(scope, receive, send)


@pytest.fixture
async def counted() -> AsyncIterator[tuple[PeerCounter, str]]:
    """A loopback uvicorn server counting the connections opened to it, answering in bursts of BURST."""
    counter = PeerCounter()
    async for url in serve(Together(counter, BURST)):
        yield counter, f"{url}/"


async def test_a_burst_opens_one_connection_per_call_and_the_next_burst_reuses_them(
    counted: tuple[PeerCounter, str],
) -> None:
    counter, url = counted
    async with remote_http_client(transport=None, timeout=10, concurrency=BURST) as http:
        first = await asyncio.gather(*(http.get(url) for _ in range(BURST)))
        opened = set(counter.peers)
        second = await asyncio.gather(*(http.get(url) for _ in range(BURST)))
    assert [r.status_code for r in first + second] == [200] * (2 * BURST)
    assert len(opened) == BURST
    assert counter.peers == opened, "the second burst opened no connection"
