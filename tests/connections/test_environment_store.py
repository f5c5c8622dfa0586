"""EnvironmentStore: each change and its audit events are written together, or not at all."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from store.environments import EnvironmentConflict, EnvironmentRef, EnvironmentStore, EnvironmentValues
from store.repository import SessionRecord, Store

ACTOR = "admin@firm.example"


def values(name: str = "Production", **changes: object) -> EnvironmentValues:
    base = EnvironmentValues(
        name=name, identity_url=f"https://{name.lower()}-identity.example", api_url=f"https://{name.lower()}.example"
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def environments(store: Store) -> EnvironmentStore:
    return EnvironmentStore(store.engine, store.secrets)


@pytest.fixture
def organisation(store: Store) -> int:
    return store.create_organisation("Firm", ["system-administrator"])


def events(store: Store, organisation: int) -> list[tuple[str, int | None, dict]]:
    return [(e.type, e.environment_id, e.data) for e in reversed(store.audit_events(organisation))]


def test_the_first_environment_added_is_the_default(
    store: Store, environments: EnvironmentStore, organisation: int
) -> None:
    first = environments.add(organisation, values(), ACTOR)
    second = environments.add(organisation, values("UAT"), ACTOR)

    assert [(e.id, e.is_default) for e in store.environments(organisation)] == [(first, True), (second, False)]
    assert (
        "environment.changed",
        first,
        {"environment": "Production", "field": "is_default", "from": False, "to": True},
    ) in events(store, organisation)
    assert all(data.get("field") != "is_default" for _, env, data in events(store, organisation) if env == second)


def test_secrets_are_set_replaced_and_cleared_without_their_values(
    store: Store, environments: EnvironmentStore, organisation: int
) -> None:
    env_id = environments.add(organisation, values(secrets={"agent_key": "k1"}), ACTOR)
    before = len(events(store, organisation))

    assert (
        environments.update(organisation, env_id, values(secrets={"agent_key": "k2", "siem_secret": None}), ACTOR) == 1
    )
    assert (
        environments.update(organisation, env_id, values(secrets={"agent_key": None, "client_secret": "c"}), ACTOR) == 2
    )
    assert environments.update(organisation, env_id, values(), ACTOR) == 0

    env = store.environment(organisation, env_id)
    assert env is not None and (env.agent_key, env.client_secret) == (None, "c")
    assert [data for _, _, data in events(store, organisation)[before:]] == [
        {"environment": "Production", "field": "agent_key", "change": "replaced"},
        {"environment": "Production", "field": "agent_key", "change": "cleared"},
        {"environment": "Production", "field": "client_secret", "change": "set"},
    ]


def test_a_conflicting_change_writes_neither_the_change_nor_its_events(
    store: Store, environments: EnvironmentStore, organisation: int
) -> None:
    environments.add(organisation, values(), ACTOR)
    uat = environments.add(organisation, values("UAT"), ACTOR)
    before = events(store, organisation)

    with pytest.raises(EnvironmentConflict):
        environments.update(
            organisation, uat, values("UAT", identity_url="https://production-identity.example/", client_id="x"), ACTOR
        )
    with pytest.raises(EnvironmentConflict):
        environments.add(organisation, values("Production", identity_url="https://other-identity.example"), ACTOR)

    env = store.environment(organisation, uat)
    assert env is not None and (env.identity_url, env.client_id) == ("https://uat-identity.example", "")
    assert events(store, organisation) == before


def test_removing_the_default_passes_it_to_the_oldest_left(
    store: Store, environments: EnvironmentStore, organisation: int
) -> None:
    production = environments.add(organisation, values(), ACTOR)
    environments.add(organisation, values("UAT"), ACTOR)
    training = environments.add(organisation, values("Training"), ACTOR)
    assert environments.set_default(organisation, training, ACTOR)

    assert environments.remove(organisation, training, ACTOR)

    assert [(e.name, e.is_default) for e in store.environments(organisation)] == [("Production", True), ("UAT", False)]
    assert events(store, organisation)[-2:] == [
        ("environment.removed", training, {"environment": "Training"}),
        (
            "environment.changed",
            production,
            {"environment": "Production", "field": "is_default", "from": False, "to": True},
        ),
    ]
    assert not environments.remove(organisation, training, ACTOR)  # already removed
    assert not environments.set_default(organisation, training, ACTOR)
    assert environments.update(organisation, training, values("Training"), ACTOR) is None


def test_every_change_is_scoped_by_organisation(
    store: Store, environments: EnvironmentStore, organisation: int
) -> None:
    env_id = environments.add(organisation, values(), ACTOR)
    other = store.create_organisation("Another firm", [])

    assert environments.update(other, env_id, values(client_id="stolen"), ACTOR) is None
    assert not environments.set_default(other, env_id, ACTOR)
    assert not environments.remove(other, env_id, ACTOR)
    env = store.environment(organisation, env_id)
    assert env is not None and env.client_id == "" and not env.removed


def test_who_holds_a_name_or_an_identity_url(store: Store, environments: EnvironmentStore, organisation: int) -> None:
    production = environments.add(organisation, values(), ACTOR)
    uat = environments.add(organisation, values("UAT"), ACTOR)
    environments.remove(organisation, uat, ACTOR)
    other = store.create_organisation("Another firm", [])

    assert environments.environment_named(organisation, "production") == EnvironmentRef(organisation, production, "Production")
    assert environments.environment_named(organisation, "UAT") is None, "a removed environment gives its name up"
    assert environments.environment_named(other, "Production") is None
    assert environments.environment_with_identity_url(" https://production-identity.example/ ") == EnvironmentRef(
        organisation, production, "Production"
    )
    assert environments.environment_with_identity_url("https://uat-identity.example") is None
    assert environments.environment_with_identity_url("https://nobody-identity.example") is None


def test_a_removed_environment_can_be_added_again_and_keeps_its_history(
    store: Store, environments: EnvironmentStore, organisation: int
) -> None:
    environments.add(organisation, values(), ACTOR)
    old = environments.add(organisation, values("UAT"), ACTOR)
    store.record_import(organisation, old, matter_uno="82003", matter_number="82003", work_item_id="wi-1", imported_by="a")
    assert environments.remove(organisation, old, ACTOR)

    new = environments.add(organisation, values("UAT"), ACTOR)  # the same name and the same tenant

    assert new != old and [e.name for e in store.environments(organisation)] == ["Production", "UAT"]
    assert store.imported_matters(organisation, old, ["82003"])["82003"].work_item_id == "wi-1"
    assert store.imported_matters(organisation, new, ["82003"]) == {}
    with pytest.raises(EnvironmentConflict):  # while in use, they are still one environment's
        environments.add(organisation, values("UAT", identity_url="https://elsewhere-identity.example"), ACTOR)
    with pytest.raises(EnvironmentConflict):
        environments.add(organisation, values("Training", identity_url="https://uat-identity.example"), ACTOR)


def test_changing_staff_or_administrator_roles_ends_the_organisations_portal_sessions(
    store: Store, environments: EnvironmentStore, organisation: int
) -> None:
    """Each portal user is let in again under the new roles; who saved stays, due to be decided
    again; sessions outside Clio Operate and other organisations' are left alone."""
    env_id = environments.add(organisation, values(), ACTOR)
    other = store.create_organisation("Other firm", [])
    now = datetime.now(UTC)

    def open_session(token: str, organisation_id: int, environment_id: int | None, user: str) -> None:
        record = SessionRecord(organisation_id, environment_id, user, user, user, "staff", token, now + timedelta(hours=8), checked_at=now)
        store.create_session(token, record)

    open_session("portal", organisation, env_id, "staff@firm.example")
    open_session("saver", organisation, env_id, ACTOR.upper())
    open_session("standalone", organisation, None, "member@firm.example")
    open_session("elsewhere", other, None, "staff@other.example")

    environments.update(organisation, env_id, values(siem_url="https://siem.firm.example"), ACTOR)
    assert store.session("portal") is not None, "a change of anything else ends no session"

    environments.update(organisation, env_id, values(siem_url="https://siem.firm.example", staff_roles=("pilot",)), ACTOR)
    assert store.session("portal") is None
    saver = store.session("saver")
    assert saver is not None and saver.checked_at is None
    assert store.session("standalone") is not None and store.session("elsewhere") is not None

    open_session("portal-2", organisation, env_id, "staff@firm.example")
    store.set_organisation_access(organisation, admin_roles=["firm-admin"], staff_roles=[], contact="", actor=ACTOR)
    assert store.session("portal-2") is None and store.session("saver") is not None
