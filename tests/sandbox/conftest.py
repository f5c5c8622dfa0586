"""Fixtures for the sandbox tests: one sandbox app per session, reset before every test."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx2
import pytest
import uvicorn
from starlette.applications import Starlette

from manifest.build import build_widget
from sandbox.aderant_db import create_aderant_db
from sandbox.app import Sandbox, create_sandbox_app
from sandbox.clio.tenant import Tenant

BASE_URL = "http://sandbox.test"
SERVICE_URL = "http://pms-sync.test:8200/app"
AGENT_KEY = "sandbox-agent-key"
SIGN_IN_CALLBACK = f"{SERVICE_URL}/sign-in/alterspective/callback"


@pytest.fixture(scope="session")
def widget_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_widget(SERVICE_URL, tmp_path_factory.mktemp("widget"))


@pytest.fixture(scope="session")
def sandbox_app(tmp_path_factory: pytest.TempPathFactory, widget_dir: Path) -> Starlette:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('aderant') / 'aderant.db'}"
    create_aderant_db(database_url, generated_matters=10)
    return create_sandbox_app(
        base_url=BASE_URL,
        aderant_database_url=database_url,
        agent_api_key=AGENT_KEY,
        service_url=SERVICE_URL,
        widget_dir=widget_dir,
        sign_in_redirect_uris=[SIGN_IN_CALLBACK],
    )


@pytest.fixture(autouse=True)
def sandbox(sandbox_app: Starlette) -> Sandbox:
    """The in-process controls, with seed data, no fault rules and an empty call log."""
    controls: Sandbox = sandbox_app.state.sandbox
    controls.reset()
    controls.faults.clear()
    controls.calls.clear()
    return controls


@pytest.fixture
def production(sandbox: Sandbox) -> Tenant:
    return sandbox.tenants["production"]


@pytest.fixture
async def client(sandbox_app: Starlette) -> AsyncIterator[httpx2.AsyncClient]:
    transport = httpx2.ASGITransport(app=sandbox_app)
    async with httpx2.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def staff_auth(production: Tenant) -> dict[str, str]:
    """Headers carrying a portal token of the staff user of the production tenant."""
    return _bearer(production.mint_user_token("staff@sandbox.test"))


@pytest.fixture
def admin_auth(production: Tenant) -> dict[str, str]:
    """Headers carrying a portal token of the administrator of the production tenant."""
    return _bearer(production.mint_user_token("admin@sandbox.test"))


@pytest.fixture
def client_auth(production: Tenant) -> dict[str, str]:
    """Headers carrying a client-credentials token of the production tenant."""
    return _bearer(production.mint_client_token())


@pytest.fixture
def live_sandbox(sandbox_app: Starlette) -> Iterator[str]:
    """The sandbox served over loopback HTTP (timeouts need a real socket); yields its URL."""
    server = uvicorn.Server(uvicorn.Config(sandbox_app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the sandbox server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
