"""History → Schedule, Close-sync and Auto-import as an administrator uses them: pages and forms over HTTP."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from store.leases import Leases
from store.schedules import ScheduleSettings
from tests.sync.conftest import import_matter, set_status
from tests.views.conftest import Service

SCHEDULE = "/history/schedule?environment=1"
RUN_NOW = "/history/schedule/run?environment=1"
CLOSE_SYNC = "/history/close-sync?environment=1"
AUTO_IMPORT = "/history/auto-import?environment=1"
WEBHOOK = (  # a Workflows webhook URL, shape from reference/relay-teams-siem.md §2.3
    "https://default0f1e2d3c.0f.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/"
    "5b1f0c2e/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=secret-signature"
)
VALID = {
    "enabled": "on", "interval_minutes": "15", "closed_phase": "matter-closed",
    "auto_import_clients": "cl080001, CL080002", "auto_import_since": "2026-01-01", "teams_webhook": WEBHOOK,
}


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def admin(service: Service, path: str = SCHEDULE) -> str:
    """Sign in as the administrator and open ``path``: the page's CSRF token."""
    service.sign_in("admin@sandbox.test")
    page = service.client.get(path)
    assert page.status_code == 200, page.text
    return csrf(page.text)


def field(html: str, name: str) -> str:
    """The value a text input of the schedule form shows (a list's: its option selected)."""
    listed = re.search(rf'<select[^>]* name="{name}"[^>]*>(.*?)</select>', html, re.S)
    if listed:
        chosen = re.search(r"<option([^>]*) selected>([^<]*)</option>", listed.group(1))
        assert chosen, f"an option of {name} is selected"
        value = re.search(r'value="([^"]*)"', chosen.group(1))
        return value.group(1) if value else chosen.group(2)
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)  # type: ignore[union-attr]


def checked(html: str, name: str) -> list[str]:
    """The values of the checkboxes called ``name`` (each candidate row has one)."""
    return re.findall(rf'<input type="checkbox" name="{name}" value="([^"]+)"', html)


def stored(service: Service) -> ScheduleSettings:
    return service.store.schedules.schedule(service.organisation_id, 1)


def schedule_events(service: Service) -> list[dict]:
    return [e.data for e in service.store.audit_events(service.organisation_id) if e.type == "settings.schedule_changed"]


