"""Organisation-level audit events (no environment: members, roles, sign-ins outside Clio Operate
and their refusals) reach every SIEM webhook of the organisation, once each, in id order with each
environment's own events; one webhook's outage holds back no other. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import httpx2
import pytest
from sqlmodel import Session, select

from clients.remote_clients import RemoteClients
from plugin.audit_delivery import AuditDelivery
from store.environments import EnvironmentStore
from store.members import MemberStore
from store.models import AuditEvent, OrganisationAuditDelivery
from store.outbox import Outbox
from store.repository import Store
from tests.audit.conftest import (  # noqa: F401
    OTHER_SIEM_SECRET,
    OTHER_SIEM_URL,
    SIEM_SECRET,
    SIEM_URL,
    Clock,
    FakeSiem,
    Firm,
    add_environment,
    add_events,
    clock,
    firm,
    http,
    siem,
    verify,
)


def worker(store: Store, http: httpx2.AsyncClient, clock: Clock) -> AuditDelivery:
    return AuditDelivery(store, RemoteClients(http), holder="replica-a", clock=clock, jitter=lambda ceiling: ceiling)


def organisation_event(store: Store, firm: Firm, type: str = "member.added") -> None:
    store.add_audit_event(type, organisation_id=firm.organisation_id, actor="admin@firm.test", data={"email": "new@firm.test"})


def types(siem: FakeSiem, url: str = SIEM_URL) -> list[str]:
    return [body["data"]["event"] for body in siem.bodies(url)]


async def test_an_organisation_event_reaches_every_webhook_once_in_id_order(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    add_events(store, firm, firm.with_siem, 1, type="import.started")  # 1
    organisation_event(store, firm)  # 2
    add_events(store, firm, firm.other_siem, 1, type="import.started")  # 3
    add_events(store, firm, firm.with_siem, 1, type="import.succeeded")  # 4

    assert await worker(store, http, clock).run_once() == 5
    assert await worker(store, http, clock).run_once() == 0, "nothing twice"

    assert siem.ids(SIEM_URL) == ["evt_1", "evt_2", "evt_4"]
    assert siem.ids(OTHER_SIEM_URL) == ["evt_2", "evt_3"]
    assert types(siem) == ["import.started", "member.added", "import.succeeded"]
    [body] = [b for b in siem.bodies(OTHER_SIEM_URL) if b["data"]["id"] == 2]
    assert body["type"] == "pms_sync.member.added" and body["data"]["environment_id"] is None
    assert body["data"]["organisation_id"] == firm.organisation_id and body["data"]["email"] == "new@firm.test"
    for request in siem.requests:
        assert verify(SIEM_SECRET if str(request.url) == SIEM_URL else OTHER_SIEM_SECRET, request)
    [event] = [e for e in store.audit_events(firm.organisation_id) if e.id == 2]
    assert event.delivered_at is None, "an organisation event's progress is kept per webhook, not on the event"


async def test_one_webhook_down_holds_back_only_itself_and_retries_with_the_same_id(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    organisation_event(store, firm, "member.added")  # 1
    organisation_event(store, firm, "member.role_changed")  # 2
    siem.respond = lambda request: httpx2.Response(503 if str(request.url) == SIEM_URL else 204)
    delivery = worker(store, http, clock)

    assert await delivery.run_once() == 2  # both to the other webhook; none to the one that is down
    assert siem.ids(OTHER_SIEM_URL) == ["evt_1", "evt_2"] and siem.ids(SIEM_URL) == ["evt_1"]
    [progress] = _progress(store, firm.with_siem)
    assert (progress.event_id, progress.delivery_attempts, progress.delivered_at) == (1, 1, None)
    assert "HTTP 503" in (progress.last_error or "")

    assert await delivery.run_once() == 0, "not due yet"
    clock.advance(2)
    siem.respond = None
    assert await delivery.run_once() == 2

    assert siem.ids(SIEM_URL) == ["evt_1", "evt_1", "evt_2"], "the retry keeps its webhook-id, and the order"
    assert siem.ids(OTHER_SIEM_URL) == ["evt_1", "evt_2"], "the healthy webhook got each event once"
    assert all(p.delivered_at is not None for p in _progress(store, firm.with_siem))


async def test_environments_sharing_a_webhook_get_each_organisation_event_once(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    shared = add_environment(store, firm.organisation_id, "Staging", siem_url=SIEM_URL, siem_secret=SIEM_SECRET)
    organisation_event(store, firm)  # 1
    add_events(store, firm, shared, 1)  # 2: Staging's own event, to the same webhook

    assert await worker(store, http, clock).run_once() == 3
    assert sorted(siem.ids(SIEM_URL)) == ["evt_1", "evt_2"], "the organisation event once (two streams: any order)"
    assert siem.ids(OTHER_SIEM_URL) == ["evt_1"]


async def test_a_removed_environments_webhook_gets_no_more_organisation_events(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    EnvironmentStore(store.engine, store.secrets).remove(firm.organisation_id, firm.other_siem, "admin@firm.test")
    organisation_event(store, firm)

    await worker(store, http, clock).run_once()

    assert types(siem, OTHER_SIEM_URL) == [] and types(siem) == ["member.added"]


async def test_members_and_their_refusals_are_organisation_events_the_siem_receives(
    store: Store, firm: Firm, http: httpx2.AsyncClient, siem: FakeSiem, clock: Clock
) -> None:
    MemberStore(store.engine).add(firm.organisation_id, "new@firm.test", "New Person", "staff", actor="admin@firm.test")
    store.add_audit_event("sign_in.refused", organisation_id=firm.organisation_id, actor="stranger@elsewhere.test", data={"reason": "not a member"})

    await worker(store, http, clock).run_once()

    assert types(siem)[-1] == "sign_in.refused" and len(types(siem)) >= 2
    assert types(siem) == types(siem, OTHER_SIEM_URL)


def test_an_organisation_event_and_an_environment_event_commit_in_id_order(store: Store, firm: Firm) -> None:
    """An environment's event waits for an earlier, uncommitted organisation-level event (both go
    to its webhook); events of two environments still do not wait for each other."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: nothing to order (run with PMS_SYNC_TEST_DATABASE_URL)")

    def event(name: str, environment_id: int | None) -> AuditEvent:
        return AuditEvent(type=name, organisation_id=firm.organisation_id, environment_id=environment_id)

    production = Session(store.engine)
    production.add(event("production's", firm.with_siem))
    production.flush()
    other = Session(store.engine)  # another environment's writer does not wait for Production's
    other.add(event("training's", firm.other_siem))
    other.commit()
    other.close()

    organisation_done = threading.Event()

    def write_organisation_event() -> None:
        with Session(store.engine) as session:
            session.add(event("member.added", None))
            session.commit()
        organisation_done.set()

    writer = threading.Thread(target=write_organisation_event)
    writer.start()
    assert not organisation_done.wait(0.5), "the organisation event committed while an earlier environment event was open"
    production.commit()
    production.close()
    writer.join(5)
    assert organisation_done.is_set()

    first = Session(store.engine)
    first.add(event("member.removed", None))
    first.flush()  # an organisation event's id is taken, not yet committed
    later_done = threading.Event()

    def write_environment_event() -> None:
        with Session(store.engine) as session:
            session.add(event("import.started", firm.other_siem))
            session.commit()
        later_done.set()

    writer = threading.Thread(target=write_environment_event)
    writer.start()
    assert not later_done.wait(0.5), "an environment event committed while an earlier organisation event was open"
    first.commit()
    first.close()
    writer.join(5)
    assert later_done.is_set()
    pending = [e.event.type for e in Outbox(store.engine).pending_events(firm.other_siem, 10)]
    assert pending == ["training's", "member.added", "member.removed", "import.started"]


def _progress(store: Store, environment_id: int) -> list[OrganisationAuditDelivery]:
    with Session(store.engine) as session:
        query = select(OrganisationAuditDelivery).where(OrganisationAuditDelivery.environment_id == environment_id)
        return sorted(session.exec(query).all(), key=lambda row: row.event_id)

