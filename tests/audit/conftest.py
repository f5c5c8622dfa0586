"""A recording SIEM webhook (httpx2.MockTransport), a clock the tests move, and environments with
and without a webhook."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx2
import pytest
from sqlmodel import Session
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from store.models import Environment
from store.repository import Store

SIEM_URL = "https://siem.example.test/hooks/audit"
SIEM_SECRET = "whsec_" + base64.b64encode(b"a-test-secret-of-32-bytes-long!!").decode()
OTHER_SIEM_SECRET = base64.b64encode(b"another-secret-of-32-bytes-long!").decode()  # without whsec_

Responder = Callable[[httpx2.Request], httpx2.Response]


def verify(secret: str, request: httpx2.Request) -> bool:
    """A receiver's check with the Standard Webhooks reference library itself (PyPI
    `standardwebhooks`, from standard-webhooks/standard-webhooks
    libraries/python/standardwebhooks/webhooks.py): the headers, the signed content and the key
    derived from the secret are the library's, not clients/siem.py's."""
    try:
        Webhook(secret).verify(request.content, dict(request.headers), json_parse=False)
    except WebhookVerificationError:
        return False
    return True


@dataclass
class FakeSiem:
    """Answers 204 unless `respond` says otherwise; keeps every request it received."""

    requests: list[httpx2.Request] = field(default_factory=list)
    respond: Responder | None = None
    delay: float = 0.0

    async def handle(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        self.requests.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.respond(request) if self.respond else httpx2.Response(204)

    def bodies(self, url: str = SIEM_URL) -> list[dict]:
        return [json.loads(r.content) for r in self.requests if str(r.url) == url]

    def ids(self, url: str = SIEM_URL) -> list[str]:
        return [r.headers["webhook-id"] for r in self.requests if str(r.url) == url]


@pytest.fixture
def siem() -> FakeSiem:
    return FakeSiem()


@pytest.fixture
async def http(siem: FakeSiem) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(siem.handle)) as client:
        yield client


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 3, 1, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@dataclass(frozen=True)
class Firm:
    organisation_id: int
    with_siem: int
    without_siem: int
    other_siem: int


OTHER_SIEM_URL = "https://other-siem.example.test/audit"


def add_environment(store: Store, org: int, name: str, *, siem_url: str | None = None, siem_secret: str | None = None) -> int:
    """Written as a row, not through Settings → Connections' audited save: the only audit events are
    those a test adds, so their ids count from 1."""
    slug = name.lower()
    row = Environment(
        organisation_id=org, name=name, identity_url=f"https://{slug}-identity.example.test",
        api_url=f"https://{slug}.example.test", client_id="pms-sync", client_secret_enc=store.secrets.encrypt("client-secret"),
        agent_url="https://agent.example.test", agent_key_enc=store.secrets.encrypt("agent-key"), siem_url=siem_url,
        siem_secret_enc=store.secrets.encrypt(siem_secret) if siem_secret else None,
    )
    with Session(store.engine) as session:
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


@pytest.fixture
def firm(store: Store) -> Firm:
    org = store.create_organisation("Harbour Legal", ["system-administrator"])
    return Firm(
        organisation_id=org,
        with_siem=add_environment(store, org, "Production", siem_url=SIEM_URL, siem_secret=SIEM_SECRET),
        without_siem=add_environment(store, org, "UAT"),
        other_siem=add_environment(store, org, "Training", siem_url=OTHER_SIEM_URL, siem_secret=OTHER_SIEM_SECRET),
    )


def add_events(store: Store, firm: Firm, environment_id: int, count: int, type: str = "import.succeeded") -> None:
    for n in range(count):
        store.add_audit_event(
            type,
            organisation_id=firm.organisation_id,
            environment_id=environment_id,
            actor="staff@firm.test",
            data={"n": n},
        )
