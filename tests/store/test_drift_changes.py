"""Changes from Aderant applied to a work item (migration 0023): claimed once, taken over after a
failure or an abandoned request, recorded with the baseline moved on, History and the audit trail."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from store.drift_changes import ChangeToApply
from store.models import AuditEvent, ImportAttempt
from store.repository import Store
from tests.store.test_import_baselines import imported
from tests.store.test_store import make_env

LEASE = timedelta(minutes=1)


def title_change(store: Store) -> ChangeToApply:
    org = store.create_organisation("Firm", [])
    env = make_env(store, org)
    imported(store, org, env, "82001", {"title": "digest-a"})
    [record] = store.imports.baselines(org, env)
    return ChangeToApply(org, env, record.import_id, record.matter_uno, "82001", record.work_item_id, "title", "digest-a", "digest-b", "k1", "admin@firm.test")


def still(data: dict | None) -> bool:
    return data is not None and data["title"] == "digest-a"


def test_a_change_is_claimed_once_and_taken_over_only_after_a_failure(store: Store) -> None:
    change = title_change(store)
    changes = store.drift_changes

    first = changes.claim(change, LEASE, still)
    second = changes.claim(change, LEASE, still)
    assert (first.kind, second.kind) == ("claimed", "in_progress")

    changes.failed(change, first, "Clio Operate answered 503", {"drift": {"field": "title"}})
    retry = changes.claim(change, LEASE, still)
    assert retry.kind == "claimed" and retry.change_id == first.change_id

    attempt_id = changes.applied(change, retry, lambda data: {**(data or {}), "title": "digest-b"}, {"drift": {"field": "title"}})
    assert changes.claim(change, LEASE, still).kind == "applied"
    [record] = store.imports.baselines(change.organisation_id, change.environment_id)
    assert record.baseline == {"title": "digest-b"}
    with Session(store.engine) as session:
        attempts = session.exec(select(ImportAttempt).where(ImportAttempt.trigger == "drift").order_by(ImportAttempt.id)).all()
        events = session.exec(select(AuditEvent).where(AuditEvent.type.startswith("drift."))).all()  # type: ignore[attr-defined]
    assert [(a.outcome, a.error) for a in attempts] == [("failed", "Clio Operate answered 503"), ("updated", None)]
    assert attempts[-1].id == attempt_id
    assert sorted((e.type, e.data["before"], e.data["after"]) for e in events) == [
        ("drift.applied", "digest-a", "digest-b"), ("drift.failed", "digest-a", "digest-b"),
    ]


def test_an_abandoned_claim_is_taken_over_after_its_lease(store: Store) -> None:
    change = title_change(store)
    store.drift_changes.claim(change, timedelta(seconds=-1), still)

    assert store.drift_changes.claim(change, LEASE, still).kind == "claimed"


def test_the_same_change_once_more_after_aderant_changed_back_is_claimed_again(store: Store) -> None:
    change = title_change(store)
    claim = store.drift_changes.claim(change, LEASE, still)
    store.drift_changes.applied(change, claim, lambda data: {"title": "digest-a"}, {})  # as if changed back since

    assert store.drift_changes.claim(change, LEASE, still).kind == "claimed"
