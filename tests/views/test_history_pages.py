"""History in the browser's pages and the JSON API: the organisation's time zone, people by display
name, rows that open their details, the date and user filters, all environments for the
organisation's administrators, and the CSV export."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from tests.boundary.conftest import ADMIN, PRODUCTION, STAFF, UAT, UAT_ONLY, csrf
from tests.store.test_history_store import attempt
from tests.views.conftest import Service

WHEN = datetime(2026, 12, 2, 13, 30, 5, tzinfo=UTC)  # 3 December 00:30:05 in Sydney


def set_zone(service: Service, zone: str) -> int:
    """As the signed-in administrator, save the organisation's time zone (Settings → Organisation)."""
    token = csrf(service.client.get("/settings/organisation").text)
    return service.client.post("/settings/organisation/time-zone", data={"csrf_token": token, "time_zone": zone}).status_code


def test_an_administrator_sets_the_time_zone_and_history_shows_times_in_it(service: Service) -> None:
    org = service.organisation_id
    attempt_id = attempt(service.store, org, PRODUCTION, "82001", STAFF, "imported", WHEN)
    service.sign_in(ADMIN)
    members = service.client.get("/settings/organisation").text
    assert 'id="organisation-time-zone"' in members and 'value="UTC"' in members
    assert set_zone(service, "Australia/Sydney") == 200
    assert service.store.time_zone(org) == "Australia/Sydney"
    [event] = [e for e in service.store.audit_events(org) if e.type == "organisation.changed"]
    assert (event.actor, event.data) == (ADMIN, {"field": "time_zone", "old": "UTC", "new": "Australia/Sydney"})

    history = service.client.get(f"/history?environment={PRODUCTION}").text
    assert "<th>When (Australia/Sydney)</th>" in history
    assert "<td>2026-12-03 00:30:05 AEDT</td>" in history and "13:30:05" not in history
    detail = service.client.get(f"/history/{attempt_id}?environment={PRODUCTION}").text
    assert "2026-12-03 00:30:05 AEDT (Australia/Sydney)" in detail
    service.store.schedules.start_run(org, PRODUCTION, trigger="run-now", holder="tests", now=WHEN)
    schedule = service.client.get(f"/history/schedule?environment={PRODUCTION}").text
    assert "<th>Started (Australia/Sydney)</th>" in schedule and "<td>2026-12-03 00:30:05 AEDT</td>" in schedule
    roles = service.client.get(f"/settings/roles?environment={PRODUCTION}").text
    assert re.search(r"Loaded from participant-roles.json by demo set-up on \d{4}-\d\d-\d\d \d\d:\d\d AE[DS]T", roles)


def test_a_time_zone_that_is_not_one_is_refused_and_staff_cannot_set_it(service: Service) -> None:
    service.sign_in(ADMIN)
    token = csrf(service.client.get("/settings/organisation").text)
    refused = service.client.post("/settings/organisation/time-zone", data={"csrf_token": token, "time_zone": "Mars/Olympus"})
    assert refused.status_code == 400 and "Mars/Olympus is not a time zone" in refused.text
    assert service.client.post("/settings/organisation/time-zone", data={"time_zone": "Europe/London"}).status_code == 403
    service.sign_in(STAFF)
    token = csrf(service.client.get("/history").text)
    staff = service.client.post("/settings/organisation/time-zone", data={"csrf_token": token, "time_zone": "Europe/London"})
    assert staff.status_code == 403
    assert service.store.time_zone(service.organisation_id) == "UTC"


def test_history_rows_name_people_and_open_their_details(service: Service) -> None:
    service.sign_in(STAFF)  # Sam Staff: remembered as they sign in
    attempt_id = attempt(service.store, service.organisation_id, PRODUCTION, "82001", STAFF, "imported", WHEN)
    history = service.client.get(f"/history?environment={PRODUCTION}").text
    details = f"/history/{attempt_id}?environment={PRODUCTION}"
    row = re.search(rf'<tr class="opens" data-href="{re.escape(details)}".*?</tr>', history, re.S)
    assert row is not None, history
    assert f'<a href="{details}">82001</a>' in row.group(0)
    assert f'<span title="{STAFF}">Sam Staff</span>' in row.group(0)
    assert '<script src="/static/history.js"></script>' in history
    opened = service.client.get(details)
    assert opened.status_code == 200 and "Matter 82001" in opened.text and f'title="{STAFF}">Sam Staff<' in opened.text
    assert service.client.get("/static/history.js").status_code == 200


def test_history_filters_by_user_and_days_in_the_page_and_the_api(service: Service) -> None:
    org = service.organisation_id
    service.sign_in(ADMIN)
    assert set_zone(service, "Australia/Sydney") == 200
    early = attempt(service.store, org, PRODUCTION, "82001", STAFF, "imported", datetime(2026, 12, 1, 1, tzinfo=UTC))
    late = attempt(service.store, org, PRODUCTION, "82002", ADMIN, "failed", WHEN)
    page = service.client.get(f"/history?environment={PRODUCTION}&user={STAFF}").text
    assert f'<option value="{STAFF}" selected>' in page and "82001</a>" in page and "82002</a>" not in page
    page = service.client.get(f"/history?environment={PRODUCTION}&from=2026-12-03&to=2026-12-03").text
    assert "82002</a>" in page and "82001</a>" not in page and 'value="2026-12-03"' in page

    def api(query: str) -> list[int]:
        response = service.client.get(f"/api/v1/history?environment={PRODUCTION}&{query}", headers=service.bearer(ADMIN))
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert api(f"user={ADMIN}") == [late]
    assert api("to=2026-12-02") == [early], "13:30 UTC on the 2nd is the 3rd in Sydney"
    assert api("from=2026-12-01&to=2026-12-03") == [late, early]
    bad = service.client.get("/api/v1/history?from=3/12/2026", headers=service.bearer(ADMIN))
    assert bad.status_code == 400 and bad.json()["error"] == "from must be a date such as 2026-12-03."
    backwards = service.client.get("/api/v1/history?from=2026-12-03&to=2026-12-01", headers=service.bearer(ADMIN))
    assert backwards.status_code == 400 and "From date is after the To date" in backwards.json()["error"]


