"""Every administrator write commits its audit event in the same transaction as its change: when
the audit insert fails, nothing of the change is left; when it succeeds, both are there."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlmodel import SQLModel

from store.environments import EnvironmentValues
from store.models import AuditEvent
from store.repository import Store
from store.schedules import ScheduleSettings
from tests.environments import save_environment

ROLES = {"matter-litigation": [{"systemName": "reader", "allowedParticipantTypes": ["team"]}]}
NAMES = {"matter-litigation": {"name": "Litigation", "isAbstract": False}}


class AuditRefused(Exception):
    """The audit insert failed (forced by the test)."""


class Firm:
    """An organisation with two environments, members, a default team and loaded roles to change."""

    def __init__(self, store: Store) -> None:
        self.org = store.create_organisation("Firm", ["system-administrator"])
        self.env = save_environment(
            store, self.org, "Production", identity_url="https://id.example.test", api_url="https://api.example.test",
            client_id="c", client_secret="s", agent_url="https://agent.example.test", agent_key="k", is_default=True,
        )
        self.uat = store.connections.add(
            self.org, EnvironmentValues("UAT", "https://uat-id.example.test", "https://uat.example.test"), "set-up"
        )
        store.members.add(self.org, "ada@example.test", "Ada", "administrator", actor="set-up")
        self.staff = store.members.add(self.org, "bob@example.test", "Bob", "staff", actor="set-up").id
        team = store.teams.add(self.org, self.env, work_type="*", team_id="t1", team_name="Team", role="reader", actor="set-up")
        assert team is not None
        self.team = team.id
        store.work_type_roles.load(self.org, self.env, ROLES, source="roles.json", actor="set-up")


WRITES: dict[str, Callable[[Store, Firm], object]] = {
    "connections: add": lambda s, f: s.connections.add(
        f.org, EnvironmentValues("Test", "https://test-id.example.test", "https://test.example.test"), "admin"),
    "connections: change": lambda s, f: s.connections.update(
        f.org, f.env, EnvironmentValues("Production", "https://id.example.test", "https://api.example.test", client_id="c2"),
        "admin"),
    "connections: remove": lambda s, f: s.connections.remove(f.org, f.env, "admin"),
    "connections: choose the default": lambda s, f: s.connections.set_default(f.org, f.uat, "admin"),
    "mapping: save": lambda s, f: s.mappings.save(f.org, f.env, {"k": 1}, author="admin", note="", event="mapping.saved"),
    "default teams: add": lambda s, f: s.teams.add(
        f.org, f.env, work_type="matter-litigation", team_id="t2", team_name="Risk", role="reader", actor="admin"),
    "default teams: remove": lambda s, f: s.teams.remove(f.org, f.env, f.team, actor="admin"),
    "members: add": lambda s, f: s.members.add(f.org, "cy@example.test", "Cy", "staff", actor="admin"),
    "members: change the role": lambda s, f: s.members.set_role(f.org, f.staff, "administrator", actor="admin"),
    "members: remove": lambda s, f: s.members.remove(f.org, f.staff, actor="admin"),
    "organisation: access": lambda s, f: s.set_organisation_access(
        f.org, admin_roles=["owner"], staff_roles=["clerk"], contact="it@example.test", actor="admin"),
    "organisation: time zone": lambda s, f: s.set_time_zone(f.org, "Australia/Sydney", actor="admin"),
    "schedules: save": lambda s, f: s.schedules.save(
        ScheduleSettings(f.org, f.env, enabled=True, interval_minutes=30), actor="admin", teams_webhook="https://teams.example.test/hook"),
    "participant roles: load": lambda s, f: s.work_type_roles.load(
        f.org, f.env, {"matter-commercial": ROLES["matter-litigation"]}, source="roles.json", actor="admin"),
    "participant roles: remove": lambda s, f: s.work_type_roles.remove(f.org, f.env, "matter-litigation", actor="admin"),
    "work type names: load": lambda s, f: s.work_type_names.load(f.org, f.env, NAMES, source="types.json", actor="admin"),
}


def _rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the audit events, by table."""
    with store.engine.connect() as connection:
        return {
            table.name: sorted(map(tuple, connection.execute(select(table)).all()), key=repr)
            for table in SQLModel.metadata.sorted_tables
            if table.name != AuditEvent.__tablename__
        }


def _audit_count(store: Store) -> int:
    with store.engine.connect() as connection:
        return len(connection.execute(select(AuditEvent.__table__.c.id)).all())  # type: ignore[attr-defined]


@pytest.fixture
def refused_audit() -> Iterator[None]:
    def refuse(*_: object) -> None:
        raise AuditRefused

    event.listen(AuditEvent, "before_insert", refuse)
    yield
    event.remove(AuditEvent, "before_insert", refuse)


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_failed_audit_insert_leaves_no_change(store: Store, write: Callable[[Store, Firm], object], request: pytest.FixtureRequest) -> None:
    firm = Firm(store)
    rows, events = _rows(store), _audit_count(store)
    request.getfixturevalue("refused_audit")
    with pytest.raises(AuditRefused):
        write(store, firm)
    assert _rows(store) == rows
    assert _audit_count(store) == events


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_write_that_succeeds_leaves_its_change_and_its_event(store: Store, write: Callable[[Store, Firm], object]) -> None:
    firm = Firm(store)
    rows, events = _rows(store), _audit_count(store)
    write(store, firm)
    assert _rows(store) != rows
    assert _audit_count(store) > events
