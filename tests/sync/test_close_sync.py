"""Close-sync: only imported matters closed in Aderant and open in Clio Operate; never reopens."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from clients.clio_models import PhaseRef, PhaseTransition, WorkItemPhase
from plugin.close_sync import MAX_STEPS, NoPath, apply_close_sync, close_sync_dry_run, walk_to_phase
from sandbox.clio.seed import IMPORTED_WORK_ITEM_ID
from tests.sync.conftest import import_matter, set_status
from tests.views.conftest import Service


def runtime(service: Service):  # type: ignore[no-untyped-def]
    return service.client.app.state.runtime


def env(service: Service, environment_id: int = 1):  # type: ignore[no-untyped-def]
    return service.store.environment(service.organisation_id, environment_id)


def dry_run(service: Service, environment_id: int = 1):  # type: ignore[no-untyped-def]
    return service.client.portal.call(close_sync_dry_run, runtime(service).services, env(service, environment_id))


def test_lists_imported_matters_closed_in_aderant_and_open_in_clio_operate(service: Service) -> None:
    work_item = import_matter(service, "82001")
    assert dry_run(service) == []
    set_status(service, 82001, "CLOSE", date(2026, 10, 1))
    [candidate] = dry_run(service)
    assert (candidate.matter_number, candidate.work_item_id, candidate.close_date) == ("82001", work_item, date(2026, 10, 1))
    assert candidate.phase == "matter-discovery"


def test_applying_walks_the_phase_plan_to_the_closed_phase(service: Service) -> None:
    work_item = import_matter(service, "82001")
    set_status(service, 82001, "CLOSE", date(2026, 10, 1))
    outcomes = service.client.portal.call(apply_close_sync, runtime(service).services, env(service), "admin@sandbox.test")
    assert [(o.matter_number, o.closed) for o in outcomes] == [("82001", True)]
    assert "Handling → Closing → Closed" in outcomes[0].message  # the names people use
    assert service.tenant().state.work_items[work_item].phase.system_name == "matter-closed"
    assert dry_run(service) == []
    events = [e.type for e in service.store.audit_events(service.organisation_id)]
    assert "close_sync.applied" in events


def test_never_reopens_or_touches_what_it_should_not(service: Service) -> None:
    state = service.tenant().state
    # Reopened in Aderant after it was closed: open again, so left alone.
    reopened = import_matter(service, "82001")
    set_status(service, 82001, "CLOSE", date(2026, 9, 1))
    set_status(service, 82001, "OPEN", None)
    # Closed in Clio Operate but open in Aderant: left alone (and never reopened).
    closed_in_clio = import_matter(service, "82004")
    state.work_items[closed_in_clio].phase = state.phase_plan.phase("matter-closed")
    # Not imported by PMS Sync into UAT: 82003's work item exists in the UAT tenant, unrecorded there.
    # In Production it is recorded (the demo's earlier import), so there it is the one candidate.
    set_status(service, 82003, "CLOSE", date(2026, 9, 1))
    assert [c.matter_number for c in dry_run(service)] == ["82003"]
    assert [c.matter_number for c in dry_run(service, 2)] == []
    outcomes = service.client.portal.call(apply_close_sync, runtime(service).services, env(service, 2), "admin@sandbox.test")
    assert outcomes == []
    assert service.tenant("uat").state.work_items[IMPORTED_WORK_ITEM_ID].phase.is_open
    assert state.work_items[reopened].phase.system_name == "matter-discovery"
    assert state.work_items[closed_in_clio].phase.system_name == "matter-closed"


def test_a_matter_closed_in_aderant_and_in_clio_operate_is_left_alone(service: Service) -> None:
    state = service.tenant().state
    done = import_matter(service, "82004")
    state.work_items[done].phase = state.phase_plan.phase("matter-closed")
    set_status(service, 82004, "CLOSE", date(2026, 10, 2))
    still_open = import_matter(service, "82001")  # a real candidate beside it, so there is something to apply
    set_status(service, 82001, "CLOSE", date(2026, 10, 1))
    assert [c.work_item_id for c in dry_run(service)] == [still_open]
    service.calls.clear()
    outcomes = service.client.portal.call(apply_close_sync, runtime(service).services, env(service), "admin@sandbox.test")
    assert [(o.work_item_id, o.closed) for o in outcomes] == [(still_open, True)]
    assert state.work_items[done].phase.system_name == "matter-closed"
    assert not [c for c in service.calls.calls if done in c.path], "no call about the closed work item"
    applied = [e.data for e in service.store.audit_events(service.organisation_id) if e.type == "close_sync.applied"]
    assert [a["work_item_id"] for a in applied] == [still_open]


def test_a_matter_that_cannot_be_closed_is_reported_and_the_others_go_on(service: Service) -> None:
    state = service.tenant().state
    first = import_matter(service, "82001")
    second = import_matter(service, "82004")
    set_status(service, 82001, "CLOSE", date(2026, 10, 1))
    set_status(service, 82004, "CLOSE", date(2026, 10, 2))
    service.faults.add(f"/production/api/v1/public/workItem/{first}/phase", method="PUT", status=500)
    outcomes = {o.matter_number: o for o in service.client.portal.call(apply_close_sync, runtime(service).services, env(service), "admin")}
    assert not outcomes["82001"].closed and "HTTP 500" in outcomes["82001"].message
    assert outcomes["82004"].closed and state.work_items[second].phase.system_name == "matter-closed"
    assert outcomes["82004"].message == "Closed (Handling → Closing → Closed).", "the phases by the names people use"
    applied = [e.data for e in service.store.audit_events(service.organisation_id) if e.type == "close_sync.applied"]
    assert applied[-1]["phases"] == ["matter-handling", "matter-closing", "matter-closed"]


def test_status_reads_are_batched(service: Service) -> None:
    import_matter(service, "82001")
    import_matter(service, "82004")
    set_status(service, 82001, "CLOSE", date(2026, 10, 1))
    set_status(service, 82004, "CLOSE", date(2026, 10, 1))
    service.calls.clear()
    assert len(dry_run(service)) == 2
    paths = [c.path for c in service.calls.calls]
    assert paths.count("/aderant/v1/matter-statuses") == 1
    assert paths.count("/production/api/v1/public/workItem/findByQuery") == 1
    assert len(paths) == 2


class PhasedItem:
    """One work item answering `GET …/phase` with the moves its plan offers from where it is, and
    `PUT …/phase` only along one of them, as the public routes do (sharedo-tech/sharedo-sample-mobile-app
    `src/agents/phasesAgent.js`)."""

    def __init__(self, start: str, moves: dict[str, list[tuple[str, bool]]]) -> None:
        self.current, self.moves, self.calls = start, moves, []

    async def phase(self, work_item_id: str) -> WorkItemPhase:
        self.calls.append(("GET", self.current))
        offered = tuple(PhaseTransition(to, to, optimum, True) for to, optimum in self.moves.get(self.current, []))
        return WorkItemPhase(self.current, offered)

    async def set_phase(self, work_item_id: str, to_phase: str, description: str) -> PhaseRef:
        assert to_phase in {to for to, _ in self.moves.get(self.current, [])}, "not an available transition"
        self.calls.append(("PUT", to_phase))
        self.current = to_phase
        return PhaseRef(to_phase, to_phase.replace("-", " ").capitalize())


MATTER = {  # the demo matter plan of sharedo-tech/forum2024-02-S3's solution export
    "discovery": [("handling", True), ("abandoned", False)],
    "handling": [("closing", True), ("on-hold", False), ("abandoned", False)],
    "on-hold": [("handling", False)],
    "closing": [("closed", True)],
    "abandoned": [("handling", False)],
}


def walk(item: PhasedItem, start: str | None, target: str = "closed") -> list[str]:
    path = asyncio.run(walk_to_phase(item, "w-1", start, target, "Closed in Aderant"))  # type: ignore[arg-type]
    return [phase.system_name for phase in path]


def test_the_walk_follows_the_optimum_path_one_available_transition_at_a_time() -> None:
    item = PhasedItem("discovery", MATTER)
    assert walk(item, "discovery") == ["handling", "closing", "closed"]
    assert [c for c in item.calls if c[0] == "PUT"] == [("PUT", "handling"), ("PUT", "closing"), ("PUT", "closed")]
    assert walk(PhasedItem("closing", MATTER), "closing") == ["closed"]


def test_the_walk_takes_the_target_when_it_is_offered_off_the_optimum_path() -> None:
    assert walk(PhasedItem("handling", MATTER), "handling", "abandoned") == ["abandoned"]


def test_the_walk_reads_where_the_item_is_now_not_where_the_search_saw_it() -> None:
    assert walk(PhasedItem("closing", MATTER), "discovery") == ["closed"]


def test_no_way_to_the_closed_phase_is_a_plain_message() -> None:
    item = PhasedItem("on-hold", MATTER)
    with pytest.raises(NoPath) as caught:
        walk(item, "on-hold")
    assert str(caught.value) == (
        "No way from phase on-hold to closed (moves offered: handling): close it in Clio Operate."
    )
    assert not [c for c in item.calls if c[0] == "PUT"], "nothing moved"


def test_the_walk_is_bounded() -> None:
    chain = {f"p{n}": [(f"p{n + 1}", True)] for n in range(MAX_STEPS + 5)}
    item = PhasedItem("p0", chain)
    with pytest.raises(NoPath, match=f"closed was not reached in {MAX_STEPS} phase changes"):
        walk(item, "p0")
    assert len([c for c in item.calls if c[0] == "PUT"]) == MAX_STEPS


def test_a_matter_with_no_way_to_close_is_reported_and_the_others_close(service: Service) -> None:
    state = service.tenant().state
    stuck = import_matter(service, "82001")
    state.work_items[stuck].phase = state.phase_plan.phase("matter-on-hold")  # only "Resume" is offered
    other = import_matter(service, "82004")
    set_status(service, 82001, "CLOSE", date(2026, 10, 1))
    set_status(service, 82004, "CLOSE", date(2026, 10, 2))
    outcomes = {o.matter_number: o for o in service.client.portal.call(apply_close_sync, runtime(service).services, env(service), "admin")}
    assert not outcomes["82001"].closed
    assert outcomes["82001"].message == (
        "No way from phase matter-on-hold to matter-closed (moves offered: matter-handling): close it in Clio Operate."
    )
    assert state.work_items[stuck].phase.system_name == "matter-on-hold"
    assert outcomes["82004"].closed and state.work_items[other].phase.system_name == "matter-closed"


def test_applying_reads_each_phase_before_moving_it_and_never_calls_a_modeller_route(service: Service) -> None:
    for number in ("82001", "82004"):
        import_matter(service, number)
        set_status(service, int(number), "CLOSE", date(2026, 10, 1))
    service.calls.clear()
    service.client.portal.call(apply_close_sync, runtime(service).services, env(service), "admin")
    paths = [c.path for c in service.calls.calls]
    assert not [p for p in paths if "/modeller/" in p]
    assert len([p for p in paths if p.endswith("/phase")]) == 2 * 2 * 3, "per item: three moves, each read then made"


def test_a_matter_found_already_in_clio_operate_is_adopted_and_never_closed(service: Service) -> None:
    from sqlalchemy import text

    with service.store.engine.begin() as connection:
        connection.execute(text("UPDATE environment SET import_writes_enabled = :on WHERE id = 2"), {"on": True})
        connection.execute(text("UPDATE organisation SET settings_version = settings_version + 1"))  # as every save does
    # 82003's work item is in the UAT tenant, put there by something other than PMS Sync.
    response = service.client.post("/api/v1/matters/82003/import?environment=2", json={}, headers=service.bearer())
    assert response.status_code == 200 and response.json()["status"] == "already_imported"
    found = service.client.get("/api/v1/matters?environment=2&q=82003", headers=service.bearer()).json()["results"]
    assert [r["imported"] for r in found if r["matter_number"] == "82003"] == [True]
    set_status(service, 82003, "CLOSE", date(2026, 9, 1))

    assert dry_run(service, 2) == []
    assert service.tenant("uat").state.work_items[IMPORTED_WORK_ITEM_ID].phase.is_open
