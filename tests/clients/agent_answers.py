"""The Aderant agent's own answers, for the client tests: the agent's app (agent/app.py) runs in
process over the sandbox's Aderant database (sandbox/aderant_db.py) and is asked what the client
asks, so a canned answer in the client tests is one the agent really gives and cannot drift from
it. tests/clients/test_agent_contract.py runs the client against the agent itself."""

from __future__ import annotations

import copy
import tempfile
from functools import cache
from typing import Any

from starlette.applications import Starlette
from starlette.testclient import TestClient

from agent.app import create_agent_app
from sandbox.aderant_db import create_aderant_db

AGENT_KEY = "agent-key-Sample-0004"


@cache
def _directory() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="aderant-agent-")  # removed when the tests end


@cache
def sandbox_database_url() -> str:
    """The sandbox's Aderant database, its example matters only, made once."""
    url = f"sqlite:///{_directory().name}/aderant.db"
    create_aderant_db(url, generated_matters=0)
    return url


def unreachable_database_url() -> str:
    return f"sqlite:///{_directory().name}/no-such-directory/aderant.db"


def agent_app(*, database_url: str | None = None, **options: Any) -> Starlette:
    """The agent's app over the sandbox database (or `database_url`); dispose `app.state.engine` after."""
    return create_agent_app(database_url=database_url or sandbox_database_url(), api_keys=[AGENT_KEY], **options)


def agent_answer(path: str, *, status: int = 200, database_url: str | None = None) -> Any:
    """The agent's JSON answer to `GET path` (query included), a copy of its own each call."""
    return copy.deepcopy(_answer(path, status, database_url))


@cache
def _answer(path: str, status: int, database_url: str | None) -> Any:
    app = agent_app(database_url=database_url)
    with TestClient(app, base_url="http://agent", headers={"Authorization": f"Bearer {AGENT_KEY}"}) as agent:
        response = agent.get(path)
    assert response.status_code == status, (path, response.status_code, response.text)
    return response.json()
