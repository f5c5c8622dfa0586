"""The world of a use-case test: a real store, a fake agent and a fake Clio Operate."""

from __future__ import annotations

import pytest

from plugin.services import Services
from store.repository import Store
from store.work_type_roles import WorkTypeRolesStore
from tests.environments import save_environment
from tests.plugin.fakes import ROLES, FakeAgent, FakeClio, FakeConnections

WORK_TYPES = ("matter-litigation", "matter-commercial", "matter-property", "matter-private-client-general")


@pytest.fixture
def world(store: Store):  # type: ignore[no-untyped-def]
    org = store.create_organisation("Firm", ["system-administrator"])
    env_id = save_environment(
        store, org, "Production", identity_url="https://firm-identity.example.test", api_url="https://firm.example.test",
        client_id="c", client_secret="s", agent_url="https://agent.example.test", agent_key="k", is_default=True,
    )
    loaded = {work_type: ROLES for work_type in WORK_TYPES}
    WorkTypeRolesStore(store.engine).load(org, env_id, loaded, source="participant-roles.json", actor="admin@firm.test")
    agent, clio = FakeAgent(), FakeClio()
    services = Services(store, FakeConnections(agent, clio))  # type: ignore[arg-type]
    env = store.environment(org, env_id)
    assert env is not None
    return services, env, agent, clio