def test_all_environments_for_the_organisations_administrators_only(service: Service) -> None:
    org = service.organisation_id
    in_prod = attempt(service.store, org, PRODUCTION, "82001", STAFF, "imported", WHEN)
    in_uat = attempt(service.store, org, UAT, "82002", STAFF, "refused", WHEN)
    service.sign_in(ADMIN)
    page = service.client.get(f"/history?environment={PRODUCTION}").text
    assert '<option value="all">All environments</option>' in page and "82002</a>" not in page
    everywhere = service.client.get(f"/history?environment={PRODUCTION}&environments=all").text
    assert "82001</a>" in everywhere and "82002</a>" in everywhere
    assert re.search(r"82002</a></td>.*?<td>UAT</td>", everywhere, re.S), "each row names its environment"
    items = service.client.get("/api/v1/history?environments=all", headers=service.bearer(ADMIN)).json()["items"]
    assert [(i["id"], i["environment"], i["environment_id"]) for i in items] == [(in_uat, "UAT", UAT), (in_prod, "Production", PRODUCTION)]

    service.sign_in(STAFF)
    page = service.client.get(f"/history?environment={PRODUCTION}").text
    assert "All environments" not in page and "82001</a>" in page and "82002</a>" not in page
    refused = service.client.get(f"/history?environment={PRODUCTION}&environments=all")
    assert refused.status_code == 403 and "Only administrators can see History across all environments" in refused.text
    api = service.client.get("/api/v1/history?environments=all", headers=service.bearer(STAFF))
    assert api.status_code == 403

    assert service.sign_in(UAT_ONLY, tenant="uat").status_code == 200  # an administrator of UAT alone
    page = service.client.get(f"/history?environment={UAT}").text
    assert "All environments" not in page
    assert service.client.get(f"/history?environment={UAT}&environments=all").status_code == 403


def test_the_csv_export_downloads_what_is_filtered(service: Service) -> None:
    org = service.organisation_id
    service.sign_in(STAFF)
    attempt(service.store, org, PRODUCTION, "=SUM(A1:A2)", STAFF, "refused", WHEN)
    attempt(service.store, org, PRODUCTION, "82001", STAFF, "imported", WHEN)
    attempt(service.store, org, UAT, "82002", STAFF, "imported", WHEN)
    page = service.client.get(f"/history?environment={PRODUCTION}&outcome=refused").text
    link = re.search(r'<a href="(/history\.csv\?[^"]+)" id="history-csv">', page)
    assert link is not None and "outcome=refused" in link.group(1)
    response = service.client.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert re.fullmatch(r'attachment; filename="pms-sync-history-Production-\d{4}-\d\d-\d\d\.csv"', response.headers["content-disposition"])
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["Started (UTC)", "Finished (UTC)", "Environment", "Matter"]
    assert [(r[2], r[3], r[4], r[5], r[7]) for r in rows[1:]] == [("Production", "'=SUM(A1:A2)", "Sam Staff", STAFF, "refused")]

    everything = list(csv.reader(io.StringIO(service.client.get(f"/history.csv?environment={PRODUCTION}").text)))
    assert [r[3] for r in everything[1:]] == ["82001", "'=SUM(A1:A2)"], "staff: only their environment"
    refused = service.client.get(f"/history.csv?environment={PRODUCTION}&environments=all")
    assert refused.status_code == 403 and "Only administrators" in refused.text

    service.sign_in(ADMIN)
    every_environment = service.client.get("/history.csv?environments=all")
    assert 'filename="pms-sync-history-all-environments-' in every_environment.headers["content-disposition"]
    assert [r[3] for r in list(csv.reader(io.StringIO(every_environment.text)))[1:]] == ["82002", "82001", "'=SUM(A1:A2)"]


def test_the_csv_export_needs_a_signed_in_caller(service: Service) -> None:
    attempt(service.store, service.organisation_id, PRODUCTION, "82001", STAFF, "imported", WHEN)
    response = service.client.get("/history.csv")
    assert response.status_code == 401 and "82001" not in response.text
    with_token = service.client.get("/history.csv", headers=service.bearer(STAFF))
    assert with_token.status_code == 200 and "82001" in with_token.text


def test_history_works_while_the_default_environments_tenant_does_not_answer(service: Service) -> None:
    """Whether a caller signed in through UAT administers the organisation is asked of Production:
    while Production does not answer, History is shown without the All environments choice."""
    attempt(service.store, service.organisation_id, UAT, "82002", STAFF, "refused", WHEN)
    assert service.sign_in(ADMIN, tenant="uat").status_code == 200
    service.faults.add("/production", match="prefix", status=503)
    page = service.client.get(f"/history?environment={UAT}")
    assert page.status_code == 200 and "82002</a>" in page.text
    assert "All environments" not in page.text
