"""Loaded work type names: one tree per organisation and environment, replaced whole, audited."""

from __future__ import annotations

from store.repository import Store
from store.work_type_names import WorkTypeNamesStore
from tests.environments import events_after_set_up
from tests.store.test_store import make_env

LITIGATION = {"matter-litigation": {"name": "Litigation", "isAbstract": False}}
MATTER = {"matter": {"name": "Matter", "isAbstract": True}}


def test_names_are_kept_per_environment_replaced_whole_and_audited(store: Store) -> None:
    names = WorkTypeNamesStore(store.engine)
    firm, other = store.create_organisation("Firm", []), store.create_organisation("Other", [])
    production, uat, theirs = make_env(store, firm), make_env(store, firm, "UAT"), make_env(store, other)

    names.load(firm, production, {**MATTER, **LITIGATION}, source="sharedoTypes.json", actor="admin@firm.test")
    names.load(firm, uat, LITIGATION, source="pasted text", actor="admin@firm.test")
    names.load(firm, production, MATTER, source="types.json", actor="ada@firm.test")

    loaded = names.loaded(firm, production)
    assert loaded is not None and loaded.types == MATTER, "loading replaces the environment's names"
    assert (loaded.source, loaded.loaded_by) == ("types.json", "ada@firm.test")
    assert names.loaded(firm, uat).types == LITIGATION  # type: ignore[union-attr]
    assert names.loaded(other, theirs) is None and names.loaded(other, production) is None, "scoped by organisation"

    events = [e for e in reversed(store.audit_events(firm)) if e.type.startswith("work_type_names.")]
    assert [(e.type, e.environment_id, e.actor) for e in events] == [
        ("work_type_names.loaded", production, "admin@firm.test"),
        ("work_type_names.loaded", uat, "admin@firm.test"),
        ("work_type_names.loaded", production, "ada@firm.test"),
    ]
    assert events[0].data == {"source": "sharedoTypes.json", "work_types": {"matter": "Matter", "matter-litigation": "Litigation"}}


def test_a_set_up_outside_the_product_may_load_names_without_an_audit_event(store: Store) -> None:
    names = WorkTypeNamesStore(store.engine)
    firm = store.create_organisation("Firm", [])
    production = make_env(store, firm)
    names.load(firm, production, LITIGATION, source="work-types.json", actor="demo set-up", audited=False)
    assert names.loaded(firm, production).source == "work-types.json"  # type: ignore[union-attr]
    assert events_after_set_up(store, firm) == []
