"""The service app in-process, talking to the sandbox in-process (no sockets): fast page and API tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from plugin.settings import Settings
from sandbox.aderant_db import create_aderant_db
from sandbox.app import create_sandbox_app
from sandbox.clio.tenant import Tenant
from sandbox.clio.tokens import SigningKeys
from store.db import make_engine
from store.models import AuditEvent
from store.repository import Store
from store.secrets import SecretBox
from tests.conftest import MovableClock, Seeded
from views.app import create_app
from views.demo import DEMO_ACTOR, configure_sandbox_organisation

SANDBOX = "http://sandbox.test"
SERVICE = "http://testserver"
AGENT_KEY = "agent-key-for-tests"


@dataclass
class Service:
    client: TestClient
    sandbox: Starlette
    store: Store
    organisation_id: int
    aderant_url: str
    settings: Settings | None = None  # the service's, for a second replica on the same database

    def tenant(self, name: str = "production") -> Tenant:
        return self.sandbox.state.sandbox.tenants[name]

    def token(self, username: str = "staff@sandbox.test", tenant: str = "production", **kwargs: object) -> str:
        return self.tenant(tenant).mint_user_token(username, **kwargs)  # type: ignore[arg-type]

    def bearer(self, username: str = "staff@sandbox.test", tenant: str = "production") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username, tenant)}"}

    def sign_in(self, username: str = "staff@sandbox.test", **kwargs: object) -> httpx2.Response:
        return self.client.post(
            "/embed/session", json={"token": self.token(username, **kwargs), "portal_origin": SANDBOX}  # type: ignore[arg-type]
        )

    def audit_events(self) -> list[AuditEvent]:
        """The organisation's audit events, newest first, but for the demo's set-up of its environments."""
        return [e for e in self.store.audit_events(self.organisation_id, limit=500) if e.actor != DEMO_ACTOR]

    @property
    def faults(self):  # type: ignore[no-untyped-def]
        return self.sandbox.state.sandbox.faults

    @property
    def calls(self):  # type: ignore[no-untyped-def]
        return self.sandbox.state.sandbox.calls


@pytest.fixture(scope="session")
def aderant_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('aderant') / 'aderant.db'}"
    create_aderant_db(url, generated_matters=300)
    return url


def demo_organisation(seeded: Seeded, store: Store, sandbox: Starlette) -> int:
    """The demo organisation pointed at the in-process sandbox, in the store's clean database."""
    return seeded(
        "demo organisation", store.engine,
        lambda: configure_sandbox_organisation(
            store, sandbox.state.sandbox.environments(), agent_url=f"{SANDBOX}/aderant", agent_key=AGENT_KEY
        ),
    )


@pytest.fixture
def service(
    database_url: str, aderant_db: str, remote_transport: Callable[[Starlette], httpx2.AsyncBaseTransport],
    signing_keys: SigningKeys, clock: MovableClock, seeded: Seeded, service_key: str,
) -> Iterator[Service]:
    key = service_key
    sandbox = create_sandbox_app(
        base_url=SANDBOX, aderant_database_url=aderant_db, agent_api_key=AGENT_KEY, service_url=SERVICE,
        signing_keys=signing_keys,
    )
    store = Store(make_engine(database_url), SecretBox(key))
    organisation = demo_organisation(seeded, store, sandbox)
    settings = Settings(database_url=database_url, secret_keys=key, public_url=SERVICE, cookie_secure=False)
    app = create_app(settings, transport=remote_transport(sandbox), clocks=clock.clocks())
    with TestClient(app, base_url=SERVICE) as client:
        yield Service(client, sandbox, store, organisation, aderant_db, settings)
    store.engine.dispose()
