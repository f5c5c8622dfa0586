"""Delivering the audit outbox: order, signatures, retries with backoff, restarts, several replicas."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from clients.errors import RemoteUnavailable
from clients.remote_clients import RemoteClients
from clients.siem import WebhookGone
from embed_auth.portal_access import PortalAccess, PortalRefused, refusal
from plugin.audit_delivery import AuditDelivery
from plugin.settings import Settings
from store.db import make_engine
from store.leases import Leases
from store.models import AuditEvent
from store.repository import Store
from store.secrets import SecretBox
from tests.audit.conftest import (
    OTHER_SIEM_SECRET,
    OTHER_SIEM_URL,
    SIEM_SECRET,
    SIEM_URL,
    Clock,
    FakeSiem,
    Firm,
    add_environment,
    add_events,
    verify,
)
from views.app import create_app


def delivery(
    store: Store, http: httpx2.AsyncClient, clock: Clock, holder: str = "replica-a", **options: Any
) -> AuditDelivery:
    return AuditDelivery(store, RemoteClients(http), holder=holder, clock=clock, **options)


def events(store: Store, firm: Firm, environment_id: int) -> list[AuditEvent]:
    rows = [e for e in store.audit_events(firm.organisation_id, limit=1000) if e.environment_id == environment_id]
    return sorted(rows, key=lambda e: e.id or 0)


def as_utc(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def fail_with(status: int, **headers: str):  # type: ignore[no-untyped-def]
    return lambda request: httpx2.Response(status, headers=headers, text="unavailable")


async def test_delivers_each_environment_in_order_signed(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    add_events(store, firm, firm.with_siem, 3)
    add_events(store, firm, firm.without_siem, 2)
    add_events(store, firm, firm.other_siem, 1)

    assert await delivery(store, http, clock).run_once() == 4

    production = events(store, firm, firm.with_siem)
    assert siem.ids() == [f"evt_{e.id}" for e in production]
    assert siem.ids(OTHER_SIEM_URL) == [f"evt_{e.id}" for e in events(store, firm, firm.other_siem)]
    for request in siem.requests:
        secret = SIEM_SECRET if str(request.url) == SIEM_URL else OTHER_SIEM_SECRET
        assert verify(secret, request)
    first, event = siem.bodies()[0], production[0]
    assert first == {
        "type": "pms_sync.import.succeeded",
        "timestamp": as_utc(event.occurred_at).isoformat(),
        "data": {
            "id": event.id,
            "organisation_id": firm.organisation_id,
            "environment_id": firm.with_siem,
            "actor": "staff@firm.test",
            "event": "import.succeeded",
            "n": 0,
        },
    }
    assert [b["data"]["n"] for b in siem.bodies()] == [0, 1, 2]
    assert all(e.delivered_at is not None and e.delivery_attempts == 0 for e in production)
    # Without a webhook, events stay in the outbox (and do not hold anyone back).
    assert all(e.delivered_at is None and e.delivery_attempts == 0 for e in events(store, firm, firm.without_siem))
    assert await delivery(store, http, clock).run_once() == 0
    assert len(siem.requests) == 4


@pytest.mark.parametrize(
    ("status", "delivered"),
    [(200, True), (201, True), (202, True), (204, True), (299, True), (300, False), (304, False), (404, False)],
)
async def test_any_2xx_answer_delivers_the_event_and_nothing_else_does(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock, status: int, delivered: bool
) -> None:
    add_events(store, firm, firm.with_siem, 1)
    siem.respond = lambda request: httpx2.Response(status)

    assert await delivery(store, http, clock).run_once() == int(delivered)

    [event] = events(store, firm, firm.with_siem)
    if delivered:
        assert event.delivered_at is not None and event.delivery_attempts == 0 and event.last_error is None
    else:
        assert event.delivered_at is None and event.delivery_attempts == 1 and (event.last_error or "").startswith("SIEM ")
    clock.advance(3600)  # long past any backoff: only an undelivered event is sent again
    siem.respond = None
    await delivery(store, http, clock).run_once()
    assert siem.ids() == (["evt_1"] if delivered else ["evt_1", "evt_1"])


async def test_event_data_cannot_override_the_identifying_fields(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    store.add_audit_event(
        "settings.changed",
        organisation_id=firm.organisation_id,
        environment_id=firm.with_siem,
        actor="admin@firm.test",
        data={"id": "forged", "actor": "someone else", "field": "siem_url"},
    )
    await delivery(store, http, clock).run_once()
    [body] = siem.bodies()
    assert body["type"] == "pms_sync.settings.changed"
    assert body["data"]["id"] == 1 and body["data"]["actor"] == "admin@firm.test" and body["data"]["field"] == "siem_url"


async def test_a_webhook_that_is_down_loses_nothing_and_backs_off(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    add_events(store, firm, firm.with_siem, 3)
    worker = delivery(store, http, clock, jitter=lambda ceiling: ceiling)  # the top of each jitter range
    siem.respond = fail_with(500)

    delays = []
    for _ in range(4):
        assert await worker.run_once() == 0
        first = events(store, firm, firm.with_siem)[0]
        delays.append((as_utc(first.next_attempt_at) - clock.now).total_seconds())
        assert await worker.run_once() == 0  # not due yet: no request
        clock.advance(delays[-1])

    assert delays == [2, 4, 8, 16]
    assert siem.ids() == ["evt_1"] * 4  # event 2 never went before event 1
    first, *rest = events(store, firm, firm.with_siem)
    assert first.delivery_attempts == 4 and "HTTP 500" in (first.last_error or "") and first.delivered_at is None
    assert all(e.delivery_attempts == 0 and e.delivered_at is None for e in rest)

    siem.respond = None
    assert await worker.run_once() == 3
    assert siem.ids() == ["evt_1"] * 5 + ["evt_2", "evt_3"]
    assert all(e.delivered_at is not None for e in events(store, firm, firm.with_siem))


async def test_a_timeout_is_recorded_and_retried(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    def stall(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("timed out", request=request)

    add_events(store, firm, firm.with_siem, 2)
    siem.respond = stall
    worker = delivery(store, http, clock)
    assert await worker.run_once() == 0
    first = events(store, firm, firm.with_siem)[0]
    assert first.delivery_attempts == 1 and "did not answer in time" in (first.last_error or "")
    assert clock.now <= as_utc(first.next_attempt_at) <= clock.now + timedelta(seconds=2)

    siem.respond = None
    clock.advance(2)
    assert await worker.run_once() == 2


def test_backoff_grows_exponentially_with_full_jitter_and_a_cap(store: Store, http: httpx2.AsyncClient) -> None:
    worker = AuditDelivery(store, RemoteClients(http), holder="a")
    down = RemoteUnavailable("SIEM", "Production", "HTTP 500")
    for attempts in range(1, 30):
        ceiling = min(3600.0, 2.0 * 2 ** (attempts - 1))
        samples = [worker.backoff(attempts, down) for _ in range(200)]
        assert all(0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling / 2  # spread over the range, not pinned to its bottom
    assert 0 <= worker.backoff(100_000, down) <= 3600  # no overflow after a long outage


def test_backoff_honours_retry_after_and_waits_longest_after_a_410(store: Store, http: httpx2.AsyncClient) -> None:
    worker = AuditDelivery(store, RemoteClients(http), holder="a", jitter=lambda ceiling: 0.0)
    throttled = RemoteUnavailable("SIEM", "Production", "HTTP 429")
    throttled.retry_after = 120  # type: ignore[attr-defined]
    assert worker.backoff(1, throttled) == 120
    throttled.retry_after = 10**9  # type: ignore[attr-defined]
    assert worker.backoff(1, throttled) == 24 * 3600
    assert worker.backoff(1, WebhookGone("SIEM", "Production", "HTTP 410")) == 3600


async def test_a_410_is_recorded_and_retried_at_the_longest_backoff(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    add_events(store, firm, firm.with_siem, 2)
    siem.respond = fail_with(410)
    worker = delivery(store, http, clock)
    await worker.run_once()
    first = events(store, firm, firm.with_siem)[0]
    assert "no longer accepts events" in (first.last_error or "")
    assert as_utc(first.next_attempt_at) == clock.now + timedelta(hours=1)

    clock.advance(3600)
    siem.respond = None
    assert await worker.run_once() == 2


async def test_retry_after_from_the_webhook_sets_the_next_attempt(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    add_events(store, firm, firm.with_siem, 1)
    siem.respond = fail_with(429, **{"Retry-After": "300"})
    await delivery(store, http, clock).run_once()
    assert as_utc(events(store, firm, firm.with_siem)[0].next_attempt_at) == clock.now + timedelta(seconds=300)


async def test_a_restarted_worker_picks_up_where_the_last_one_left(
    store: Store, firm: Firm, database_url: str, secret_box: SecretBox, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    add_events(store, firm, firm.with_siem, 3)
    siem.respond = fail_with(503)
    await delivery(store, http, clock, holder="before-restart").run_once()
    failed_id = siem.requests[0].headers["webhook-id"]

    restarted = Store(make_engine(database_url), secret_box)
    try:
        siem.respond = None
        clock.advance(3600)
        assert await delivery(restarted, http, clock, holder="after-restart").run_once() == 3
    finally:
        restarted.engine.dispose()
    assert siem.ids() == [failed_id, failed_id, "evt_2", "evt_3"]


async def test_replicas_running_at_once_never_deliver_an_event_twice(
    store: Store, firm: Firm, database_url: str, secret_box: SecretBox, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    siem.delay = 0.01  # deliveries overlap between the replicas
    other = Store(make_engine(database_url), secret_box)
    try:
        replicas = [delivery(s, http, clock, holder=f"replica-{n}") for n, s in enumerate([store, other, store, other])]
        for _ in range(4):
            add_events(store, firm, firm.with_siem, 5)
            add_events(store, firm, firm.other_siem, 5)
            await asyncio.gather(*(r.run_once() for r in replicas))
        while sum(await asyncio.gather(*(r.run_once() for r in replicas))):
            pass
    finally:
        other.engine.dispose()

    for url, environment_id in ((SIEM_URL, firm.with_siem), (OTHER_SIEM_URL, firm.other_siem)):
        assert siem.ids(url) == [f"evt_{e.id}" for e in events(store, firm, environment_id)]  # each once, in order
    assert len(siem.requests) == 40


async def test_overlapping_runs_of_one_worker_do_not_deliver_twice(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    siem.delay = 0.01
    worker = delivery(store, http, clock)
    add_events(store, firm, firm.with_siem, 5)
    await asyncio.gather(worker.run_once(), worker.run_once(), worker.run_once())
    assert siem.ids() == [f"evt_{n}" for n in range(1, 6)]


async def test_a_held_lease_blocks_delivery_until_it_expires(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    add_events(store, firm, firm.with_siem, 2)
    crashed = "replica-that-died"
    assert Leases(store.engine).try_acquire(f"audit-delivery:{firm.with_siem}", crashed, timedelta(minutes=2), now=clock.now)

    worker = delivery(store, http, clock, holder="survivor")
    assert await worker.run_once() == 0 and siem.requests == []
    clock.advance(119)
    assert await worker.run_once() == 0
    clock.advance(2)
    assert await worker.run_once() == 2


async def test_a_webhook_without_a_secret_is_not_called_and_the_problem_recorded(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    unsigned = add_environment(store, firm.organisation_id, "Staging", siem_url="https://unsigned.example.test/")
    add_events(store, firm, unsigned, 1)
    add_events(store, firm, firm.with_siem, 1)
    assert await delivery(store, http, clock).run_once() == 1
    [event] = events(store, firm, unsigned)
    assert "no signing secret" in (event.last_error or "") and event.delivered_at is None
    assert as_utc(event.next_attempt_at) == clock.now + timedelta(hours=1)
    assert siem.ids() == ["evt_2"]


async def test_neither_the_secret_nor_the_signature_is_logged(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    def echo(request: httpx2.Request) -> httpx2.Response:
        signature = request.headers["webhook-signature"]
        return httpx2.Response(500, text=f"{signature} {signature[3:]} {SIEM_SECRET} {SIEM_SECRET[6:]} {request.headers}")

    caplog.set_level(logging.DEBUG)
    add_events(store, firm, firm.with_siem, 1)
    siem.respond = echo
    await delivery(store, http, clock).run_once()

    signature = siem.requests[0].headers["webhook-signature"]
    secret_body = SIEM_SECRET.removeprefix("whsec_")
    assert "was not delivered" in caplog.text
    for leaked in (secret_body, signature, signature.removeprefix("v1,")):
        assert leaked not in caplog.text
        assert leaked not in (events(store, firm, firm.with_siem)[0].last_error or "")


async def test_run_forever_delivers_until_stopped(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(delivery(store, http, clock).run_forever(stop, interval=0.01))
    add_events(store, firm, firm.with_siem, 2)
    for _ in range(500):
        if len(siem.requests) == 2:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert siem.ids() == ["evt_1", "evt_2"]


def test_the_app_delivers_in_the_background(database_url: str, siem: FakeSiem) -> None:
    key = SecretBox.generate_key()
    store = Store(make_engine(database_url), SecretBox(key))
    org = store.create_organisation("Harbour Legal", [])
    env = add_environment(store, org, "Production", siem_url=SIEM_URL, siem_secret=SIEM_SECRET)
    store.add_audit_event("sign_in", organisation_id=org, environment_id=env, actor="staff@firm.test")
    app = create_app(Settings(database_url=database_url, secret_keys=key), transport=httpx2.MockTransport(siem.handle))
    with TestClient(app):
        deadline = time.monotonic() + 5
        while not siem.requests and time.monotonic() < deadline:
            time.sleep(0.01)
    store.engine.dispose()
    assert siem.ids() == ["evt_1"]


async def test_a_portal_sign_in_refusal_reaches_the_environments_webhook(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    """User guide §9: a refusal is audited so the firm's SIEM hears of it, with who was refused and why."""
    store.set_organisation_access(
        firm.organisation_id, admin_roles=["system-administrator"], staff_roles=["matter-handler"],
        contact="IT desk, ext. 4321", actor="admin@firm.test",
    )
    production = store.environment(firm.organisation_id, firm.with_siem)
    assert production is not None
    with pytest.raises(PortalRefused) as refused:
        await PortalAccess(store).role(production, "visitor@firm.test", ("portal-user",))

    [event] = [e for e in events(store, firm, firm.with_siem) if e.type == "sign_in.refused"]

    await delivery(store, http, clock).run_once()

    [body] = [b for b in siem.bodies() if b["type"] == "pms_sync.sign_in.refused"]
    assert f"evt_{event.id}" in siem.ids() and body["data"]["id"] == event.id
    assert body["data"]["environment_id"] == firm.with_siem and body["data"]["actor"] == "visitor@firm.test"
    assert body["data"]["reason"] == str(refused.value) == refusal("IT desk, ext. 4321")
    assert body["data"]["why"] == "no staff role in Clio Operate" and body["data"]["method"] == "portal"
    assert all(verify(SIEM_SECRET, r) for r in siem.requests if str(r.url) == SIEM_URL)
