"""Decision memory: a party an import linked to a contact is linked to it again by default, in
the same organisation and environment only, by staff and by auto-import alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from clients.clio_models import OdsContact
from plugin.auto_import import apply_auto_import
from plugin.importer import Actor, import_matter
from plugin.preview import preview_matter
from store.schedules import ScheduleSettings
from tests.environments import save_environment
from tests.plugin.fakes import matter, party

MARY = party(90003, "Mary Citizen", role_code="WIT", role="Witness")
LOOK_ALIKES = [OdsContact("p-1", "person", "Mary Citizen", None, None), OdsContact("p-2", "person", "Mary Citizens", None, None)]


@pytest.fixture
def firm(world):  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    agent.matters["82001"] = matter("82001", uno=82001, parties=(MARY,))
    agent.matters["82002"] = matter("82002", uno=82002, parties=(MARY,))
    clio.contacts.extend(LOOK_ALIKES)
    actor = Actor("user-1", "sam@firm.example", env.organisation_id, clio_user_id="user-1", signed_in_environment_id=env.id)
    return services, replace(env, import_writes_enabled=True), clio, actor


def mary_of(preview):  # type: ignore[no-untyped-def]
    return next(p for p in preview.parties if p.party.key == "wit-90003")


async def test_a_party_linked_by_one_import_is_linked_by_default_in_the_next_preview(firm) -> None:  # type: ignore[no-untyped-def]
    services, env, clio, actor = firm
    before = mary_of(await preview_matter(services, env, "82002"))
    assert before.default_decision == "create", "a name alone is not strong evidence"

    result = await import_matter(services, env, actor, "82001", {"wit-90003": {"link": "p-1"}})
    after = mary_of(await preview_matter(services, env, "82002"))

    assert {"key": "wit-90003", "name": "Mary Citizen", "ods_id": "p-1"} in result.contacts_linked
    assert after.default_decision == {"link": "p-1"}
    best = after.candidates[0]
    assert best.ods_id == "p-1" and best.strong
    assert f"linked before by sam@firm.example on {datetime.now(UTC):%d %b %Y}" in best.reasons
    assert not after.candidates[1].strong


async def test_a_later_link_replaces_the_remembered_one(firm) -> None:  # type: ignore[no-untyped-def]
    services, env, clio, actor = firm
    await import_matter(services, env, actor, "82001", {"wit-90003": {"link": "p-1"}})
    await import_matter(services, env, replace(actor, user_name="kim@firm.example"), "82002", {"wit-90003": {"link": "p-2"}})

    remembered = services.store.imports.record_and_links(env.organisation_id, env.id, "82002", ["ADERANT:90003"])[1]

    assert remembered["ADERANT:90003"].ods_id == "p-2" and remembered["ADERANT:90003"].linked_by == "kim@firm.example"


async def test_a_created_contact_is_not_remembered_as_a_link(firm) -> None:  # type: ignore[no-untyped-def]
    services, env, clio, actor = firm
    await import_matter(services, env, actor, "82001", {"wit-90003": "create"})
    remembered = services.store.imports.record_and_links(env.organisation_id, env.id, "82002", ["ADERANT:90003", "ADERANT:90001"])[1]
    assert remembered == {}


async def test_links_are_remembered_per_environment_and_organisation(firm) -> None:  # type: ignore[no-untyped-def]
    services, env, clio, actor = firm
    store = services.store
    await import_matter(services, env, actor, "82001", {"wit-90003": {"link": "p-1"}})
    uat_id = save_environment(
        store, env.organisation_id, "UAT", identity_url="https://firm-uat-identity.example.test", api_url="https://firm-uat.example.test",
        client_id="c", client_secret="s", agent_url="https://agent.example.test", agent_key="k",
    )
    other_org = store.create_organisation("Other firm", ["system-administrator"])
    uat = store.environment(env.organisation_id, uat_id)
    assert uat is not None

    assert mary_of(await preview_matter(services, uat, "82002")).default_decision == "create"
    assert store.imports.record_and_links(other_org, env.id, "82002", ["ADERANT:90003"])[1] == {}
    assert store.imports.record_and_links(env.organisation_id, env.id, "82002", ["ADERANT:90003"])[1]["ADERANT:90003"].ods_id == "p-1"


async def test_auto_import_links_a_remembered_party_instead_of_creating_it(firm) -> None:  # type: ignore[no-untyped-def]
    services, env, clio, actor = firm
    await import_matter(services, env, actor, "82001", {"wit-90003": {"link": "p-1"}})
    services.store.schedules.save(
        ScheduleSettings(env.organisation_id, env.id, auto_import_clients=("CL080001",), auto_import_since=date(2026, 1, 1)),
        actor="admin@firm.example", teams_webhook=None,
    )
    people_before = [c for c in clio.contacts if c.kind == "person"]

    [outcome] = await apply_auto_import(services, env, replace(actor, user_name="admin@firm.example"), ["82002"])

    assert outcome.status == "imported" and outcome.result is not None
    assert outcome.message == "0 contacts created, 2 linked", "the client by its reference, Mary by the earlier link"
    assert {"key": "wit-90003", "name": "Mary Citizen", "ods_id": "p-1"} in outcome.result.contacts_linked
    assert [c for c in clio.contacts if c.kind == "person"] == people_before, "no new person was created"
