"""Close-sync: only imported matters closed in Aderant and open in Clio Operate; never reopens."""

from __future__ import annotations

from datetime import date

from plugin.close_sync import apply_close_sync, close_sync_dry_run, phase_path
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
    assert "matter-handling → matter-closing → matter-closed" in outcomes[0].message
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


PLAN = {
    "phases": [
        {"systemName": "discovery", "isOpen": True}, {"systemName": "handling", "isOpen": True},
        {"systemName": "closing", "isOpen": True}, {"systemName": "closed", "isOpen": False},
        {"systemName": "abandoned", "isOpen": False},
    ],
    "transitions": [
        {"fromPhaseSystemName": "discovery", "toPhaseSystemName": "handling"},
        {"fromPhaseSystemName": "discovery", "toPhaseSystemName": "abandoned"},
        {"fromPhaseSystemName": "handling", "toPhaseSystemName": "closing"},
        {"fromPhaseSystemName": "closing", "toPhaseSystemName": "closed"},
        {"fromPhaseSystemName": "abandoned", "toPhaseSystemName": "handling"},
    ],
}


def test_phase_paths() -> None:
    assert phase_path(PLAN, "discovery", "closed") == ["handling", "closing", "closed"]
    assert phase_path(PLAN, "closing", "closed") == ["closed"]
    assert phase_path(PLAN, "closed", "closed") == []
    assert phase_path(PLAN, "abandoned", "closed") is None, "never through a reopening"
    assert phase_path(PLAN, "discovery", "handling") is None, "the target must be a closed phase"
    assert phase_path(PLAN, "nowhere", "closed") is None


def test_a_matter_found_already_in_clio_operate_is_adopted_and_never_closed(service: Service) -> None:
    from sqlalchemy import text

    with service.store.engine.begin() as connection:
        connection.execute(text("UPDATE environment SET import_writes_enabled = :on WHERE id = 2"), {"on": True})
    # 82003's work item is in the UAT tenant, put there by something other than PMS Sync.
    response = service.client.post("/api/v1/matters/82003/import?environment=2", json={}, headers=service.bearer())
    assert response.status_code == 200 and response.json()["status"] == "already_imported"
    found = service.client.get("/api/v1/matters?environment=2&q=82003", headers=service.bearer()).json()["results"]
    assert [r["imported"] for r in found if r["matter_number"] == "82003"] == [True]
    set_status(service, 82003, "CLOSE", date(2026, 9, 1))

    assert dry_run(service, 2) == []
    assert service.tenant("uat").state.work_items[IMPORTED_WORK_ITEM_ID].phase.is_open
