"""The settings cache through the use cases: secrets decrypted once per settings version, the
mapping, teams and roles read once, and each organisation's settings kept apart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from plugin.errors import NotFound
from plugin.preview import preview_matter
from plugin.services import Services
from plugin.settings_cache import SettingsCache
from store.db import make_engine
from store.environments import EnvironmentStore, EnvironmentValues
from store.mappings import MappingStore
from store.repository import Store
from store.secrets import SecretBox
from store.work_type_roles import WorkTypeRolesStore
from tests.environments import save_environment
from tests.plugin.fakes import ROLES, FakeAgent, FakeClio, FakeConnections, matter, party

SECRETS_PER_ENVIRONMENT = 4  # client secret, agent key, relay key, SIEM secret (decrypted even when unset)


class CountingSecretBox(SecretBox):
    """A SecretBox that counts what it decrypts."""

    decrypted = 0

    def decrypt(self, ciphertext: str | None) -> str | None:
        self.decrypted += 1
        return super().decrypt(ciphertext)


@pytest.fixture
def box() -> CountingSecretBox:
    return CountingSecretBox(SecretBox.generate_key())


@pytest.fixture
def counted_store(database_url: str, box: CountingSecretBox) -> Iterator[Store]:
    store = Store(make_engine(database_url), box)
    yield store
    store.engine.dispose()


def firm(store: Store, name: str, team: str) -> int:
    """An organisation with one environment whose litigation matters get the default team `team`."""
    org = store.create_organisation(name, [])
    env = save_environment(
        store, org, "Production", identity_url=f"https://{name}-id.example.test", api_url=f"https://{name}.example.test",
        client_id="c", client_secret=f"{name}-secret", agent_url="https://agent.example.test", agent_key="k", is_default=True,
    )
    WorkTypeRolesStore(store.engine).load(org, env, {"matter-litigation": ROLES}, source="roles.json", actor="admin")
    store.teams.add(org, env, work_type="matter-litigation", team_id=f"{name}-team", team_name=team, role="reader", actor="admin")
    return org


@pytest.fixture
def services(counted_store: Store) -> Services:
    agent = FakeAgent({"82001": matter(parties=(party(90003, "Mary Citizen", role_code="WIT"),))})
    return Services(counted_store, FakeConnections(agent, FakeClio()))  # type: ignore[arg-type]


async def test_secrets_are_decrypted_once_per_settings_version(services: Services, box: CountingSecretBox) -> None:
    org = firm(services.store, "harbour", "Litigation – Sydney")
    for _ in range(3):
        env = await services.environment(org, None)
        preview = await preview_matter(services, env, "82001")
        assert env.client_secret == "harbour-secret" and [t.name for t in preview.teams] == ["Litigation – Sydney"]
    assert box.decrypted == SECRETS_PER_ENVIRONMENT

    MappingStore(services.store.engine).save(org, env.id, {"k": 1}, author="admin", note="", event="mapping.saved")
    await services.environment(org, None)
    await services.environment(org, None)
    assert box.decrypted == 2 * SECRETS_PER_ENVIRONMENT


async def test_a_save_is_used_by_the_next_call(services: Services) -> None:
    org = firm(services.store, "harbour", "Litigation – Sydney")
    env = await services.environment(org, None)
    assert [t.name for t in (await preview_matter(services, env, "82001")).teams] == ["Litigation – Sydney"]
    services.store.teams.add(org, env.id, work_type="*", team_id="t2", team_name="Risk", role="reader", actor="admin")
    values = EnvironmentValues(env.name, env.identity_url, env.api_url, client_id="c", agent_url=env.agent_url,
                               secrets={"client_secret": "rotated"})
    EnvironmentStore(services.store.engine, services.store.secrets).update(org, env.id, values, "admin")

    fresh = await services.environment(org, None)
    assert fresh.client_secret == "rotated"
    assert [t.name for t in (await preview_matter(services, fresh, "82001")).teams] == ["Litigation – Sydney", "Risk"]


async def test_each_organisation_sees_only_its_own_settings(services: Services, box: CountingSecretBox) -> None:
    harbour = firm(services.store, "harbour", "Litigation – Sydney")
    coastal = firm(services.store, "coastal", "Coastal Litigation")
    ours, theirs = await services.environment(harbour, None), await services.environment(coastal, None)
    assert [e.client_secret for e in await services.environments(harbour)] == ["harbour-secret"]
    assert [e.client_secret for e in await services.environments(coastal)] == ["coastal-secret"]
    assert [t.name for t in (await preview_matter(services, ours, "82001")).teams] == ["Litigation – Sydney"]
    assert [t.name for t in (await preview_matter(services, theirs, "82001")).teams] == ["Coastal Litigation"]
    with pytest.raises(NotFound):
        await services.environment(harbour, theirs.id)

    decrypted = box.decrypted
    MappingStore(services.store.engine).save(coastal, theirs.id, {"k": 1}, author="admin", note="", event="mapping.saved")
    assert (await services.environment(harbour, None)) is ours, "another organisation's save leaves ours cached"
    assert box.decrypted == decrypted


async def test_a_save_made_elsewhere_is_seen_once_the_recheck_interval_has_passed(counted_store: Store) -> None:
    """Another process's save is seen within `recheck` seconds; until then nothing is read."""
    now = [1000.0]
    agent = FakeAgent({"82001": matter(parties=(party(90003, "Mary Citizen", role_code="WIT"),))})
    services = Services(counted_store, FakeConnections(agent, FakeClio()))  # type: ignore[arg-type]
    services.settings_cache = SettingsCache(counted_store, recheck=1.0, clock=lambda: now[0])
    org = firm(counted_store, "harbour", "Litigation – Sydney")
    env = await services.environment(org, None)
    with counted_store.engine.begin() as connection:  # what a save committed by another process leaves
        connection.execute(text("UPDATE defaultteam SET team_name = 'Risk'"))
        connection.execute(text("UPDATE organisation SET settings_version = settings_version + 1 WHERE id = :id"), {"id": org})

    now[0] += 0.9
    assert await services.environment(org, None) is env, "within the interval the kept settings are used"
    now[0] += 0.2
    fresh = await services.environment(org, None)
    assert fresh is not env
    assert [t.name for t in (await preview_matter(services, fresh, "82001")).teams] == ["Risk"]
