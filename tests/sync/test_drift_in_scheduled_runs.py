"""A scheduled run counts the changes since import over every imported matter (read in batches),
records them with the run, and tells Teams when some can be applied; a failure to read them
leaves close-sync as it is."""

from __future__ import annotations

import re
from datetime import date

from plugin.close_sync import close_sync_dry_run
from sandbox.aderant_changes import AderantChanges
from tests.sync.conftest import import_matter, set_status
from tests.sync.test_auto_import_and_runs import runner, save_schedule, teams_messages
from tests.sync.test_drift_round_trips import GENERATED, SEARCH, drift_calls, seed_in_step
from tests.views.conftest import Service

DRIFT_LINK = "http://sandbox.test/production/portal/?pms-sync-panel=drift&pms-sync-environment=1"
SCHEDULE = "/history/schedule?environment=1"


def change_in_aderant(service: Service, number: str, changes: dict) -> None:
    aderant = AderantChanges(service.aderant_url)  # this test's own copy of the Aderant database
    try:
        aderant.change_matter(number, changes)
    finally:
        aderant.dispose()


def edit_in_clio(service: Service, work_item_id: str, attribute: str, value: str) -> None:
    service.tenant().state.work_items[work_item_id].attributes[attribute] = value


def card_texts(message: dict) -> list[str]:
    return [block["text"] for block in message["attachments"][0]["content"]["body"]]


def test_a_matter_changed_in_aderant_puts_a_drift_section_with_its_counts_on_the_card(service: Service) -> None:
    import_matter(service, "82001")
    edited = import_matter(service, "82004")
    change_in_aderant(service, "82001", {"title": "Renamed in Aderant", "add_parties": [{"name": "Tasman Insurance Ltd", "role": "INT"}]})
    edit_in_clio(service, edited, "aderant-office", "Perth")
    save_schedule(service, enabled=True)

    report = service.client.portal.call(runner(service).run_now, service.organisation_id, 1)

    assert (report.outcome, report.close_sync, report.auto_import, report.notification) == ("succeeded", 0, 0, "sent (attempt 1)")
    [message] = teams_messages(service)
    texts = card_texts(message)
    assert texts[1:] == [
        "Changes in Aderant since import",
        "- 1 matter has changes in Aderant to apply\n- 1 matter was edited in Clio Operate only\n- 1 party added in Aderant",
    ]
    card = message["attachments"][0]["content"]
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Review changes since import", "url": DRIFT_LINK}]
    [run] = service.store.schedules.runs(service.organisation_id, 1)
    assert run.drift == {
        "compared": 2, "not_compared": 1, "to_apply": 1, "conflicts": 0, "clio_only": 1, "parties_added": 1, "parties_removed": 0,
    }

    service.sign_in("admin@sandbox.test")
    page = service.client.get(SCHEDULE).text
    summary = page.split('id="drift-summary"')[1].split("</section>")[0]
    assert "2 imported matters compared, 1 could not be" in summary, "82003 was imported before baselines were kept"
    assert [re.sub(r"\s+", " ", li) for li in re.findall(r"<li>(.*?)</li>", summary)] == [
        "1 matter has changes in Aderant to apply", "1 matter was edited in Clio Operate only", "1 party added in Aderant",
    ]
    assert 'href="/history/drift?environment=1"' in summary


def test_no_drift_section_when_nothing_changed_in_aderant(service: Service) -> None:
    edited = import_matter(service, "82001")
    import_matter(service, "82004")
    edit_in_clio(service, edited, "aderant-office", "Perth")  # edited in Clio Operate only: nothing to apply
    save_schedule(service, enabled=True)

    report = service.client.portal.call(runner(service).run_now, service.organisation_id, 1)

    assert report.notification == "nothing to action" and teams_messages(service) == []
    assert report.drift is not None and (report.drift.compared, report.drift.to_apply, report.drift.clio_only) == (2, 0, 1)


def test_a_drift_read_failure_leaves_close_sync_working_and_says_why(service: Service) -> None:
    import_matter(service, "82001")
    set_status(service, 82001, "CLOSE", date(2026, 10, 1))
    save_schedule(service, enabled=True)
    service.faults.add("/aderant/v1/matter-details", status=503)  # drift's batched read; close-sync reads statuses

    report = service.client.portal.call(runner(service).run_now, service.organisation_id, 1)

    assert (report.close_sync, report.drift, report.notification) == (1, None, "sent (attempt 1)")
    [message] = teams_messages(service)
    texts = card_texts(message)
    assert any("82001" in t for t in texts) and "Changes in Aderant since import" not in texts
    [run] = service.store.schedules.runs(service.organisation_id, 1)
    assert (run.outcome, run.close_sync_count, run.drift) == ("failed", 1, None)
    assert run.error is not None and run.error.startswith("Changes since import could not be checked: ")
    assert "Aderant" in run.error

    service.sign_in("admin@sandbox.test")
    summary = service.client.get(SCHEDULE).text.split('id="drift-summary"')[1].split("</section>")[0]
    assert "The last run did not count them: Changes since import could not be checked" in summary


def test_the_run_reads_drift_in_batches_not_per_matter(service: Service) -> None:
    work_items, long_matters = seed_in_step(service)
    number = next(iter(work_items))
    change_in_aderant(service, number, {"title": "Renamed in Aderant"})
    save_schedule(service, enabled=True)
    services = service.client.app.state.runtime.services
    service.calls.clear()
    service.client.portal.call(close_sync_dry_run, services, service.store.environment(service.organisation_id, 1))
    close_sync_searches = sum(1 for c in service.calls.calls if c.path == SEARCH)
    service.calls.clear()

    report = service.client.portal.call(runner(service).run_now, service.organisation_id, 1)

    calls = drift_calls(service)
    assert GENERATED // 50 <= calls["details"] <= 2 * GENERATED // 50, "50 matters a call, a further one when they do not fit"
    assert calls["parties"] == long_matters
    assert calls["search"] == close_sync_searches + GENERATED // 100, "drift searches 100 work items a call"
    assert calls["work item"] == calls["participants"] == GENERATED, "key dates and participants: one read each per matter"
    assert report.drift is not None and (report.drift.compared, report.drift.to_apply) == (GENERATED, 1)
    assert report.drift.not_compared == 1, "82003, imported before baselines were kept"
