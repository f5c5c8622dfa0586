"""The import use case against a fake Clio Operate: exactly once, resumable, audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from clients.clio_models import FormField
from clients.errors import RemoteUnavailable
from plugin.errors import Forbidden, InvalidInput, NotConfigured
from plugin.importer import WRITES_DISABLED, Actor, ImportFailed, ImportSettling, import_matter
from store.mappings import MappingStore
from store.work_type_roles import WorkTypeRolesStore
from tests.plugin.fakes import matter, party

ACTOR = Actor("user-1", "staff@firm.example", 0, clio_user_id="user-1")
PARTIES = (party(90002, "Coastal Freight Pty Ltd", "organisation"), party(90003, "Mary Citizen", role_code="WIT"))


@pytest.fixture
def firm(world):  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    agent.matters["82001"] = matter(uno=7_700_123, parties=PARTIES)  # the internal id is not the number
    actor = replace(ACTOR, organisation_id=env.organisation_id, signed_in_environment_id=env.id)
    return services, replace(env, import_writes_enabled=True), clio, actor


def outcomes(services, env) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.outcome for a in reversed(services.store.imports.history(env.organisation_id, environment_id=env.id))]


async def test_the_write_gate_refuses_before_any_read_and_is_in_history(firm) -> None:  # type: ignore[no-untyped-def]
    services, env, clio, actor = firm
    with pytest.raises(Forbidden, match=WRITES_DISABLED):
        await import_matter(services, replace(env, import_writes_enabled=False), actor, "82001")
    assert clio.calls == [] and clio.work_items == []
    assert outcomes(services, env) == ["refused"]


async def test_an_import_is_keyed_on_the_internal_matter_id_and_happens_once(firm) -> None:  # type: ignore[no-untyped-def]
    services, env, clio, actor = firm
    first = await import_matter(services, env, actor, "82001")
    again = await import_matter(services, env, actor, "82001")

    assert (first.status, again.status, again.work_item_id) == ("imported", "already_imported", first.work_item_id)
    [item] = clio.work_items
    assert item.attributes[FormField("aderant", "aderant-matter-id")] == "7700123"
    assert services.store.imported_matters(env.organisation_id, env.id, ["7700123"])["7700123"].work_item_id == item.id
    assert len(clio.contacts) == 3 and outcomes(services, env) == ["imported", "already_imported"]


async def test_a_link_to_a_contact_that_is_not_a_candidate_is_refused_before_any_write(firm) -> None:  # type: ignore[no-untyped-def]
    services, env, clio, actor = firm
    with pytest.raises(InvalidInput, match="not one of its candidate contacts"):
        await import_matter(services, env, actor, "82001", {"wit-90003": {"link": "someone-else"}})
    assert clio.contacts == [] and clio.work_items == []
    assert outcomes(services, env) == ["refused"]

    await import_matter(services, env, actor, "82001")
    stale = await import_matter(services, env, actor, "82001", {"wit-90003": {"link": "someone-else"}})
    assert stale.status == "already_imported", "an import already done answers so, whatever the decisions"


async def test_a_retry_after_a_failed_work_item_reuses_the_contacts_it_created(firm) -> None:  # type: ignore[no-untyped-def]
    services, env, clio, actor = firm
    clio.failing["create_work_item"] = RemoteUnavailable("Clio Operate", "Production", "HTTP 500")
    with pytest.raises(ImportFailed, match="safe to import again|not reachable"):
        await import_matter(services, env, actor, "82001")
    assert len(clio.contacts) == 3 and clio.work_items == []

    result = await import_matter(services, env, actor, "82001")

    assert result.status == "imported" and len(clio.work_items) == 1
    assert len(clio.contacts) == 3, "no contact was created twice"
    assert {c["ods_id"] for c in result.contacts_created} == {c.id for c in clio.contacts}
    assert outcomes(services, env) == ["failed", "imported"]


async def test_a_lost_work_item_answer_missed_by_a_lagging_search_is_found_before_creating_another(firm) -> None:  # type: ignore[no-untyped-def]
    services, env, clio, actor = firm
    clio.losing.add("create_work_item")
    clio.index_lag = 2  # the retries' previews do not see the work item yet; the check after the claim does
    with pytest.raises(ImportFailed):
        await import_matter(services, env, actor, "82001")
    with pytest.raises(ImportSettling, match="may still be creating this matter; try again after"):
        await import_matter(services, env, actor, "82001")  # within the settle window: not sent again

    services.settle = timedelta(0)  # the window has passed
    result = await import_matter(services, env, actor, "82001")

    [item] = clio.work_items
    assert result.status == "imported" and result.work_item_id == item.id
    assert sum(1 for c in clio.calls if c == ("create_work_item",)) == 1


async def test_a_default_team_in_a_role_the_work_type_lacks_is_left_out_with_a_warning(firm) -> None:  # type: ignore[no-untyped-def]
    services, env, clio, actor = firm
    store = services.store
    store.teams.add(env.organisation_id, env.id, work_type="*", team_id="t1", team_name="Litigation", role="reader", actor="admin")
    store.teams.add(env.organisation_id, env.id, work_type="*", team_id="t2", team_name="Compliance", role="auditor", actor="admin")

    result = await import_matter(services, env, actor, "82001")

    assert result.status == "imported" and result.teams_added == [{"id": "t1", "name": "Litigation", "role": "reader", "role_name": "Reader"}]
    [warning] = result.warnings
    assert "Compliance was not added" in warning
    teams = [p["odsId"] for p in clio.bodies[0]["participants"] if p["odsType"] == "team"]
    assert teams == ["t1"]


async def test_an_import_the_configuration_stops_is_a_failed_attempt_in_history(firm) -> None:  # type: ignore[no-untyped-def]
    services, env, clio, actor = firm
    # A mapping saved by an older release that this one no longer accepts.
    MappingStore(services.store.engine).save(
        env.organisation_id, env.id, {"format": "pms-sync-mapping", "version": 1}, author="x", note="old", event="mapping.saved"
    )
    with pytest.raises(NotConfigured, match="no longer valid"):
        await import_matter(services, env, actor, "82001")
    [attempt] = services.store.imports.history(env.organisation_id, environment_id=env.id)
    assert attempt.outcome == "failed" and "no longer valid" in (attempt.error or "")
    assert clio.work_items == [] and clio.contacts == []


async def test_a_work_type_whose_roles_are_not_loaded_still_imports(firm) -> None:  # type: ignore[no-untyped-def]
    services, env, clio, actor = firm
    WorkTypeRolesStore(services.store.engine).remove(env.organisation_id, env.id, "matter-litigation", actor="admin")

    result = await import_matter(services, env, actor, "82001")

    assert result.status == "imported" and len(clio.work_items) == 1
