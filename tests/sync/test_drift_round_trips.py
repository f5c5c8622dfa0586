"""Drift for many imported matters against the sandbox, through the real clients: the agent's
many-matters call and findByQuery in batches, key dates and participants per work item
(plugin/drift_reads.py), and the changes made on either side found."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlmodel import Session

from plugin.drift import MatterDrift, baseline_of
from plugin.drift_reads import drift_for
from plugin.mapping import apply_mapping
from sandbox.aderant_changes import AderantChanges
from sandbox.clio.model import Participant, ParticipantRole
from sandbox.clio.state import NewWorkItem
from store.models import MatterImport
from tests.views.conftest import Service

GENERATED = 300  # tests/sync/conftest.py's Aderant template: MATTER_UNO 100000 on
FIRST = 100_000
SEARCH = "/production/api/v1/public/workItem/findByQuery"


def seed_in_step(service: Service) -> tuple[dict[str, str], int]:
    """Every generated matter imported into Production with its baseline, its work item holding
    exactly that; matter number → work item id, and how many of the matters have over 20 parties."""
    services = service.client.app.state.runtime.services
    env = service.store.environment(service.organisation_id, 1)
    mapping = service.client.portal.call(services.mapping, env)
    matters = service.client.portal.call(services.remotes.agent(env).matter_details, list(range(FIRST, FIRST + GENERATED)))
    assert len(matters) == GENERATED
    state, rows, now = service.tenant().state, [], datetime.now(UTC)
    fingerprint = service.store.secrets.fingerprint()
    for matter in matters:
        mapped = apply_mapping(matter, mapping)
        baseline = baseline_of(mapped, {p.key: f"contact-{p.name_uno}" for p in mapped.parties}, fingerprint)
        item = state.create_work_item(
            NewWorkItem(type_system_name="matter-commercial", title=mapped.title, reference=mapped.reference, attributes=dict(mapped.attributes))
        )
        item.key_dates.update(mapped.key_dates)
        item.participants += [
            Participant(ParticipantRole(p.role, p.role, "party", (p.kind,)), f"contact-{p.name_uno}", p.kind, p.name)
            for p in mapped.parties
        ]
        rows.append({
            "organisation_id": service.organisation_id, "environment_id": 1, "matter_uno": mapped.matter_uno,
            "matter_number": mapped.matter_number, "status": "imported", "work_item_id": item.id,
            "imported_by": "drift test", "started_at": now, "finished_at": now, "baseline": baseline.to_json(),
        })
    with Session(service.store.engine) as session:
        session.execute(insert(MatterImport), rows)
        session.commit()
    return {row["matter_number"]: row["work_item_id"] for row in rows}, sum(1 for m in matters if len(m.parties) > 20)


def drift(service: Service) -> dict[str, MatterDrift]:
    services = service.client.app.state.runtime.services
    env = service.store.environment(service.organisation_id, 1)
    return {d.matter_number: d for d in service.client.portal.call(drift_for, services, env)}


def drift_calls(service: Service) -> Counter[str]:
    """The sandbox's calls by what drift reads with them (any other by its path)."""
    return Counter(
        "details" if c.path == "/aderant/v1/matter-details"
        else "parties" if re.fullmatch(r"/aderant/v1/matters/[^/]+/parties", c.path)
        else "search" if c.path == SEARCH
        else "participants" if c.path.endswith("/participants")
        else "work item" if re.fullmatch(r"/production/api/v1/public/workItem/[^/]+", c.path)
        else c.path
        for c in service.calls.calls
    )


def test_drift_of_300_matters_reads_in_batches_and_finds_the_changes_on_either_side(service: Service) -> None:
    work_items, long_matters = seed_in_step(service)
    service.calls.clear()

    in_step = drift(service)

    calls = drift_calls(service)
    assert set(calls) <= {"details", "parties", "search", "participants", "work item", "/production/identity/connect/token"}
    assert GENERATED // 50 <= calls["details"] <= 2 * GENERATED // 50, "50 matters a call, a further one when they do not fit"
    assert calls["parties"] == long_matters and calls["search"] == GENERATED // 100
    assert calls["work item"] == calls["participants"] == GENERATED, "key dates and participants: one read each per matter"
    compared = [d for d in in_step.values() if d.status == "compared"]
    assert len(compared) == GENERATED and not any(d.differences for d in compared), "in step on both sides"
    assert in_step["82003"].status == "no_baseline", "imported before baselines were kept: compared with nothing"

    number = next(iter(work_items))
    aderant = AderantChanges(service.aderant_url)  # this test's own copy of the Aderant database
    try:
        aderant.change_matter(number, {"title": "Renamed in Aderant", "add_parties": [{"name": "Tasman Insurance Ltd", "role": "INT"}]})
    finally:
        aderant.dispose()
    service.tenant().state.work_items[work_items[number]].attributes["aderant-office"] = "Perth"

    changed = drift(service)[number]

    assert {(d.kind, d.field.split(":")[0]) for d in changed.differences} == {
        ("aderant_only", "title"), ("party_added", "party"), ("clio_only", "attribute"),
    }
    assert changed.summary == "2 changes in Aderant since import; 1 edited in Clio Operate"
    assert sum(1 for d in drift(service).values() if d.differences) == 1
