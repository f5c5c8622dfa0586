"""Drift: the three-way comparison (pure, hand-made values) and the baseline an import keeps."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date


from clients.aderant_models import Employee
from clients.clio_models import FormField
from clients.errors import RemoteUnavailable
from plugin.drift import NO_BASELINE, Baseline, BaselineParty, ClioNow, Difference, MatterDrift, baseline_of, compare
from plugin.drift_reads import NOT_IN_ADERANT, NOT_IN_CLIO, drift_for, preview_drift
from plugin.importer import Actor, import_matter
from plugin.preview import preview_matter
from plugin.mapping import apply_mapping
from tests.plugin.fakes import form_fields, matter, party

WITNESS = party(90003, "Mary Citizen", role_code="WIT")
CONTACTS = {"client-90001": "org-1", "wit-90003": "person-7"}


def written() -> tuple[Baseline, ClioNow]:
    """A baseline as an import kept it, and a Clio Operate still holding exactly that."""
    baseline = baseline_of(apply_mapping(matter(parties=(WITNESS,))), CONTACTS)
    clio = ClioNow(
        title=baseline.title, reference=baseline.reference, attributes=dict(baseline.attributes),
        key_dates=dict(baseline.key_dates),
        participants=frozenset((p.role, p.contact_id) for p in baseline.parties),
    )
    return baseline, clio


def aderant(**changes: object):  # type: ignore[no-untyped-def]
    return apply_mapping(replace(matter(parties=(WITNESS,)), **changes))  # type: ignore[arg-type]


def test_the_baseline_holds_what_was_written_and_reads_back_from_its_json() -> None:
    baseline, _ = written()
    assert baseline.title == "Harbour Holdings v Coastal Freight"
    assert baseline.reference == " cl080001 /82001"  # the template copies the code as Aderant holds it
    assert baseline.attributes["aderant-client-code"] == "CL080001"
    assert baseline.key_dates == {"kd-instruction-date": "2026-03-02"}
    assert baseline.parties == (
        BaselineParty(90001, "Harbour Holdings Pty Ltd", "organisation", "client", "org-1"),
        BaselineParty(90003, "Mary Citizen", "person", "witness", "person-7"),
    )
    assert Baseline.from_json(baseline.to_json()) == baseline


def test_nothing_changed_anywhere_is_no_drift() -> None:
    baseline, clio = written()
    assert compare(baseline, aderant(), clio) == ()


def test_a_title_changed_in_aderant_only_is_safe_to_apply() -> None:
    baseline, clio = written()
    assert compare(baseline, aderant(title="Harbour Holdings v Coastal Freight (appeal)"), clio) == (
        Difference(
            "aderant_only", "title", "Title", baseline="Harbour Holdings v Coastal Freight",
            aderant="Harbour Holdings v Coastal Freight (appeal)", clio="Harbour Holdings v Coastal Freight",
        ),
    )


def test_a_value_edited_in_clio_operate_only_is_left_and_shown() -> None:
    baseline, clio = written()
    clio = replace(clio, attributes={**clio.attributes, "aderant-office": "Melbourne"})
    [found] = compare(baseline, aderant(), clio)
    assert (found.kind, found.field, found.baseline, found.aderant, found.clio) == (
        "clio_only", "attribute:aderant-office", "Sydney", "Sydney", "Melbourne",
    )


def test_a_value_changed_in_both_to_different_values_is_a_conflict() -> None:
    baseline, clio = written()
    clio = replace(clio, key_dates={"kd-instruction-date": "2026-04-01T00:00:00Z"})
    [found] = compare(baseline, aderant(open_date=_date("2026-05-05")), clio)
    assert (found.kind, found.field, found.baseline, found.aderant, found.clio) == (
        "both", "key_date:kd-instruction-date", "2026-03-02", "2026-05-05", "2026-04-01",
    )


def test_a_value_changed_in_both_to_the_same_value_is_in_step() -> None:
    baseline, clio = written()
    clio = replace(clio, key_dates={"kd-instruction-date": "2026-05-05"})
    assert compare(baseline, aderant(open_date=_date("2026-05-05")), clio) == ()


def test_an_attribute_new_in_aderant_or_emptied_there_is_an_aderant_change() -> None:
    baseline, clio = written()
    changed = compare(baseline, aderant(billing_employee=Employee(502, "RJO", "Rob Jones"), office=None), clio)
    assert {(d.kind, d.field, d.baseline, d.aderant) for d in changed} == {
        ("aderant_only", "attribute:aderant-office", "Sydney", None),
        ("aderant_only", "attribute:aderant-billing-employee", None, "RJO"),
    }


def test_a_party_added_in_aderant_is_flagged() -> None:
    baseline, clio = written()
    added = party(90004, "Coastal Freight Pty Ltd", "organisation")
    [found] = compare(baseline, aderant(parties=(WITNESS, added)), clio)
    assert (found.kind, found.field, found.label) == ("party_added", "party:90004", "Coastal Freight Pty Ltd (other-side)")


def test_a_party_removed_in_aderant_is_flagged_never_removed() -> None:
    baseline, clio = written()
    [found] = compare(baseline, aderant(parties=()), clio)
    assert (found.kind, found.field, found.baseline) == ("party_removed", "party:90003", "witness")


def test_a_party_removed_in_both_is_in_step_and_one_removed_in_clio_operate_only_is_shown() -> None:
    baseline, clio = written()
    gone = replace(clio, participants=frozenset({("client", "org-1")}))
    assert compare(baseline, aderant(parties=()), gone) == ()
    [found] = compare(baseline, aderant(), gone)
    assert (found.kind, found.field) == ("clio_only", "party:90003")


def test_a_party_whose_role_changed_in_aderant_leaves_one_role_and_joins_another() -> None:
    baseline, clio = written()
    now = compare(baseline, aderant(parties=(replace(WITNESS, role_code="INT"),)), clio)
    assert [(d.kind, d.aderant or d.baseline) for d in now] == [("party_added", "interested-party"), ("party_removed", "witness")]


def test_key_dates_and_participants_not_read_are_not_compared() -> None:
    baseline, clio = written()
    unread = replace(clio, key_dates=None, participants=None)
    assert compare(baseline, aderant(open_date=_date("2026-05-05")), unread) == ()
    [removed] = compare(baseline, aderant(parties=()), unread)
    assert removed.kind == "party_removed"


def test_the_summary_counts_the_changes_in_aderant() -> None:
    baseline, clio = written()
    clio = replace(clio, attributes={**clio.attributes, "aderant-office": "Melbourne"})
    differences = compare(baseline, aderant(title="New title", parties=()), clio)
    drift = MatterDrift("82001", "wi-1", "compared", differences)
    assert drift.changes_in_aderant == 2
    assert drift.summary == "2 changes in Aderant since import; 1 edited in Clio Operate"
    assert MatterDrift("82001", "wi-1", "compared").summary == "No changes in Aderant since import"
    assert MatterDrift("82001", "wi-1", "no_baseline", message=NO_BASELINE).summary == NO_BASELINE


def _date(text: str) -> date:
    return date.fromisoformat(text)


async def test_an_import_keeps_its_baseline_with_the_contacts_its_parties_became(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    env = replace(env, import_writes_enabled=True)
    agent.matters["82001"] = matter(parties=(WITNESS,))
    actor = Actor("user-1", "staff@firm.example", env.organisation_id, clio_user_id="user-1", signed_in_environment_id=env.id)

    result = await import_matter(services, env, actor, "82001")

    [row] = services.store.imports.baselines(env.organisation_id, env.id)
    assert (row.matter_number, row.work_item_id) == ("82001", result.work_item_id)
    assert row.baseline is not None
    kept = Baseline.from_json(row.baseline)
    assert kept.title == clio.bodies[0]["workItem"]["title"]
    assert kept.attributes == clio.bodies[0]["aspectData"]["formBuilder"]["formData"]
    sent = {(p["roleSystemName"], p["odsId"]) for p in clio.bodies[0]["participants"]}
    assert {(p.role, p.contact_id) for p in kept.parties} <= sent
    assert {p.contact_id for p in kept.parties} == {c.id for c in clio.contacts}


async def test_a_matter_found_already_in_clio_operate_has_no_baseline(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    env = replace(env, import_writes_enabled=True)
    agent.matters["82001"] = matter()
    actor = Actor("user-1", "staff@firm.example", env.organisation_id)
    await import_matter(services, env, actor, "82001")
    with services.store.engine.begin() as conn:  # forget the record: the work item stays in Clio Operate
        conn.exec_driver_sql("DELETE FROM importcontact")
        conn.exec_driver_sql("DELETE FROM matterimport")

    again = await import_matter(services, env, actor, "82001")

    assert again.status == "already_imported"
    [row] = services.store.imports.baselines(env.organisation_id, env.id)
    assert row.baseline is None


async def imported_three(world):  # type: ignore[no-untyped-def]
    """82001 and 82002 imported with their baselines; 82003 found already in Clio Operate (none)."""
    services, env, agent, clio = world
    env = replace(env, import_writes_enabled=True)
    actor = Actor("user-1", "staff@firm.example", env.organisation_id, clio_user_id="user-1", signed_in_environment_id=env.id)
    agent.matters["82001"] = matter(parties=(WITNESS,))
    agent.matters["82002"] = matter("82002", uno=82002, dept="COM")
    agent.matters["82003"] = matter("82003", uno=82003)
    for number in ("82001", "82002"):
        await import_matter(services, env, actor, number)
    clio.work_items.append(replace(clio.work_items[0], id="wi-elsewhere", attributes=form_fields({"aderant-matter-id": "82003"})))
    await import_matter(services, env, actor, "82003")
    return services, env, agent, clio


async def test_drift_for_every_imported_matter_classifies_each_change_in_batched_reads(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = await imported_three(world)
    first = clio.work_items[0]
    # Aderant: a new title and a new party on 82001. Clio Operate: its office edited, its key date moved.
    agent.matters["82001"] = replace(
        agent.matters["82001"], title="Harbour Holdings v Coastal Freight (appeal)", open_date=date(2026, 5, 5),
        parties=(WITNESS, party(90004, "Coastal Freight Pty Ltd", "organisation")),
    )
    clio.work_items[0] = replace(first, attributes={**first.attributes, FormField("aderant", "aderant-office"): "Melbourne"})
    clio.dates[first.id] = {"kd-instruction-date": "2026-04-01"}
    agent.calls.clear()
    clio.calls.clear()

    drift = {d.matter_number: d for d in await drift_for(services, env)}

    assert {(d.kind, d.field) for d in drift["82001"].differences} == {
        ("aderant_only", "title"),
        ("clio_only", "attribute:aderant-office"),
        ("both", "key_date:kd-instruction-date"),
        ("party_added", "party:90004"),
    }
    assert drift["82001"].summary == "3 changes in Aderant since import; 1 in conflict with Clio Operate; 1 edited in Clio Operate"
    assert (drift["82002"].status, drift["82002"].differences) == ("compared", ())
    assert (drift["82003"].status, drift["82003"].summary) == ("no_baseline", NO_BASELINE)
    assert agent.calls == [("details", 2)], "one many-matters call, not one per matter"
    searches = [c for c in clio.calls if c[0] == "find_work_items"]
    assert searches == [("find_work_items", 2)], "matters without a baseline are not read"
    assert sorted(c for c in clio.calls if c[0] != "find_work_items") == sorted(
        (kind, w.id) for w in clio.work_items[:2] for kind in ("key_dates", "participants")
    )


async def test_drift_for_chosen_matters_and_those_gone_from_either_side(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = await imported_three(world)
    del agent.matters["82002"]
    clio.delete(clio.work_items[0].id)

    drift = await drift_for(services, env, ["82001", "82002", "99999"])

    assert [(d.matter_number, d.status) for d in drift] == [("82001", "not_in_clio"), ("82002", "not_in_aderant")]
    assert drift[0].summary == NOT_IN_CLIO and drift[1].summary == NOT_IN_ADERANT


async def test_the_preview_drift_of_an_imported_matter_and_of_one_clio_operate_cannot_answer_for(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = await imported_three(world)
    agent.matters["82001"] = replace(agent.matters["82001"], title="New title")

    assert await preview_drift(services, env, await preview_matter(services, env, "82001")) == MatterDrift(
        "82001", clio.work_items[0].id, "compared",
        (Difference("aderant_only", "title", "Title", "Harbour Holdings v Coastal Freight", "New title", "Harbour Holdings v Coastal Freight"),),
    )
    agent.matters["82009"] = matter("82009", uno=82009)
    assert await preview_drift(services, env, await preview_matter(services, env, "82009")) is None, "not imported"
    preview = await preview_matter(services, env, "82001")
    clio.error = RemoteUnavailable("Clio Operate", "Production", "HTTP 503")
    unavailable = await preview_drift(services, env, preview)
    assert unavailable is not None and unavailable.status == "unavailable"
    assert unavailable.summary.startswith("Changes since import could not be read:")


async def test_the_work_item_reads_are_bounded_by_the_services_concurrency(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    env = replace(env, import_writes_enabled=True)
    actor = Actor("user-1", "staff@firm.example", env.organisation_id, clio_user_id="user-1", signed_in_environment_id=env.id)
    for n in range(6):
        agent.matters[f"8200{n}"] = matter(f"8200{n}", uno=82000 + n)
        await import_matter(services, env, actor, f"8200{n}")
    services.concurrency = 2
    in_flight, most = 0, 0
    read_dates = clio.key_dates

    async def slow_key_dates(work_item_id: str) -> dict[str, object] | None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return await read_dates(work_item_id)

    clio.key_dates = slow_key_dates

    drift = await drift_for(services, env)

    assert [d.status for d in drift] == ["compared"] * 6 and most == 2
