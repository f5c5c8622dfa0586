"""Drift: the three-way comparison (pure, hand-made values) and the baseline an import keeps."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import date

from sqlalchemy import update

from clients.aderant_models import Employee
from clients.clio_models import FormField, WorkItemKeyDates
from clients.errors import RemoteUnavailable
from plugin.drift import (
    NO_BASELINE,
    OTHER_KEY,
    Baseline,
    BaselineParty,
    ClioNow,
    Difference,
    MatterDrift,
    baseline_of,
    compare,
)
from plugin.drift_reads import NOT_IN_ADERANT, NOT_IN_CLIO, drift_for, preview_drift
from plugin.importer import Actor, import_matter
from plugin.mapping import MappedMatter, apply_mapping
from plugin.preview import preview_matter
from store.models import MatterImport
from store.secrets import Fingerprint, SecretBox
from tests.plugin.fakes import form_fields, matter, party

WITNESS = party(90003, "Mary Citizen", role_code="WIT")
CONTACTS = {"client-90001": "org-1", "wit-90003": "person-7"}
FINGERPRINT = Fingerprint.of_secret_key(SecretBox.generate_key())


def written() -> tuple[Baseline, ClioNow]:
    """A baseline as an import kept it, and a Clio Operate still holding exactly what was written."""
    mapped = apply_mapping(matter(parties=(WITNESS,)))
    baseline = baseline_of(mapped, CONTACTS, FINGERPRINT)
    clio = ClioNow(
        title=mapped.title, reference=mapped.reference, attributes=dict(mapped.attributes),
        key_dates=dict(mapped.key_dates),
        participants=frozenset((p.role, p.contact_id) for p in baseline.parties),
    )
    return baseline, clio


def compared(baseline: Baseline, aderant: MappedMatter, clio: ClioNow) -> tuple[Difference, ...]:
    return compare(baseline, aderant, clio, FINGERPRINT)


def aderant(**changes: object):  # type: ignore[no-untyped-def]
    return apply_mapping(replace(matter(parties=(WITNESS,)), **changes))  # type: ignore[arg-type]


def test_the_baseline_holds_digests_of_what_was_written_and_reads_back_from_its_json() -> None:
    baseline, _ = written()
    assert baseline.key_id == FINGERPRINT.key_id
    assert baseline.title == FINGERPRINT("Harbour Holdings v Coastal Freight")
    assert baseline.reference == FINGERPRINT(" cl080001 /82001")  # the template copies the code as Aderant holds it
    assert baseline.attributes["aderant-client-code"] == FINGERPRINT("CL080001")
    assert baseline.key_dates == {"kd-instruction-date": FINGERPRINT("2026-03-02")}
    assert baseline.parties == (
        BaselineParty(90001, "organisation", "client", "org-1"),
        BaselineParty(90003, "person", "witness", "person-7"),
    )
    assert Baseline.from_json(baseline.to_json()) == baseline


def test_digests_are_keyed_and_a_baseline_that_held_values_is_no_baseline() -> None:
    other = Fingerprint.of_secret_key(SecretBox.generate_key())
    assert FINGERPRINT("Sydney") == FINGERPRINT("Sydney") != other("Sydney")
    assert FINGERPRINT.key_id != other.key_id and FINGERPRINT("") is None
    box = SecretBox([SecretBox.generate_key(), SecretBox.generate_key()])
    assert box.fingerprint_for(box.fingerprint().key_id) == box.fingerprint()
    assert box.fingerprint_for(FINGERPRINT.key_id) is None
    version_1 = {"version": 1, "work_type": "matter-commercial", "title": "Harbour Holdings v Coastal Freight",
                 "reference": "", "attributes": {}, "key_dates": {}, "parties": []}
    assert Baseline.from_json(version_1) is None


def test_nothing_changed_anywhere_is_no_drift() -> None:
    baseline, clio = written()
    assert compared(baseline, aderant(), clio) == ()


def test_a_title_changed_in_aderant_only_is_safe_to_apply() -> None:
    baseline, clio = written()
    assert compared(baseline, aderant(title="Harbour Holdings v Coastal Freight (appeal)"), clio) == (
        Difference(
            "aderant_only", "title", "Title",
            aderant="Harbour Holdings v Coastal Freight (appeal)", clio="Harbour Holdings v Coastal Freight",
        ),
    )


def test_a_change_applied_moves_the_baseline_on_so_it_no_longer_differs() -> None:
    baseline, clio = written()
    renamed = aderant(title="Harbour Holdings v Coastal Freight (appeal)")
    [title] = compared(baseline, renamed, clio)
    assert baseline.digest_of("title") == FINGERPRINT(clio.title)

    applied = baseline.with_value("title", FINGERPRINT(title.aderant))

    assert compared(applied, renamed, replace(clio, title=title.aderant)) == ()
    assert applied.with_value("key_date:kd-long-stop", FINGERPRINT("2027-01-01")).key_dates["kd-long-stop"] == FINGERPRINT("2027-01-01")
    added = applied.with_party(BaselineParty(90006, "person", "witness", "person-9"))
    assert Baseline.from_json(added.to_json()) == added and added.parties[-1].contact_id == "person-9"


def test_a_value_edited_in_clio_operate_only_is_left_and_shown() -> None:
    baseline, clio = written()
    clio = replace(clio, attributes={**clio.attributes, "aderant-office": "Melbourne"})
    [found] = compared(baseline, aderant(), clio)
    assert (found.kind, found.field, found.aderant, found.clio) == (
        "clio_only", "attribute:aderant-office", "Sydney", "Melbourne",
    )


def test_a_value_changed_in_both_to_different_values_is_a_conflict() -> None:
    baseline, clio = written()
    clio = replace(clio, key_dates={"kd-instruction-date": "2026-04-01"})
    [found] = compared(baseline, aderant(open_date=_date("2026-05-05")), clio)
    assert (found.kind, found.field, found.aderant, found.clio) == (
        "both", "key_date:kd-instruction-date", "2026-05-05", "2026-04-01",
    )


def test_a_value_changed_in_both_to_the_same_value_is_in_step() -> None:
    baseline, clio = written()
    clio = replace(clio, key_dates={"kd-instruction-date": "2026-05-05"})
    assert compared(baseline, aderant(open_date=_date("2026-05-05")), clio) == ()


def test_an_attribute_new_in_aderant_or_emptied_there_is_an_aderant_change() -> None:
    baseline, clio = written()
    changed = compared(baseline, aderant(billing_employee=Employee(502, "RJO", "Rob Jones"), office=None), clio)
    assert {(d.kind, d.field, d.aderant, d.clio) for d in changed} == {
        ("aderant_only", "attribute:aderant-office", None, "Sydney"),
        ("aderant_only", "attribute:aderant-billing-employee", "RJO", None),
    }


def test_a_party_added_in_aderant_is_flagged() -> None:
    baseline, clio = written()
    added = party(90004, "Coastal Freight Pty Ltd", "organisation")
    [found] = compared(baseline, aderant(parties=(WITNESS, added)), clio)
    assert (found.kind, found.field, found.label) == ("party_added", "party:90004", "Coastal Freight Pty Ltd (other-side)")


def test_a_party_removed_in_aderant_is_flagged_never_removed() -> None:
    baseline, clio = written()
    [found] = compared(baseline, aderant(parties=()), clio)
    assert (found.kind, found.field, found.label) == ("party_removed", "party:90003", "Aderant name 90003 (witness), contact person-7")


def test_a_party_removed_in_both_is_in_step_and_one_removed_in_clio_operate_only_is_shown() -> None:
    baseline, clio = written()
    gone = replace(clio, participants=frozenset({("client", "org-1")}))
    assert compared(baseline, aderant(parties=()), gone) == ()
    [found] = compared(baseline, aderant(), gone)
    assert (found.kind, found.field, found.label) == ("clio_only", "party:90003", "Mary Citizen (witness)")


def test_a_party_whose_role_changed_in_aderant_leaves_one_role_and_joins_another() -> None:
    baseline, clio = written()
    now = compared(baseline, aderant(parties=(replace(WITNESS, role_code="INT"),)), clio)
    assert [(d.kind, d.label) for d in now] == [
        ("party_added", "Mary Citizen (interested-party)"), ("party_removed", "Aderant name 90003 (witness), contact person-7"),
    ]


def test_key_dates_and_participants_not_read_are_not_compared() -> None:
    baseline, clio = written()
    unread = replace(clio, key_dates=None, participants=None)
    assert compared(baseline, aderant(open_date=_date("2026-05-05")), unread) == ()
    [removed] = compared(baseline, aderant(parties=()), unread)
    assert removed.kind == "party_removed"


def test_the_summary_counts_the_changes_in_aderant() -> None:
    baseline, clio = written()
    clio = replace(clio, attributes={**clio.attributes, "aderant-office": "Melbourne"})
    differences = compared(baseline, aderant(title="New title", parties=()), clio)
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
    assert kept is not None
    fingerprint = services.store.secrets.fingerprint()
    assert kept.key_id == fingerprint.key_id
    assert kept.title == fingerprint(clio.bodies[0]["workItem"]["title"])
    written_attributes = clio.bodies[0]["aspectData"]["formBuilder"]["formData"]
    assert kept.attributes == {target: fingerprint(value) for target, value in written_attributes.items()}
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
    assert [(d.kind, d.aderant, d.clio) for d in drift["82001"].differences if d.field == "title"] == [
        ("aderant_only", "Harbour Holdings v Coastal Freight (appeal)", "Harbour Holdings v Coastal Freight")
    ]
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
        (Difference("aderant_only", "title", "Title", "New title", "Harbour Holdings v Coastal Freight"),),
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

    async def slow_key_dates(work_item_id: str) -> WorkItemKeyDates | None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return await read_dates(work_item_id)

    clio.key_dates = slow_key_dates

    drift = await drift_for(services, env)

    assert [d.status for d in drift] == ["compared"] * 6 and most == 2


async def test_the_stored_baseline_keeps_no_value_and_no_party_name(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    env = replace(env, import_writes_enabled=True)
    agent.matters["82001"] = matter(parties=(WITNESS,))
    actor = Actor("user-1", "staff@firm.example", env.organisation_id, clio_user_id="user-1", signed_in_environment_id=env.id)
    await import_matter(services, env, actor, "82001")

    [row] = services.store.imports.baselines(env.organisation_id, env.id)
    stored = json.dumps(row.baseline)
    leaves = set(_leaves(row.baseline))

    mapped = apply_mapping(agent.matters["82001"])
    values = {mapped.title, mapped.reference, *mapped.attributes.values(), *mapped.key_dates.values()}
    names = {p.name for p in mapped.parties}
    assert len(values) > 8 and names == {"Harbour Holdings Pty Ltd", "Mary Citizen"}
    assert values & leaves == set(), "no value written is kept, only its digest"
    assert [n for n in names if n in stored] == []
    kept = {mapped.work_type, "client", "witness", "90001", "90003", *mapped.attributes, *mapped.key_dates,
            *(c.id for c in clio.contacts)}
    assert kept <= leaves | set(_keys_of(row.baseline)), "ids and configuration are kept as they are"


def _leaves(data: object) -> list[str]:
    if isinstance(data, dict):
        return [leaf for value in data.values() for leaf in _leaves(value)]
    if isinstance(data, list):
        return [leaf for value in data for leaf in _leaves(value)]
    return [] if data is None else [str(data)]


def _keys_of(data: object) -> list[str]:
    if isinstance(data, dict):
        return [*data, *(k for value in data.values() for k in _keys_of(value))]
    if isinstance(data, list):
        return [k for value in data for k in _keys_of(value)]
    return []


async def test_a_baseline_kept_under_a_key_no_longer_configured_is_no_baseline(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = await imported_three(world)
    with services.store.engine.begin() as conn:  # as if the key had been rotated out since
        for row in services.store.imports.baselines(env.organisation_id, env.id):
            if row.baseline is not None:
                conn.execute(update(MatterImport).where(MatterImport.id == row.import_id).values(
                    baseline={**row.baseline, "key_id": "0" * 16}))
    agent.calls.clear()
    clio.calls.clear()

    drift = await drift_for(services, env)

    assert [(d.matter_number, d.status, d.summary) for d in drift] == [
        ("82001", "no_baseline", OTHER_KEY), ("82002", "no_baseline", OTHER_KEY), ("82003", "no_baseline", NO_BASELINE),
    ]
    assert (agent.calls, clio.calls) == ([], []), "nothing to compare with: nothing is read"
