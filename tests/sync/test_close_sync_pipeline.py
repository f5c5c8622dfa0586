"""Close-sync as a pipeline over many imported matters: Clio Operate searches start while the
agent is still reading, and matters found closed in both systems are skipped by later runs."""

from __future__ import annotations

import pytest

from benchmarks.close_sync import CLOSED_PHASE, close_in_aderant, seed_imports, seed_work_items
from clients.errors import RemoteError
from plugin.close_sync import close_sync_dry_run
from tests.views.conftest import Service

GENERATED = 300  # tests/sync/conftest.py's Aderant template: MATTER_UNO 100000 on
STATUSES = "/aderant/v1/matter-statuses"
SEARCH = "/production/api/v1/public/workItem/findByQuery"


def seed(service: Service, clio_closed_share: float = 0.0) -> dict[str, str]:
    """Every generated matter imported into Production (after the demo's 82003) and closed in Aderant;
    MATTER_UNO → work item id."""
    work_items = seed_work_items(service.tenant().state, GENERATED, clio_closed_share)
    seed_imports(service.store, service.organisation_id, 1, work_items)
    close_in_aderant(service.aderant_url, list(work_items), 1.0)
    return work_items


def dry_run(service: Service):  # type: ignore[no-untyped-def]
    services = service.client.app.state.runtime.services
    return service.client.portal.call(close_sync_dry_run, services, service.store.environment(service.organisation_id, 1))


def test_clio_operate_searches_start_before_the_agent_has_read_every_page(service: Service) -> None:
    work_items = seed(service)
    # The first page (82003 and 199 generated matters) answers at once, the second two seconds later.
    service.faults.add(STATUSES, times=1)
    service.faults.add(STATUSES, delay=2.0)
    service.calls.clear()
    found = dry_run(service)
    assert {c.work_item_id for c in found} == set(work_items.values())
    calls = service.calls.calls
    pages = [c for c in calls if c.path == STATUSES]
    searches = [c for c in calls if c.path == SEARCH]
    assert (len(pages), len(searches)) == (2, 3), "200 + 101 imported matters; 300 closed in Aderant, 100 a search"
    last_page_done = max(c.finished for c in pages)
    assert min(c.started for c in searches) < last_page_done, "a search started while the agent was still reading"


def test_matters_closed_in_both_systems_are_skipped_from_the_next_run(service: Service) -> None:
    work_items = seed(service, clio_closed_share=0.5)
    state = service.tenant().state
    closed_in_clio = {w for w in work_items.values() if state.work_items[w].phase.system_name == CLOSED_PHASE}
    assert len(closed_in_clio) == GENERATED // 2

    service.calls.clear()
    first = dry_run(service)
    first_calls = [c.path for c in service.calls.calls]
    service.calls.clear()
    second = dry_run(service)
    second_calls = [c.path for c in service.calls.calls]

    assert first == second and {c.work_item_id for c in first} == set(work_items.values()) - closed_in_clio
    # First: 2 pages; 3 searches for the 300 closed in Aderant; 2 for the 150 not open among them.
    assert (first_calls.count(STATUSES), first_calls.count(SEARCH)) == (2, 5)
    # Then only 82003 and the 150 still open in Clio Operate are read: 1 page, 2 searches.
    assert (second_calls.count(STATUSES), second_calls.count(SEARCH)) == (1, 2)
    remaining = service.store.schedules.imported_matters(service.organisation_id, 1)
    skipped = {m.work_item_id for m in remaining} - {
        m.work_item_id for m in service.store.schedules.imported_page(service.organisation_id, 1, after=None, limit=1000)
    }
    assert skipped == closed_in_clio


def test_a_matter_deleted_in_clio_operate_is_not_recorded_as_closed_in_both(service: Service) -> None:
    work_items = seed(service)
    deleted = work_items["100000"]
    service.tenant().state.delete_work_item(deleted)
    assert deleted not in {c.work_item_id for c in dry_run(service)}
    pages = service.store.schedules.imported_page(service.organisation_id, 1, after=None, limit=1000)
    assert deleted in {m.work_item_id for m in pages}, "neither open nor closed: not skipped"


@pytest.mark.parametrize("path", [STATUSES, SEARCH])
def test_a_failing_call_fails_the_dry_run_with_its_own_error(service: Service, path: str) -> None:
    seed(service)
    service.faults.add(path, status=500, times=1)
    with pytest.raises(RemoteError, match="500"):
        dry_run(service)
