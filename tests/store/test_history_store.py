"""History's store: its filters (environment or all, outcome, matter, user, time range), scoped by
organisation; people's display names; the organisation's time zone, audited."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect
from sqlmodel import Session

from store.models import AuditEvent, ImportAttempt
from store.repository import Store
from tests.store.test_store import make_env


def attempt(store: Store, org: int, env: int, matter: str, user: str, outcome: str, started: datetime) -> int:
    with Session(store.engine) as session:
        row = ImportAttempt(
            organisation_id=org, environment_id=env, matter_number=matter, user_name=user, outcome=outcome,
            started_at=started, finished_at=started,
        )
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=UTC)


def test_history_filters_by_user_and_time_range_within_the_organisation(store: Store) -> None:
    org, other = store.create_organisation("Firm", []), store.create_organisation("Other firm", [])
    prod, uat, elsewhere = make_env(store, org), make_env(store, org, "UAT"), make_env(store, other)
    ada_1 = attempt(store, org, prod, "82001", "ada@firm.test", "imported", at(1))
    bob_2 = attempt(store, org, prod, "82002", "bob@firm.test", "failed", at(2))
    ada_uat = attempt(store, org, uat, "82003", "ada@firm.test", "refused", at(3))
    attempt(store, other, elsewhere, "82001", "ada@firm.test", "imported", at(2))

    def ids(**filters: object) -> list[int]:
        return [row.id for row in store.imports.history(org, **filters)]  # type: ignore[misc, arg-type]

    assert ids(environment_id=prod) == [bob_2, ada_1]
    assert ids() == [ada_uat, bob_2, ada_1], "no environment: all of the organisation's, none of another's"
    assert ids(user_name="ada@firm.test") == [ada_uat, ada_1]
    assert ids(environment_id=prod, user_name="ada@firm.test") == [ada_1]
    assert ids(started_from=at(2, 0)) == [ada_uat, bob_2]
    assert ids(started_before=at(2, 0)) == [ada_1]
    assert ids(started_from=at(2, 0), started_before=at(3, 0)) == [bob_2]
    assert ids(started_from=at(2, 0), started_before=at(3, 0), outcome="imported") == []
    assert store.imports.history_users(org) == ["ada@firm.test", "bob@firm.test"]
    assert store.imports.history_users(org, uat) == ["ada@firm.test"]
    assert store.imports.history_users(other) == ["ada@firm.test"]


def test_history_filters_have_composite_indexes(store: Store) -> None:
    indexes = {i["name"]: i["column_names"] for i in inspect(store.engine).get_indexes("importattempt")}
    assert indexes["ix_importattempt_org_env_id"] == ["organisation_id", "environment_id", "id"]
    assert indexes["ix_importattempt_org_env_outcome_id"] == ["organisation_id", "environment_id", "outcome", "id"]
    assert indexes["ix_importattempt_org_env_matter_id"] == ["organisation_id", "environment_id", "matter_number", "id"]
    assert indexes["ix_importattempt_org_env_user_id"] == ["organisation_id", "environment_id", "user_name", "id"]
    assert indexes["ix_importattempt_org_id"] == ["organisation_id", "id"]


def test_display_names_are_remembered_per_organisation_and_follow_the_latest_sign_in(store: Store) -> None:
    org, other = store.create_organisation("Firm", []), store.create_organisation("Other firm", [])
    store.people.remember(org, "ada@firm.test", "Ada Lovelace")
    store.people.remember(other, "ada@firm.test", "Someone Else")
    store.people.remember(org, "bob@firm.test", "  ")  # no name to remember
    assert store.people.display_names(org, ["ada@firm.test", "bob@firm.test"]) == {"ada@firm.test": "Ada Lovelace"}
    store.people.remember(org, "ada@firm.test", "Ada King")
    assert store.people.display_names(org, ["ada@firm.test"]) == {"ada@firm.test": "Ada King"}
    assert store.people.display_names(other, ["ada@firm.test"]) == {"ada@firm.test": "Someone Else"}
    assert store.people.display_names(org, []) == {}


def test_the_time_zone_is_per_organisation_utc_by_default_and_audited(store: Store) -> None:
    org, other = store.create_organisation("Firm", []), store.create_organisation("Other firm", [])
    assert store.time_zone(org) == "UTC"
    assert store.set_time_zone(org, "Australia/Sydney", actor="admin@firm.test") is True
    assert store.set_time_zone(org, "Australia/Sydney", actor="admin@firm.test") is False, "unchanged: not audited again"
    assert (store.time_zone(org), store.time_zone(other)) == ("Australia/Sydney", "UTC")
    events = [e for e in store.audit_events(org) if e.type == "organisation.changed"]
    assert [(e.actor, e.data) for e in events] == [
        ("admin@firm.test", {"field": "time_zone", "old": "UTC", "new": "Australia/Sydney"})
    ]
    with Session(store.engine) as session:
        assert session.get(AuditEvent, events[0].id).environment_id is None  # type: ignore[union-attr]
