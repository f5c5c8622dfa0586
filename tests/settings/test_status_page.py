"""Settings → Status against the in-process service and sandbox: the figures come from the
service's own calls and from the store; administrators only, one organisation's environments only;
Teams hears of an incident once, and once more when it is over."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session

from store.models import AuditEvent, ContactClaim, Environment, ImportAttempt, MatterImport, ScheduleRun
from store.schedules import ScheduleSettings
from tests.environments import save_environment
from tests.settings.conftest import ADMIN, STAFF
from tests.views.conftest import Service

PAGE = "/settings/status?environment=1"
WEBHOOK = "http://sandbox.test/teams/alerts"


def hop_row(html: str, hop: str) -> str:
    found = re.search(rf'<tr data-hop="{hop}".*?</tr>', html, re.S)
    assert found, f"no row for the {hop} hop"
    return found.group(0)


def figure(row: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">(.*?)</td>', row, re.S)
    assert found, f"no {name} figure"
    return re.sub(r"<[^>]+>", "", found.group(1)).split()[0]


def search(service: Service, times: int = 1) -> list[int]:
    return [
        service.client.get("/api/v1/matters", params={"q": "82001"}, headers=service.bearer()).status_code
        for _ in range(times)
    ]


def test_an_administrator_sees_each_hop_from_real_traffic_with_a_chart_and_its_figures(service: Service) -> None:
    assert search(service, 2) == [200, 200]
    service.faults.add("/aderant/*", status=500, times=1)
    assert search(service) == [502]
    service.sign_in(ADMIN)

    page = service.client.get(PAGE)

    assert page.status_code == 200
    assert "Since this replica started, last hour" in page.text
    agent = hop_row(page.text, "agent")
    assert figure(agent, "calls") == "3" and figure(agent, "error-rate") == "33%"
    assert 'data-state="failing"' in agent and "1 call failed in a row (last: 5xx)" in agent
    database = hop_row(page.text, "database")
    assert figure(database, "calls") == "2" and figure(database, "error-rate") == "0%", "the sandbox answered, not the agent"
    assert figure(database, "p95") != "—"
    api = hop_row(page.text, "api")
    assert 'data-state="ok"' in api and figure(api, "error-rate") == "0%", "signing in asked the API"
    chart = re.search(r"<svg.*?</svg>", agent, re.S).group(0)  # type: ignore[union-attr]
    assert 'role="img"' in chart and 'aria-labelledby="chart-agent-title chart-agent-desc"' in chart
    assert '<title id="chart-agent-title">' in chart and "1 minutes with failures" in chart
    assert chart.count('class="failure"') == 1
    assert "Never tested." in page.text and "No SIEM webhook is set" in page.text


def test_the_page_shows_todays_imports_the_siem_backlog_and_what_is_stuck(service: Service) -> None:
    now = datetime.now(UTC)
    org = service.organisation_id
    with Session(service.store.engine) as session:
        session.get_one(Environment, 1).siem_url = "https://siem.example/hook"
        session.execute(update(AuditEvent).values(delivered_at=now))  # nothing waits but what follows
        for outcome in ("imported", "imported", "failed"):
            session.add(ImportAttempt(organisation_id=org, environment_id=1, matter_number="82001", user_name="a", outcome=outcome))
        session.add(ImportAttempt(
            organisation_id=org, environment_id=1, matter_number="82001", user_name="a", outcome="failed",
            started_at=now - timedelta(days=2),
        ))
        session.add(MatterImport(
            organisation_id=org, environment_id=1, matter_uno="1", matter_number="82005", status="in_progress",
            imported_by="a@firm", lease_expires_at=now - timedelta(minutes=5),
        ))
        session.add(MatterImport(
            organisation_id=org, environment_id=1, matter_uno="2", matter_number="82006", status="in_progress",
            imported_by="a@firm", lease_expires_at=now + timedelta(minutes=5),
        ))
        session.add(MatterImport(
            organisation_id=org, environment_id=1, matter_uno="3", matter_number="82007", status="unknown", imported_by="b@firm",
        ))
        session.add(ContactClaim(organisation_id=org, environment_id=1, name_uno=9, status="unknown", holder="x"))
        session.add(AuditEvent(
            organisation_id=org, environment_id=1, type="import.succeeded", occurred_at=now - timedelta(minutes=40),
            last_error="HTTP 503 from the SIEM", next_attempt_at=now + timedelta(days=1),  # not tried again meanwhile
        ))
        session.add(ScheduleRun(organisation_id=org, environment_id=1, trigger="schedule", holder="h", outcome="failed", error="agent down"))
        session.commit()
    service.sign_in(ADMIN)

    text = service.client.get(PAGE).text

    assert re.search(r'data-outcome="imported">2<', text) and re.search(r'data-outcome="failed">1<', text)
    stuck = text.split('id="stuck"', 1)[1].split("</section>", 1)[0]
    assert "82005" in stuck and "82007" in stuck and "82006" not in stuck, "only the claim past its time is stuck"
    assert "1 contact create with an unknown outcome" in stuck
    assert re.search(r'data-figure="siem-oldest">4\d min<', text), "the oldest event waits for about 40 minutes"
    assert "HTTP 503 from the SIEM" in text
    assert "SIEM: " in text.split('id="status-problems"', 1)[1].split("</div>", 1)[0], "older than the 15 min threshold"
    assert "agent down" in text and "1 run failed in a row." in text


def test_staff_are_refused_and_other_organisations_environments_are_not_shown(service: Service) -> None:
    other = service.store.create_organisation("Other firm", ["system-administrator"])
    foreign = save_environment(
        service.store, other, "Production", identity_url="https://other-identity.test", api_url="https://other.test",
        client_id="c", client_secret="s", agent_url="https://agent.other.test", agent_key="k",
    )
    service.sign_in(STAFF)
    refused = service.client.get(PAGE)
    assert refused.status_code == 403 and "Only administrators" in refused.text and "data-hop" not in refused.text

    service.client.cookies.clear()
    service.sign_in(ADMIN)
    assert service.client.get(PAGE).status_code == 200
    response = service.client.get(f"/settings/status?environment={foreign}")
    assert response.status_code == 404 and "data-hop" not in response.text


def test_teams_hears_of_a_failing_hop_once_and_once_more_when_it_recovers(service: Service) -> None:
    service.store.schedules.save(ScheduleSettings(service.organisation_id, 1), actor="admin", teams_webhook=WEBHOOK)
    alerts = service.client.app.state.runtime.alerts  # type: ignore[attr-defined]
    inbox = service.sandbox.state.sandbox.teams.messages

    def check() -> list[str]:
        """Check now (as the scheduler's job does every tick); the titles of the cards Teams has."""
        service.client.portal.call(alerts.check_all)  # type: ignore[union-attr]
        return [m["attachments"][0]["content"]["body"][0]["text"] for m in inbox.get("alerts", [])]

    opened, recovered = "PMS Sync: Production needs attention", "PMS Sync: Production is working again"
    service.sign_in(ADMIN)
    service.faults.add("/aderant/*", status=500)
    assert search(service, 2) == [502, 502]
    assert check() == [], "two failures in a row are under the threshold of three"
    assert search(service) == [502]
    assert check() == [opened] and check() == [opened]
    assert search(service) == [502]
    assert check() == [opened], "the same incident: no second card"
    card = inbox["alerts"][0]["attachments"][0]["content"]
    assert "Aderant agent: the last 3 calls failed (last: 5xx)" in card["body"][1]["text"]
    assert card["actions"][0]["url"].endswith("/settings/status?environment=1")
    assert "An incident is open since" in service.client.get(PAGE).text

    service.faults.clear()
    assert search(service) == [200]
    assert check() == [opened, recovered] and check() == [opened, recovered]
    assert "Resolved: Aderant agent" in inbox["alerts"][1]["attachments"][0]["content"]["body"][1]["text"]
    assert "An incident is open since" not in service.client.get(PAGE).text
