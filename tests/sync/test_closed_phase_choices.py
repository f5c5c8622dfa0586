"""History → Schedule offers the closed phase as a list of the phases known to close a matter,
with another phase typed in when Clio Operate's phase plan has a different one."""

from __future__ import annotations

import re
from datetime import date

from tests.sync.conftest import import_matter, set_status
from tests.sync.test_sync_pages import CLOSE_SYNC, SCHEDULE, VALID, admin, stored
from tests.views.conftest import Service


def options(page: str) -> list[str]:
    listed = re.search(r'<select id="closed_phase" name="closed_phase"[^>]*>(.*?)</select>', page, re.S)
    assert listed, "the closed phase is a list"
    return [o.strip() for o in re.findall(r"<option[^>]*>([^<]*)</option>", listed.group(1))]


def test_the_list_holds_the_configured_phase_those_close_sync_reached_and_the_default(service: Service) -> None:
    token = admin(service)
    assert options(service.client.get(SCHEDULE).text) == ["matter-closed", "Another phase (type it below)"]
    service.store.schedules.record_event(
        "close_sync.applied", service.organisation_id, 1, "admin@sandbox.test",
        {"matter_number": "82001", "work_item_id": "w1", "phases": ["matter-closing", "matter-archived"]},
    )
    service.store.schedules.record_event(  # another environment's: not offered here
        "close_sync.applied", service.organisation_id, 2, "admin@sandbox.test",
        {"matter_number": "82001", "work_item_id": "w2", "phases": ["uat-closed"]},
    )
    assert options(service.client.get(SCHEDULE).text) == ["matter-archived", "matter-closed", "Another phase (type it below)"]

    typed = {**VALID, "closed_phase": "", "closed_phase_other": " matter-completed "}
    assert service.client.post(SCHEDULE, data={"csrf_token": token, **typed}, follow_redirects=False).status_code == 303
    assert stored(service).closed_phase == "matter-completed"
    page = service.client.get(SCHEDULE).text
    assert options(page) == ["matter-archived", "matter-closed", "matter-completed", "Another phase (type it below)"]
    assert '<option value="matter-completed" selected>matter-completed</option>' in page

    chosen = {**VALID, "closed_phase": "matter-archived", "closed_phase_other": ""}
    assert service.client.post(SCHEDULE, data={"csrf_token": token, **chosen}, follow_redirects=False).status_code == 303
    assert stored(service).closed_phase == "matter-archived"


def test_a_phase_close_sync_was_told_the_name_of_is_listed_by_it_with_its_system_name_as_tooltip(service: Service) -> None:
    admin(service)
    service.store.schedules.record_event(  # recorded before phase names were: the system name only
        "close_sync.applied", service.organisation_id, 1, "admin@sandbox.test",
        {"matter_number": "82004", "work_item_id": "w0", "phases": ["matter-archived"]},
    )
    service.store.schedules.record_event(
        "close_sync.applied", service.organisation_id, 1, "admin@sandbox.test",
        {"matter_number": "82001", "work_item_id": "w1", "phases": ["matter-closing", "matter-closed"],
         "phase_names": ["Closing", "Closed"]},
    )
    page = service.client.get(SCHEDULE).text
    assert options(page) == ["matter-archived", "Closed", "Another phase (type it below)"]
    assert '<option value="matter-closed" title="matter-closed" selected>Closed</option>' in page
    assert '<option value="matter-archived">matter-archived</option>' in page


def test_no_phase_chosen_or_typed_is_refused_in_plain_words(service: Service) -> None:
    token = admin(service)
    before = stored(service)
    response = service.client.post(SCHEDULE, data={"csrf_token": token, **VALID, "closed_phase": "", "closed_phase_other": ""})
    assert response.status_code == 400 and "Name the Clio Operate phase that closes a matter" in response.text
    assert stored(service) == before


def test_once_close_sync_has_closed_a_matter_it_names_the_closed_phase_as_clio_operate_does(service: Service) -> None:
    first, second = import_matter(service, "82001"), import_matter(service, "82004")
    set_status(service, 82001, "CLOSE", date(2026, 10, 1))
    set_status(service, 82004, "CLOSE", date(2026, 10, 2))
    token = admin(service, CLOSE_SYNC)
    dialog = lambda page: page.split('<dialog id="confirm-close"')[1].split("</dialog>")[0]  # noqa: E731
    assert '<span class="mono">matter-closed</span>' in dialog(service.client.get(CLOSE_SYNC).text), "not known yet"

    closed = service.client.post(CLOSE_SYNC, data={"csrf_token": token, "apply": "selected", "work_item": first})

    assert closed.status_code == 200 and "Closed (Handling → Closing → Closed)." in closed.text
    assert '<span class="named" title="matter-closed">Closed</span>' in dialog(closed.text), "the other matter's confirmation"
    assert f'value="{second}"' in closed.text
    assert '<option value="matter-closed" title="matter-closed" selected>Closed</option>' in service.client.get(SCHEDULE).text
