"""Settings → Status's Teams alerts with several replicas on one database (SQLite, or PostgreSQL
when PMS_SYNC_TEST_DATABASE_URL is set): one card per incident and one recovery card, whichever
replica sees the trouble, across restarts and cards Teams does not take.

Each replica is a `StatusAlerts` of its own, with its own hop statistics (fed the calls it made)
and its own name, sharing the service's store and the sandbox's Teams inbox."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session

from clients.teams import CardLink
from plugin.hop_statistics import HopStatistics
from plugin.status import AlertThresholds, Problem
from plugin.status_alerts import IncidentBook, StatusAlerts, incident_card, recovery_card
from store.incidents import IncidentStore
from store.models import AlertObservation, ScheduleRun
from store.schedules import ScheduleSettings
from tests.views.conftest import SERVICE, Service

WEBHOOK = "http://sandbox.test/teams/alerts"
OPENED, RECOVERED = "PMS Sync: Production needs attention", "PMS Sync: Production is working again"
INTERVAL = timedelta(seconds=30)


class Replica:
    def __init__(self, service: Service, name: str) -> None:
        self.service = service
        self.hops = HopStatistics()
        self.alerts = StatusAlerts(
            service.client.app.state.runtime.services, self.hops, AlertThresholds(),  # type: ignore[attr-defined]
            public_url=SERVICE, replica=name, interval=INTERVAL,
        )

    def agent_calls(self, outcome: str, times: int = 3) -> None:
        """Calls this replica made to Production's agent (3 failures in a row are a problem)."""
        for _ in range(times):
            self.hops.remote_call("aderant", "search_matters", outcome, 0.1, environment_id=1)

    def check(self) -> int:
        """Check now, as the scheduler's job does every tick; how many cards this replica sent."""
        return self.service.client.portal.call(self.alerts.check_all)  # type: ignore[union-attr]


def with_webhook(service: Service) -> Service:
    service.store.schedules.save(ScheduleSettings(service.organisation_id, 1), actor="admin", teams_webhook=WEBHOOK)
    return service


def cards(service: Service) -> list[str]:
    """The titles of the cards Teams has, in order."""
    return [m["attachments"][0]["content"]["body"][0]["text"] for m in service.sandbox.state.sandbox.teams.messages.get("alerts", [])]


def failed_runs(service: Service, outcome: str = "failed", times: int = 3) -> None:
    """Scheduled runs of Production: a problem every replica sees in the database."""
    with Session(service.store.engine) as session:
        for _ in range(times):
            session.add(ScheduleRun(organisation_id=service.organisation_id, environment_id=1, trigger="schedule", holder="h", outcome=outcome))
        session.commit()


def test_a_hop_failing_on_one_replica_sends_one_card_and_it_recovers_when_no_replica_sees_trouble(service: Service) -> None:
    with_webhook(service)
    a, b = Replica(service, "replica-a"), Replica(service, "replica-b")

    a.agent_calls("5xx")
    assert b.check() == 0 and cards(service) == [], "b saw nothing, and a had not said yet"
    assert a.check() == 1 and cards(service) == [OPENED]
    assert b.check() == 0 and cards(service) == [OPENED], "b is well, but a still sees the agent failing"
    assert a.check() == 0 and cards(service) == [OPENED], "one incident, one card"

    b.agent_calls("timeout")
    assert b.check() + a.check() == 0, "b failing too is the same incident"
    a.agent_calls("2xx", times=1)
    assert a.check() + b.check() + a.check() == 0 and cards(service) == [OPENED], "b still sees it failing"
    b.agent_calls("2xx", times=1)
    assert b.check() == 1 and cards(service) == [OPENED, RECOVERED]
    assert a.check() + b.check() == 0 and cards(service) == [OPENED, RECOVERED]


def test_replicas_checking_at_the_same_moment_send_each_card_once(service: Service) -> None:
    with_webhook(service)
    replicas = [Replica(service, f"replica-{n}") for n in range(3)]

    async def all_at_once() -> list[int]:
        return list(await asyncio.gather(*(r.alerts.check_all() for r in replicas)))

    failed_runs(service)
    for _ in range(3):
        assert sum(service.client.portal.call(all_at_once)) <= 1  # type: ignore[union-attr]
    assert cards(service) == [OPENED]
    failed_runs(service, "succeeded", times=1)
    for _ in range(3):
        assert sum(service.client.portal.call(all_at_once)) <= 1  # type: ignore[union-attr]
    assert cards(service) == [OPENED, RECOVERED]


