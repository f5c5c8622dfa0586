"""Teams alerts from Settings → Status: one card when an environment runs into trouble (a hop
failing again and again, the SIEM backlog too old, scheduled runs failing), one when it is well
again, to the Teams webhook of the environment's schedule, where the firm already looks.

An incident is an environment with at least one problem; it stays one incident while its problems
change, so an outage that fails a hop and then the scheduled runs sends one card, not two.

With several replicas, each judges its own calls (the hops) and all read the same database (the
SIEM backlog, the scheduled runs). At every check a replica records in the store what it sees
wrong; the environment is in trouble while any replica heard from in the last `LIVE_CHECKS` check
intervals sees a problem, and well again when none does. The incident is kept in the store too,
and changed only by a compare-and-set: of the replicas that find it must open or close, one makes
the change and only that one sends the card. A restarted replica finds the open incident there
and sends nothing again. A card that cannot be posted undoes its change, so the next check, on
any replica, makes it again and sends the card once. (A replica killed between the change and
the post leaves the change made and its card unsent: the page still shows the incident.)
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from clients.errors import RemoteError
from clients.teams import Card, CardLink, CardText
from plugin.hop_statistics import HopStatistics
from plugin.services import EnvironmentSettings, Services
from plugin.status import AlertThresholds, Problem, environment_status
from store.incidents import Incident, IncidentStore

log = logging.getLogger(__name__)

LIVE_CHECKS = 3  # a replica not heard from for this many check intervals has stopped: it no longer counts


@dataclass(frozen=True)
class Change:
    kind: Literal["opened", "recovered"]
    incident: Incident  # as the change left it
    before: Incident | None  # as it was: put back when the card cannot be sent


class IncidentBook:
    """Each environment's incident, kept in the store and shared by every replica (blocking calls)."""

    def __init__(self, incidents: IncidentStore, *, replica: str, interval: timedelta) -> None:
        self.incidents = incidents
        self.replica = replica
        self.interval = interval  # between two checks of one replica

    def open_incident(self, organisation_id: int, environment_id: int) -> Incident | None:
        incident = self.incidents.incident(organisation_id, environment_id)
        return incident if incident is not None and incident.is_open else None

    def change(self, organisation_id: int, environment_id: int, problems: tuple[Problem, ...], now: datetime) -> Change | None:
        """Record that this replica sees `problems`, and open or close the environment's incident
        if every live replica's view says so; the change, if this replica made it, else None
        (nothing new, or another replica made it and tells Teams)."""
        seen = self.incidents.observe(
            organisation_id, environment_id, self.replica, problems, now, now - LIVE_CHECKS * self.interval
        )
        current = self.incidents.incident(organisation_id, environment_id)
        if seen and (current is None or not current.is_open):
            opened = self.incidents.open(organisation_id, environment_id, seen, now, current)
            return Change("opened", opened, current) if opened else None
        if not seen and current is not None and current.is_open:
            closed = self.incidents.close(organisation_id, environment_id, current, now)
            return Change("recovered", closed, current) if closed else None
        return None

    def undo(self, organisation_id: int, environment_id: int, change: Change) -> None:
        """Put the incident back as it was before `change`, whose card was not sent."""
        if not self.incidents.undo(organisation_id, environment_id, change.incident, change.before):
            log.warning("the incident of environment %s changed meanwhile: its %s card is not sent", environment_id, change.kind)


class StatusAlerts:
    """Checks every environment in use (the scheduler's job, every `interval`) and tells Teams what changed."""

    def __init__(
        self, services: Services, hops: HopStatistics, thresholds: AlertThresholds, *, public_url: str,
        replica: str, interval: timedelta,
    ) -> None:
        self.services = services
        self.hops = hops
        self.thresholds = thresholds
        self.public_url = public_url.rstrip("/")
        self.book = IncidentBook(services.store.incidents, replica=replica, interval=interval)
        self._checking = asyncio.Lock()  # one check at a time in this replica

    async def check_all(self) -> int:
        """Every organisation's environments; how many cards were sent."""
        async with self._checking:
            return await self._check_all()

    async def _check_all(self) -> int:
        sent = 0
        for organisation_id, environment_id in await self.services.db(self.services.store.status.environments_in_use):
            env = await self.services.db(self.services.store.environment, organisation_id, environment_id)
            if env is None:
                continue
            try:
                sent += await self.check(env)
            except Exception:  # one environment's trouble must not stop the others
                log.exception("status check of environment %s failed", environment_id)
        return sent

    async def check(self, env: EnvironmentSettings) -> int:
        """One environment: 1 when this replica sent a card, else 0."""
        status = await environment_status(self.services, self.hops, env, self.thresholds)
        schedule = await self.services.db(self.services.store.schedules.schedule, env.organisation_id, env.id)
        change = await self.services.db(self.book.change, env.organisation_id, env.id, status.problems, status.checked_at)
        if change is None or not schedule.teams_webhook:  # no webhook: nowhere to send it, the page shows it
            return 0
        link = f"{self.public_url}/settings/status?{urlencode({'environment': env.id})}"
        card = (
            incident_card(env.name, change.incident.problems, link) if change.kind == "opened"
            else recovery_card(env.name, change.incident, link)
        )
        try:
            await self.services.remotes.teams(schedule.teams_webhook, env).post_card(card)
        except Exception as exc:
            await self.services.db(self.book.undo, env.organisation_id, env.id, change)
            if not isinstance(exc, RemoteError):
                raise
            log.warning("status alert for environment %s not sent, tried again at the next check: %s", env.id, exc)
            return 0
        return 1


def incident_card(environment: str, problems: tuple[Problem, ...], link: str) -> Card:
    return _card(
        f"PMS Sync: {environment} needs attention",
        [problem.text for problem in problems],
        "PMS Sync sends one more message when this is resolved.",
        link,
    )


def recovery_card(environment: str, incident: Incident, link: str) -> Card:
    """The card of a closed `incident`."""
    if incident.closed_at is None:
        raise ValueError("the incident is still open")
    minutes = max(0, int((incident.closed_at - incident.opened_at).total_seconds() // 60))
    return _card(
        f"PMS Sync: {environment} is working again",
        [f"Resolved: {problem.text}" for problem in incident.problems],
        f"The trouble lasted about {minutes} min (since {incident.opened_at.astimezone(UTC):%H:%M} UTC).",
        link,
    )


def _card(title: str, lines: list[str], footer: str, link: str) -> Card:
    return Card(
        (CardText(title, "title"), CardText("\n".join(f"- {line}" for line in lines)), CardText(footer, "note")),
        (CardLink("Open Settings → Status", link),),
    )