def test_saving_the_schedule_stores_it_and_shows_it_back_without_the_webhook(service: Service) -> None:
    token = admin(service)
    response = service.client.post(SCHEDULE, data={"csrf_token": token, **VALID}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/history/schedule?environment=1&saved=1"
    saved = stored(service)
    assert (saved.enabled, saved.interval_minutes, saved.closed_phase) == (True, 15, "matter-closed")
    assert (saved.auto_import_clients, saved.auto_import_since, saved.teams_webhook) == (
        ("CL080001", "CL080002"), date(2026, 1, 1), WEBHOOK
    )
    page = service.client.get(response.headers["location"])
    assert "Schedule saved." in page.text
    assert 'name="enabled" checked' in page.text
    assert [field(page.text, n) for n in ("interval_minutes", "closed_phase", "auto_import_clients", "auto_import_since")] == [
        "15", "matter-closed", "CL080001 CL080002", "2026-01-01"
    ]
    assert "A webhook is set" in page.text and WEBHOOK not in page.text, "the webhook URL is a secret"


def test_an_invalid_interval_shows_the_reason_above_the_form_and_saves_nothing(service: Service) -> None:
    token = admin(service)
    before = stored(service)
    submitted = {**VALID, "interval_minutes": "every hour", "closed_phase": "custom-closed"}
    response = service.client.post(SCHEDULE, data={"csrf_token": token, **submitted}, follow_redirects=False)
    assert response.status_code == 400
    page = response.text
    alert = page.index("The interval must be a whole number of minutes.")
    assert alert < page.index('<form method="post" action="/history/schedule?environment=1"'), "the reason is above the form"
    assert "Type the Teams webhook again" in page and WEBHOOK not in page
    assert 'name="enabled" checked' in page
    assert [field(page, n) for n in ("interval_minutes", "closed_phase", "auto_import_clients", "auto_import_since")] == [
        "every hour", "custom-closed", "cl080001, CL080002", "2026-01-01"
    ], "the administrator's values, to correct"
    assert "Save schedule" in page and "Run now" in page and "Last runs" in page
    assert "Schedule saved." not in page
    assert stored(service) == before and schedule_events(service) == []

    out_of_range = service.client.post(SCHEDULE, data={"csrf_token": token, **VALID, "interval_minutes": "2"})
    assert out_of_range.status_code == 400 and "between 5 minutes and 7 days" in out_of_range.text
    assert field(out_of_range.text, "interval_minutes") == "2" and stored(service) == before


def test_a_retired_office_365_connector_url_is_refused_and_says_what_to_use_instead(service: Service) -> None:
    token = admin(service)
    before = stored(service)
    connector = "https://harbourlegal.webhook.office.com/webhookb2/0a1b@2c3d/IncomingWebhook/4e5f/6a7b"
    response = service.client.post(SCHEDULE, data={"csrf_token": token, **VALID, "teams_webhook": connector})
    assert response.status_code == 400
    page = html.unescape(response.text)
    assert "This is an Office 365 connector (Incoming Webhook) URL: Microsoft has retired those connectors" in page
    assert 'the template "Post to a channel when a webhook request is received"' in page
    assert connector not in page and stored(service) == before and schedule_events(service) == []


def test_run_now_records_a_run_and_lists_it_with_its_outcome_and_duration(service: Service) -> None:
    import_matter(service, "82001")
    set_status(service, 82001, "CLOSE", date(2026, 10, 1))
    token = admin(service)
    response = service.client.post(RUN_NOW, data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == SCHEDULE
    [run] = service.store.schedules.runs(service.organisation_id, 1)
    assert (run.trigger, run.outcome, run.close_sync_count, run.auto_import_count) == ("run-now", "succeeded", 1, 0)
    assert run.notification == "not sent: no Teams webhook is set" and run.finished_at is not None
    page = service.client.get(SCHEDULE).text
    assert "No runs yet." not in page
    [row] = re.findall(r"<tr>\s*<td>.*?</tr>", page.split('id="runs"')[1], flags=re.S)
    cells = [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
    duration = f"{(run.finished_at - run.started_at).total_seconds():.1f}"
    assert cells[1:7] == [["run-now"], ["succeeded"], [duration, "s"], ["1"], ["0"], ["1"]], "its status changed in Aderant"
    assert " ".join(cells[7]) == "not sent: no Teams webhook is set"


def test_a_refused_run_now_shows_the_reason_above_the_schedule_form(service: Service) -> None:
    service.store.schedules.save(
        ScheduleSettings(service.organisation_id, 1, interval_minutes=45), actor="admin@sandbox.test", teams_webhook=None
    )
    token = admin(service)
    # Another replica is running this schedule: it holds the environment's lease.
    assert Leases(service.store.engine).try_acquire("schedule:1", "replica-elsewhere", timedelta(minutes=5))
    response = service.client.post(RUN_NOW, data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 400
    page = response.text
    assert page.index("A run of this schedule is already in progress") < page.index('name="interval_minutes"')
    assert field(page, "interval_minutes") == "45" and "Save schedule" in page and "Run now" in page
    assert service.store.schedules.runs(service.organisation_id, 1) == []


def test_schedule_forms_without_a_valid_csrf_token_are_refused_and_change_nothing(service: Service) -> None:
    admin(service)
    before = stored(service)
    for path in (SCHEDULE, RUN_NOW):
        for token in ({}, {"csrf_token": "forged"}):
            response = service.client.post(path, data={**token, **VALID}, follow_redirects=False)
            assert response.status_code == 403, f"{path} {token}"
    assert stored(service) == before and schedule_events(service) == []
    assert service.store.schedules.runs(service.organisation_id, 1) == []


def test_close_sync_lists_the_dry_run_then_closes_only_the_chosen_matter(service: Service) -> None:
    state = service.tenant().state
    first, second = import_matter(service, "82001"), import_matter(service, "82004")
    set_status(service, 82001, "CLOSE", date(2026, 10, 1))
    set_status(service, 82004, "CLOSE", date(2026, 10, 2))
    token = admin(service, CLOSE_SYNC)
    page = service.client.get(CLOSE_SYNC).text
    assert sorted(checked(page, "work_item")) == sorted([first, second])
    assert "2026-10-01" in page and "Apply to all 2 matters" in page
    assert page.count('<td class="phase"><span class="named" title="matter-discovery">Discovery</span></td>') == 2
    assert {state.work_items[w].phase.system_name for w in (first, second)} == {"matter-discovery"}, "a dry run writes nothing"

    response = service.client.post(CLOSE_SYNC, data={"csrf_token": token, "work_item": first, "apply": "selected"})
    assert response.status_code == 200
    outcomes = response.text.split('id="outcomes"')[1].split("</ul>")[0]
    assert '<li class="ok"><span class="mono">82001</span>' in outcomes and "82004" not in outcomes
    assert state.work_items[first].phase.system_name == "matter-closed"
    assert state.work_items[second].phase.system_name == "matter-discovery"
    assert checked(response.text, "work_item") == [second], "the dry run again: only what is left"


def test_auto_import_lists_new_matters_and_imports_the_chosen_one_into_history(service: Service) -> None:
    service.store.schedules.save(
        ScheduleSettings(service.organisation_id, 1, auto_import_clients=("CL080001",), auto_import_since=date(2026, 1, 1)),
        actor="admin@sandbox.test", teams_webhook=None,
    )
    token = admin(service, AUTO_IMPORT)
    page = service.client.get(AUTO_IMPORT).text
    assert checked(page, "matter") == ["82001", "82004", "82008"] and "CL080001" in page
    assert service.store.imports.history(service.organisation_id) == [], "listing imports nothing"

    response = service.client.post(AUTO_IMPORT, data={"csrf_token": token, "matter": "82001", "apply": "selected"})
    assert response.status_code == 200
    outcomes = response.text.split('id="outcomes"')[1].split("</ul>")[0]
    assert '<span class="mono">82001</span>: <span class="outcome imported">imported</span>' in outcomes
    assert "82004" not in outcomes and checked(response.text, "matter") == ["82004", "82008"]
    [entry] = service.store.imports.history(service.organisation_id)
    assert (entry.matter_number, entry.outcome, entry.trigger, entry.user_name) == ("82001", "imported", "auto-import", "admin@sandbox.test")
    history = service.client.get("/history?environment=1").text
    assert re.search(
        r'<td class="mono"><a href="[^"]+">82001</a></td>\s*'
        r'<td><span title="admin@sandbox.test">Ada Admin</span> <span class="tag">auto-import</span></td>',
        history,
    ), "by display name (as signed in), the user name in a tooltip"


def ticked(html: str, name: str) -> list[str]:
    """The checkboxes called ``name`` that are ticked as the page arrives."""
    return [tag for tag in re.findall(rf'<input type="checkbox" name="{name}"[^>]*>', html) if re.search(r"\schecked\b", tag)]


def test_close_sync_starts_with_nothing_ticked_and_asks_before_closing(service: Service) -> None:
    first = import_matter(service, "82001")
    set_status(service, 82001, "CLOSE", date(2026, 10, 1))
    token = admin(service, CLOSE_SYNC)
    page = service.client.get(CLOSE_SYNC).text
    assert checked(page, "work_item") == [first] and ticked(page, "work_item") == []
    assert 'data-confirm="confirm-close"' in page and '<script src="/static/confirm.js">' in page
    dialog = page.split('<dialog id="confirm-close"')[1].split("</dialog>")[0]
    assert "Close matters in Production?" in dialog and '<strong data-fill="items"></strong> of 1 matters' in dialog
    assert '<span class="mono">matter-closed</span>' in dialog, "the phase they will be moved to"

    response = service.client.post(CLOSE_SYNC, data={"csrf_token": token, "apply": "selected"})
    assert response.status_code == 400 and "Tick the matters to close first: nothing was closed." in response.text
    assert checked(response.text, "work_item") == [first], "the list stays, to tick"
    assert service.tenant().state.work_items[first].phase.system_name == "matter-discovery"


def test_auto_import_shows_each_matters_parties_with_their_decisions_and_asks_before_importing(service: Service) -> None:
    service.store.schedules.save(
        ScheduleSettings(service.organisation_id, 1, auto_import_clients=("CL080001",), auto_import_since=date(2026, 1, 1)),
        actor="admin@sandbox.test", teams_webhook=None,
    )
    token = admin(service, AUTO_IMPORT)
    page = service.client.get(AUTO_IMPORT).text
    assert checked(page, "matter") == ["82001", "82004", "82008"] and ticked(page, "matter") == []
    row = page.split('<tr data-matter="82001">')[1].split("</tr>")[0]
    parties = [html.unescape(re.sub(r"<[^>]+>", "", item)).split() for item in re.findall(r"<li data-decision=[^>]*>(.*?)</li>", row)]
    assert ["Harbour", "Holdings", "Pty", "Ltd", "client", "—", "Link", "to", "existing:", "Harbour", "Holdings", "Pty", "Ltd"] in parties
    assert ["Mary", "Citizen", "witness", "—", "Create", "new"] in parties, "a look-alike is not linked without an exact match"
    links = row.count('data-decision="link"')
    creates = row.count('data-decision="create"')
    assert f'data-create="{creates}" data-link="{links}"' in row and links >= 1 and creates >= 1
    dialog = page.split('<dialog id="confirm-auto-import"')[1].split("</dialog>")[0]
    for fill in ("items", "create", "link"):
        assert f'<strong data-fill="{fill}"></strong>' in dialog
    assert service.store.imports.history(service.organisation_id) == [], "the plan imports nothing"

    response = service.client.post(AUTO_IMPORT, data={"csrf_token": token, "apply": "selected"})
    assert response.status_code == 400 and "Tick the matters to import first: nothing was imported." in response.text
    assert service.store.imports.history(service.organisation_id) == []
