"""The service in-process with the in-process sandbox (as tests/views), its metrics readable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from plugin.settings import Settings
from sandbox.app import create_sandbox_app
from sandbox.clio.tokens import SigningKeys
from store.db import make_engine
from store.repository import Store
from store.secrets import SecretBox
from tests.conftest import Seeded
from tests.views.conftest import AGENT_KEY, SANDBOX, SERVICE, Service, aderant_db, demo_organisation  # noqa: F401  (a fixture)
from views.app import create_app

METRICS_TOKEN = "metrics-token-for-tests-0123456789"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
MakeService = Callable[..., Service]


def samples(text: str) -> Samples:
    """Every sample of a Prometheus text answer, by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 when the series does not exist (yet)."""
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client: TestClient, token: str = METRICS_TOKEN) -> Samples:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return samples(response.text)


@pytest.fixture
def make_service(
    database_url: str, aderant_db: str, signing_keys: SigningKeys, seeded: Seeded, service_key: str,  # noqa: F811
) -> Iterator[MakeService]:
    """Services over one database and sandbox, each with its own settings (``metrics_token`` …)."""
    key = service_key
    sandbox = create_sandbox_app(
        base_url=SANDBOX, aderant_database_url=aderant_db, agent_api_key=AGENT_KEY, service_url=SERVICE,
        signing_keys=signing_keys,
    )
    store = Store(make_engine(database_url), SecretBox(key))
    organisation = demo_organisation(seeded, store, sandbox)
    with ExitStack() as running:

        def make(**settings: object) -> Service:
            app = create_app(
                Settings(database_url=database_url, secret_keys=key, public_url=SERVICE, cookie_secure=False, **settings),  # type: ignore[arg-type]
                transport=httpx2.ASGITransport(app=sandbox),
            )
            client = running.enter_context(TestClient(app, base_url=SERVICE))
            return Service(client, sandbox, store, organisation, aderant_db)

        yield make
    store.engine.dispose()


@pytest.fixture
def service(make_service: MakeService) -> Service:
    return make_service(metrics_token=METRICS_TOKEN)
