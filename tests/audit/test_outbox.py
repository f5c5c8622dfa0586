"""Outbox queries and leases, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import text
from sqlmodel import Session

from store.leases import Leases
from store.models import AuditEvent
from store.outbox import Outbox, PendingEnvironment
from store.repository import Store
from tests.audit.conftest import Firm, add_events

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TTL = timedelta(seconds=60)


def ids(events) -> list[int]:  # type: ignore[no-untyped-def]
    return [e.id for e in events]


def test_pending_events_are_the_undelivered_ones_of_one_environment_in_order(store: Store, firm: Firm) -> None:
    add_events(store, firm, firm.with_siem, 2)
    add_events(store, firm, firm.other_siem, 1)
    add_events(store, firm, firm.with_siem, 2)
    outbox = Outbox(store.engine)
    assert ids(outbox.pending_events(firm.with_siem, 10)) == [1, 2, 4, 5]
    assert ids(outbox.pending_events(firm.with_siem, 3)) == [1, 2, 4]

    outbox.mark_delivered(1)
    assert ids(outbox.pending_events(firm.with_siem, 10)) == [2, 4, 5]
    assert ids(outbox.pending_events(firm.other_siem, 10)) == [3]


def test_a_failure_is_recorded_and_holds_back_the_environment_until_it_is_due(store: Store, firm: Firm) -> None:
    add_events(store, firm, firm.with_siem, 3)
    outbox = Outbox(store.engine)
    outbox.mark_failed(1, "SIEM is not reachable for Production: HTTP 500", NOW + timedelta(seconds=30))
    outbox.mark_failed(1, "SIEM is not reachable for Production: HTTP 503", NOW + timedelta(seconds=90))

    [first, *_] = outbox.pending_events(firm.with_siem, 10)
    assert first.attempts == 2
    assert first.last_error == "SIEM is not reachable for Production: HTTP 503"
    assert first.next_attempt_at is not None
    assert first.next_attempt_at.replace(tzinfo=first.next_attempt_at.tzinfo or UTC) == NOW + timedelta(seconds=90)

    # Events 2 and 3 have never failed, but they wait behind event 1.
    assert outbox.due_events(firm.with_siem, NOW + timedelta(seconds=89), 10) == []
    assert ids(outbox.due_events(firm.with_siem, NOW + timedelta(seconds=90), 10)) == [1, 2, 3]


def test_failure_messages_are_cut_to_the_column_size(store: Store, firm: Firm) -> None:
    add_events(store, firm, firm.with_siem, 1)
    outbox = Outbox(store.engine)
    outbox.mark_failed(1, "x" * 2000, NOW)
    assert outbox.pending_events(firm.with_siem, 1)[0].last_error == "x" * 500


def test_environments_with_pending_events_need_a_siem_url(store: Store, firm: Firm) -> None:
    outbox = Outbox(store.engine)
    assert outbox.environments_with_pending_events() == []
    add_events(store, firm, firm.without_siem, 2)
    store.add_audit_event("sign_in.refused", organisation_id=None)  # no organisation at all
    assert outbox.environments_with_pending_events() == []

    add_events(store, firm, firm.with_siem, 1)
    add_events(store, firm, firm.other_siem, 1)
    org = firm.organisation_id
    assert outbox.environments_with_pending_events() == [
        PendingEnvironment(org, firm.with_siem),
        PendingEnvironment(org, firm.other_siem),
    ]
    outbox.mark_delivered(ids(outbox.pending_events(firm.other_siem, 1))[0])
    assert outbox.environments_with_pending_events() == [PendingEnvironment(org, firm.with_siem)]


def test_environments_due_by_a_time_skip_those_whose_first_event_waits(store: Store, firm: Firm) -> None:
    add_events(store, firm, firm.with_siem, 2)
    add_events(store, firm, firm.other_siem, 1)
    outbox = Outbox(store.engine)
    outbox.mark_failed(1, "down", NOW + timedelta(minutes=5))
    outbox.mark_failed(2, "an old failure of an event that is not first", NOW + timedelta(hours=5))
    outbox.mark_failed(3, "down", NOW - timedelta(seconds=1))

    org = firm.organisation_id
    assert outbox.environments_with_pending_events(due_by=NOW) == [PendingEnvironment(org, firm.other_siem)]
    assert outbox.environments_with_pending_events(due_by=NOW + timedelta(minutes=5)) == [
        PendingEnvironment(org, firm.with_siem),
        PendingEnvironment(org, firm.other_siem),
    ]


def test_a_delivered_event_is_never_marked_failed_afterwards(store: Store, firm: Firm) -> None:
    add_events(store, firm, firm.with_siem, 1)
    outbox = Outbox(store.engine)
    outbox.mark_delivered(1, NOW)
    outbox.mark_failed(1, "late failure report", NOW)
    [event] = store.audit_events(firm.organisation_id)
    assert event.delivered_at is not None and event.delivery_attempts == 0 and event.last_error is None


def test_a_lease_has_one_holder_until_released(store: Store) -> None:
    leases = Leases(store.engine)
    assert leases.try_acquire("job", "a", TTL, now=NOW)
    assert not leases.try_acquire("job", "b", TTL, now=NOW)
    assert leases.try_acquire("job", "a", TTL, now=NOW + timedelta(seconds=30))  # renewal
    assert leases.try_acquire("other-job", "b", TTL, now=NOW)

    leases.release("job", "b")  # not the holder: no effect
    assert not leases.try_acquire("job", "b", TTL, now=NOW)
    leases.release("job", "a")
    assert leases.try_acquire("job", "b", TTL, now=NOW)


def test_an_expired_lease_can_be_taken_over(store: Store) -> None:
    leases = Leases(store.engine)
    assert leases.try_acquire("job", "a", TTL, now=NOW)
    assert leases.try_acquire("job", "a", TTL, now=NOW + timedelta(seconds=50))  # renewed until NOW + 110 s
    assert not leases.try_acquire("job", "b", TTL, now=NOW + timedelta(seconds=100))
    assert leases.try_acquire("job", "b", TTL, now=NOW + timedelta(seconds=111))
    assert not leases.try_acquire("job", "a", TTL, now=NOW + timedelta(seconds=112))


def test_concurrent_contenders_get_one_winner(store: Store) -> None:
    leases = Leases(store.engine)
    for round in range(5):
        name = f"contested-{round}"
        with ThreadPoolExecutor(8) as pool:
            won = list(pool.map(partial(leases.try_acquire, name, ttl=TTL, now=NOW), [f"h{i}" for i in range(8)]))
        assert won.count(True) == 1


def test_an_environments_events_commit_in_id_order(store: Store, firm: Firm) -> None:
    """A later event of an environment waits for an earlier, uncommitted one: the delivery worker
    never sees id N+1 committed while N may still appear."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: nothing to order (run with PMS_SYNC_TEST_DATABASE_URL)")

    def event(name: str, environment_id: int) -> AuditEvent:
        return AuditEvent(type=name, organisation_id=firm.organisation_id, environment_id=environment_id)

    first = Session(store.engine)
    first.add(event("first", firm.with_siem))
    first.flush()  # the earlier id is taken, not yet committed
    second_pid: list[int] = []
    second_done = threading.Event()

    def write_second() -> None:
        with Session(store.engine) as second:
            second_pid.append(second.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
            second.add(event("second", firm.with_siem))
            second.commit()
        second_done.set()

    writer = threading.Thread(target=write_second)
    writer.start()
    other_environment = Session(store.engine)  # another environment's events do not wait
    other_environment.add(event("elsewhere", firm.other_siem))
    other_environment.commit()
    other_environment.close()
    assert waits_for_a_lock(store, second_pid, second_done), "the later event went ahead while the earlier one was open"
    assert not second_done.is_set()
    first.commit()
    first.close()
    writer.join(5)
    assert second_done.is_set()
    pending = Outbox(store.engine).pending_events(firm.with_siem, 10)
    assert [e.event.type for e in pending] == ["first", "second"] and pending[0].id < pending[1].id


def waits_for_a_lock(store: Store, pid: list[int], done: threading.Event, timeout: float = 10.0) -> bool:
    """Whether the writer whose backend is ``pid[0]`` is seen waiting for an advisory lock (PostgreSQL's
    pg_locks) before it is ``done``; ``timeout`` only bounds a writer that never gets that far."""
    deadline = time.monotonic() + timeout
    with store.engine.connect() as watcher:
        while not done.is_set() and time.monotonic() < deadline:
            if pid and watcher.execute(
                text("SELECT count(*) FROM pg_locks WHERE pid = :pid AND locktype = 'advisory' AND NOT granted"),
                {"pid": pid[0]},
            ).scalar_one():
                return True
            watcher.rollback()  # a fresh snapshot of pg_locks
            time.sleep(0.01)
    return False
