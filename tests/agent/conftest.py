from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette

from agent.app import create_agent_app
from sandbox.aderant_db import create_aderant_db
from tests.agent.helpers import API_KEYS, ClientFactory, root_logging_restored


@pytest.fixture(autouse=True)
def _root_logging() -> Iterator[None]:
    with root_logging_restored():
        yield


@pytest.fixture(scope="session")
def aderant_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('aderant') / 'aderant.db'}"
    create_aderant_db(url)
    return url


@pytest.fixture
def make_app(aderant_db_url: str) -> Iterator[Callable[..., Starlette]]:
    """Builds agent apps (over the seeded database unless told otherwise) and disposes them."""
    apps: list[Starlette] = []

    def make(
        *, database_url: str = aderant_db_url, mapping_path: Path | None = None, **options: Any
    ) -> Starlette:
        app = create_agent_app(
            database_url=database_url, api_keys=API_KEYS, mapping_path=mapping_path, **options
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.state.engine.dispose()


@pytest.fixture
def agent_app(make_app: Callable[..., Starlette]) -> Starlette:
    return make_app()


@pytest.fixture
def make_client() -> ClientFactory:
    def make(
        app: Starlette, *, authorization: str | None = f"Bearer {API_KEYS[0]}"
    ) -> httpx2.AsyncClient:
        headers = {"Authorization": authorization} if authorization is not None else {}
        return httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url="http://agent", headers=headers
        )

    return make


@pytest.fixture
async def client(
    agent_app: Starlette, make_client: ClientFactory
) -> AsyncIterator[httpx2.AsyncClient]:
    async with make_client(agent_app) as http:
        yield http
