"""Loaded participant roles: per organisation and environment, replaced per work type, audited."""

from __future__ import annotations

from datetime import UTC

from store.repository import Store
from store.work_type_roles import WorkTypeRolesStore
from tests.environments import events_after_set_up
from tests.store.test_store import make_env

READER = {"systemName": "reader", "name": "Reader", "isTeamRole": True, "isSecurityTeamRole": True, "allowedParticipantTypes": ["team"]}
CLIENT = {"systemName": "client", "name": "Client", "isTeamRole": False, "isSecurityTeamRole": False,
          "allowedParticipantTypes": [{"systemName": "organisation", "odsEntityTypeSystemName": "organisation"}]}


def test_roles_are_kept_per_environment_and_replaced_per_work_type(store: Store) -> None:
    roles = WorkTypeRolesStore(store.engine)
    firm, other = store.create_organisation("Firm", []), store.create_organisation("Other", [])
    production, uat, theirs = make_env(store, firm), make_env(store, firm, "UAT"), make_env(store, other)

    roles.load(firm, production, {"matter-litigation": [READER, CLIENT], "matter-commercial": [READER]},
               source="participant-roles.json", actor="admin@firm.test")
    roles.load(firm, uat, {"matter-litigation": [CLIENT]}, source="pasted text", actor="admin@firm.test")
    roles.load(firm, production, {"matter-litigation": [CLIENT]}, source="litigation.json", actor="ada@firm.test")

    loaded = {r.work_type: r for r in roles.all(firm, production)}
    assert list(loaded) == ["matter-commercial", "matter-litigation"]
    assert loaded["matter-litigation"].roles == [CLIENT], "loading a work type replaces its roles"
    assert (loaded["matter-litigation"].source, loaded["matter-litigation"].loaded_by) == ("litigation.json", "ada@firm.test")
    assert loaded["matter-commercial"].roles == [READER], "other work types keep theirs"
    assert loaded["matter-litigation"].loaded_at.replace(tzinfo=UTC) >= loaded["matter-commercial"].loaded_at.replace(tzinfo=UTC)
    assert [r.roles for r in roles.all(firm, uat)] == [[CLIENT]]
    assert roles.all(other, theirs) == [] and roles.all(other, production) == [], "scoped by organisation"

    events = [e for e in reversed(store.audit_events(firm)) if e.type.startswith("work_type_roles.")]
    assert [(e.type, e.environment_id, e.actor) for e in events] == [
        ("work_type_roles.loaded", production, "admin@firm.test"),
        ("work_type_roles.loaded", uat, "admin@firm.test"),
        ("work_type_roles.loaded", production, "ada@firm.test"),
    ]
    assert events[0].data == {
        "source": "participant-roles.json",
        "work_types": {"matter-commercial": ["reader"], "matter-litigation": ["reader", "client"]},
    }


def test_removing_a_work_types_roles_is_audited_and_only_in_its_environment(store: Store) -> None:
    roles = WorkTypeRolesStore(store.engine)
    firm, other = store.create_organisation("Firm", []), store.create_organisation("Other", [])
    production = make_env(store, firm)
    roles.load(firm, production, {"matter-litigation": [READER]}, source="x.json", actor="admin")

    assert roles.remove(other, production, "matter-litigation", actor="intruder") is None
    removed = roles.remove(firm, production, "matter-litigation", actor="admin")
    assert removed is not None and removed.work_type == "matter-litigation"
    assert roles.all(firm, production) == []
    assert roles.remove(firm, production, "matter-litigation", actor="admin") is None
    [event] = [e for e in store.audit_events(firm) if e.type == "work_type_roles.removed"]
    assert event.data == {"work_type": "matter-litigation", "source": "x.json"}


def test_a_set_up_outside_the_product_may_load_roles_without_an_audit_event(store: Store) -> None:
    roles = WorkTypeRolesStore(store.engine)
    firm = store.create_organisation("Firm", [])
    production = make_env(store, firm)
    roles.load(firm, production, {"matter-litigation": [READER]}, source="participant-roles.json", actor="demo set-up", audited=False)
    assert [r.work_type for r in roles.all(firm, production)] == ["matter-litigation"]
    assert events_after_set_up(store, firm) == []