def test_a_restarted_replica_does_not_send_an_open_incidents_card_again(service: Service) -> None:
    with_webhook(service)
    failed_runs(service)
    before = Replica(service, "replica-a")
    assert before.check() == 1 and cards(service) == [OPENED]

    after = Replica(service, "replica-a-restarted")  # a new process: a new name, no memory
    assert after.check() == 0 and after.check() == 0 and cards(service) == [OPENED]
    incident = IncidentStore(service.store.engine).incident(service.organisation_id, 1)
    assert incident is not None and incident.is_open and [p.key for p in incident.problems] == ["runs"]

    failed_runs(service, "succeeded", times=1)
    assert after.check() == 0 and cards(service) == [OPENED], "the stopped replica's last word (runs failing) still counts"
    with Session(service.store.engine) as session:  # three check intervals later, it no longer does
        session.execute(
            update(AlertObservation).where(AlertObservation.replica == "replica-a")  # type: ignore[arg-type]
            .values(checked_at=datetime.now(UTC) - 3 * INTERVAL - timedelta(seconds=1))
        )
        session.commit()
    assert after.check() == 1 and cards(service) == [OPENED, RECOVERED]


def test_a_card_teams_does_not_take_is_sent_at_a_later_check_once(service: Service) -> None:
    with_webhook(service)
    a, b = Replica(service, "replica-a"), Replica(service, "replica-b")
    incidents = IncidentStore(service.store.engine)
    service.faults.add("/teams/alerts", status=503)

    a.agent_calls("5xx")
    assert a.check() == 0 and cards(service) == []
    assert incidents.incident(service.organisation_id, 1) is None, "not told: not opened"
    service.faults.clear()
    assert b.check() == 1 and cards(service) == [OPENED], "the next check, on any replica, sends it"
    assert a.check() + b.check() == 0 and cards(service) == [OPENED]

    service.faults.add("/teams/alerts", status=503)
    a.agent_calls("2xx", times=1)
    assert a.check() == 0 and b.check() == 0 and cards(service) == [OPENED]
    still = incidents.incident(service.organisation_id, 1)
    assert still is not None and still.is_open, "the recovery was not told: the incident stays open"
    service.faults.clear()
    assert a.check() == 1 and cards(service) == [OPENED, RECOVERED]
    assert a.check() + b.check() == 0 and cards(service) == [OPENED, RECOVERED]


def test_an_environment_without_a_webhook_keeps_its_incident_without_sending(service: Service) -> None:
    a = Replica(service, "replica-a")
    a.agent_calls("5xx")
    assert a.check() == 0 and cards(service) == []
    incident = IncidentStore(service.store.engine).incident(service.organisation_id, 1)
    assert incident is not None and incident.is_open, "the page shows it; a webhook added later tells only what follows"
    with_webhook(service)
    assert a.check() == 0 and cards(service) == []


def test_the_book_tells_an_incident_once_then_its_recovery_once_with_its_cards(service: Service) -> None:
    book = IncidentBook(IncidentStore(service.store.engine), replica="replica-a", interval=INTERVAL)
    org = service.organisation_id
    now = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    down = (Problem("hop:agent", "Aderant agent: the last 3 calls failed (last: 5xx)"),)

    assert book.change(org, 1, (), now) is None, "nothing wrong, nothing to say"
    opened = book.change(org, 1, down, now)
    assert opened is not None and opened.kind == "opened" and opened.incident.problems == down
    worse = down + (Problem("runs", "Scheduled runs: the last 3 runs failed"),)
    assert book.change(org, 1, worse, now + timedelta(minutes=5)) is None, "the same incident: no second card"
    assert book.change(org, 2, (), now) is None, "another environment is not concerned"

    recovered = book.change(org, 1, (), now + timedelta(minutes=20))
    assert recovered is not None and recovered.kind == "recovered"
    assert recovered.incident.problems == down and recovered.incident.opened_at == now
    assert book.change(org, 1, (), now + timedelta(minutes=21)) is None

    book.undo(org, 1, recovered)  # Teams did not take the recovery card
    again = book.change(org, 1, (), now + timedelta(minutes=22))
    assert again is not None and again.kind == "recovered", "the next check makes the change again"

    card = recovery_card("Production", recovered.incident, "https://pms.example/s")
    title, lines, footer = card.body
    assert (title.text, title.style) == ("PMS Sync: Production is working again", "title")
    assert "about 20 min" in footer.text and "since 10:00 UTC" in footer.text
    assert "Resolved: Aderant agent" in lines.text
    assert incident_card("Production", down, "https://pms.example/s").links == (CardLink("Open Settings → Status", "https://pms.example/s"),)
