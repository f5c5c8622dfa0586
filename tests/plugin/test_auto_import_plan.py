"""Auto-import's plan: each matter's parties with the decision the import will take, before anything is applied."""

from __future__ import annotations

from datetime import date

from clients.aderant_models import MatterSummary
from clients.clio_models import OdsContact
from plugin.auto_import import auto_import_plan
from tests.plugin.fakes import matter, party


def summary(number: str) -> MatterSummary:
    return MatterSummary(int(number), number, "A matter", 8001, "CL080001", "Harbour Holdings Pty Ltd", "OPEN", "Open", False, date(2026, 3, 2), None)


async def test_the_plan_shows_each_party_with_its_default_decision_and_writes_nothing(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    agent.matters["82001"] = matter(parties=(party(90002, "Coastal Freight Pty Ltd", "organisation"),))
    clio.contacts = [OdsContact("org-1", "organisation", "Harbour Holdings Pty Ltd", "ADERANT:90001", "ADERANT:90001")]

    [planned] = await auto_import_plan(services, env, [summary("82001")])

    assert planned.matter.matter_number == "82001" and planned.problem is None and not planned.already_in_clio
    by_name = {p.name: p for p in planned.parties}
    assert by_name["Harbour Holdings Pty Ltd"].decision == "Link to existing: Harbour Holdings Pty Ltd"
    assert by_name["Coastal Freight Pty Ltd"].decision == "Create new"
    assert (planned.create, planned.link) == (1, 1)
    assert [c for c in clio.calls if c[0].startswith("create")] == []
    assert services.store.imports.history(env.organisation_id) == []


async def test_a_matter_whose_preview_fails_is_still_listed_with_the_reason(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, _ = world
    agent.matters["82001"] = matter()

    planned = await auto_import_plan(services, env, [summary("82001"), summary("82009")])

    assert [p.matter.matter_number for p in planned] == ["82001", "82009"], "in the dry run's order"
    assert planned[0].problem is None and planned[0].parties
    assert planned[1].parties == () and planned[1].problem is not None and "82009" in planned[1].problem
