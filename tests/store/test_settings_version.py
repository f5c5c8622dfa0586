"""Every write of an organisation's settings raises its settings version in the same transaction,
so each replica's settings cache (plugin/settings_cache.py) sees it on its next request."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from store.environments import EnvironmentValues
from store.repository import Store
from tests.environments import save_environment

ROLES = {"matter-litigation": [{"systemName": "reader", "allowedParticipantTypes": ["team"]}]}
NAMES = {"matter-litigation": {"name": "Litigation", "isAbstract": False}}


@pytest.fixture
def organisation(store: Store) -> tuple[int, int]:
    """An organisation with one environment (the first settings save): (organisation id, environment id)."""
    org = store.create_organisation("Firm", ["system-administrator"])
    env = save_environment(
        store, org, "Production", identity_url="https://id.example.test", api_url="https://api.example.test",
        client_id="c", client_secret="s", agent_url="https://agent.example.test", agent_key="k", is_default=True,
    )
    return org, env


SAVES: dict[str, Callable[[Store, int, int], object]] = {
    "Connections: add an environment": lambda s, o, e: s.connections.add(
        o, EnvironmentValues("UAT", "https://uat-id.example.test", "https://uat.example.test"), "admin"),
    "Connections: change an environment": lambda s, o, e: s.connections.update(
        o, e, EnvironmentValues("Production", "https://id.example.test", "https://api.example.test", client_id="c2"), "admin"),
    "Connections: remove an environment": lambda s, o, e: s.connections.remove(o, e, "admin"),
    "Connections: choose the default": lambda s, o, e: s.connections.set_default(
        o, s.connections.add(o, EnvironmentValues("UAT", "https://uat-id.example.test", "https://uat.example.test"), "admin"), "admin"),
    "Mapping: save": lambda s, o, e: s.mappings.save(o, e, {"k": 1}, author="admin", note="", event="mapping.saved"),
    "Teams: add": lambda s, o, e: s.teams.add(
        o, e, work_type="*", team_id="t1", team_name="Team", role="reader", actor="admin"),
    "Teams: add (the demo, not audited)": lambda s, o, e: s.teams.add(
        o, e, work_type="*", team_id="t1", team_name="Team", role="reader", actor="demo set-up", audited=False),
    "Roles: load": lambda s, o, e: s.work_type_roles.load(o, e, ROLES, source="roles.json", actor="admin"),
    "Roles: load (the demo, not audited)": lambda s, o, e: s.work_type_roles.load(
        o, e, ROLES, source="roles.json", actor="demo set-up", audited=False),
    "Work type names: load": lambda s, o, e: s.work_type_names.load(o, e, NAMES, source="types.json", actor="admin"),
    "Work type names: load (the demo, not audited)": lambda s, o, e: s.work_type_names.load(
        o, e, NAMES, source="types.json", actor="demo set-up", audited=False),
}


@pytest.mark.parametrize("save", SAVES.values(), ids=SAVES.keys())
def test_each_settings_save_raises_the_version_once(store: Store, organisation: tuple[int, int], save) -> None:  # type: ignore[no-untyped-def]
    org, env = organisation
    before = store.settings_version(org)
    save(store, org, env)
    after = store.settings_version(org)
    assert before is not None and after is not None and after > before


def test_removing_a_team_or_roles_raises_it_too(store: Store, organisation: tuple[int, int]) -> None:
    org, env = organisation
    team = store.teams.add(org, env, work_type="*", team_id="t1", team_name="Team", role="reader", actor="admin")
    store.work_type_roles.load(org, env, ROLES, source="roles.json", actor="admin")
    assert team is not None and team.id is not None
    before = store.settings_version(org)
    store.teams.remove(org, env, team.id, actor="admin")
    store.work_type_roles.remove(org, env, "matter-litigation", actor="admin")
    assert store.settings_version(org) == (before or 0) + 2


def test_a_save_that_changes_nothing_leaves_it_and_other_organisations_keep_theirs(store: Store, organisation: tuple[int, int]) -> None:
    org, env = organisation
    other = store.create_organisation("Other firm", [])
    values = EnvironmentValues("Production", "https://id.example.test", "https://api.example.test", client_id="c",
                               agent_url="https://agent.example.test")
    store.connections.update(org, env, values, "admin")
    mine, theirs = store.settings_version(org), store.settings_version(other)
    assert store.connections.update(org, env, values, "admin") == 0
    store.mappings.save(org, env, {"k": 1}, author="admin", note="", event="mapping.saved")
    assert store.settings_version(org) == (mine or 0) + 1 and store.settings_version(other) == theirs == 0
    assert store.settings_version(other + 1) is None
