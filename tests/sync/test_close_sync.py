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
    # Not imported by PMS Sync: 82003's work item exists in the UAT tenant, unrecorded there.
    set_status(service, 82003, "CLOSE", date(2026, 9, 1))
    assert dry_run(service) == [] or [c.matter_number for c in dry_run(service)] == ["82003"]
    assert [c.matter_number for c in dry_run(service, 2)] == []
    outcomes = service.client.portal.call(apply_close_sync, runtime(service).services, env(service, 2), "admin@sandbox.test")
    assert outcomes == []
    assert service.tenant("uat").state.work_items[IMPORTED_WORK_ITEM_ID].phase.is_open
    assert state.work_items[reopened].phase.system_name == "matter-discovery"
    assert state.work_items[closed_in_clio].phase.system_name == "matter-closed"


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
