"""Teams alerts from Settings → Status: one card when an environment runs into trouble (a hop
failing again and again, the SIEM backlog too old, scheduled runs failing), one when it is well
again, to the Teams webhook of the environment's schedule, where the firm already looks.

An incident is an environment with at least one problem; it stays one incident while its problems
change, so an outage that fails a hop and then the scheduled runs sends one card, not two. Which
incidents are open is kept in this process's memory: each replica judges its own calls and sends
its own cards, and a restarted replica sends the card of an incident still going on once more.
A card that cannot be posted leaves the incident as it was, so the next check tries again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal
from urllib.parse import urlencode

from clients.errors import RemoteError
from plugin.hop_statistics import HopStatistics
from plugin.services import EnvironmentSettings, Services
from plugin.status import AlertThresholds, Problem, environment_status
from store.status import StatusStore

log = logging.getLogger(__name__)

Card = dict[str, Any]


@dataclass(frozen=True)
class Incident:
    problems: tuple[Problem, ...]
    since: datetime


@dataclass(frozen=True)
class Change:
    kind: Literal["opened", "recovered"]
    incident: Incident


class IncidentBook:
    """Each environment's open incident, if any (in memory). `change` says what a check found;
    `settle` records it once its card went out."""

    def __init__(self) -> None:
        self._open: dict[int, Incident] = {}

    def open_incident(self, environment_id: int) -> Incident | None:
        return self._open.get(environment_id)

    def change(self, environment_id: int, problems: tuple[Problem, ...], now: datetime) -> Change | None:
        """What to tell Teams about the environment now that it has `problems`; None: nothing new."""
        current = self._open.get(environment_id)
        if problems and current is None:
            return Change("opened", Incident(problems, now))
        if not problems and current is not None:
            return Change("recovered", current)
        return None

    def settle(self, environment_id: int, change: Change) -> None:
        if change.kind == "opened":
            self._open[environment_id] = change.incident
        else:
            self._open.pop(environment_id, None)


class StatusAlerts:
    """Checks every environment in use (the scheduler's job) and tells Teams what changed."""

    def __init__(
        self, services: Services, hops: HopStatistics, thresholds: AlertThresholds, *, public_url: str,
        book: IncidentBook | None = None,
    ) -> None:
        self.services = services
        self.hops = hops
        self.thresholds = thresholds
        self.public_url = public_url.rstrip("/")
        self.book = book or IncidentBook()
        self._checking = asyncio.Lock()  # one check at a time, so two cannot both send a change

    async def check_all(self) -> int:
        """Every organisation's environments; how many cards were sent."""
        async with self._checking:
            return await self._check_all()

    async def _check_all(self) -> int:
        sent = 0
        for organisation_id, environment_id in await self.services.db(StatusStore(self.services.store.engine).environments_in_use):
            env = await self.services.db(self.services.store.environment, organisation_id, environment_id)
            if env is None:
                continue
            try:
                sent += await self.check(env)
            except Exception:  # one environment's trouble must not stop the others
                log.exception("status check of environment %s failed", environment_id)
        return sent

    async def check(self, env: EnvironmentSettings) -> int:
        """One environment: 1 when a card was sent, else 0."""
        status = await environment_status(self.services, self.hops, env, self.thresholds)
        change = self.book.change(env.id, status.problems, status.checked_at)
        if change is None:
            return 0
        schedule = await self.services.db(self.services.store.schedules.schedule, env.organisation_id, env.id)
        if not schedule.teams_webhook:
            self.book.settle(env.id, change)  # nowhere to send it: the page shows it
            return 0
        link = f"{self.public_url}/settings/status?{urlencode({'environment': env.id})}"
        card = (
            incident_card(env.name, change.incident.problems, link) if change.kind == "opened"
            else recovery_card(env.name, change.incident, status.checked_at, link)
        )
        try:
            await self.services.connections.teams(schedule.teams_webhook, env).post_card(card)
        except RemoteError as exc:
            log.warning("status alert for environment %s not sent, tried again at the next check: %s", env.id, exc)
            return 0
        self.book.settle(env.id, change)
        return 1


def incident_card(environment: str, problems: tuple[Problem, ...], link: str) -> Card:
    return _card(
        f"PMS Sync: {environment} needs attention",
        [problem.text for problem in problems],
        "PMS Sync sends one more message when this is resolved.",
        link,
    )


def recovery_card(environment: str, incident: Incident, now: datetime, link: str) -> Card:
    minutes = max(0, int((now - incident.since).total_seconds() // 60))
    return _card(
        f"PMS Sync: {environment} is working again",
        [f"Resolved: {problem.text}" for problem in incident.problems],
        f"The trouble lasted about {minutes} min (since {incident.since.astimezone(timezone.utc):%H:%M} UTC).",
        link,
    )


def _card(title: str, lines: list[str], footer: str, link: str) -> Card:
    """An Adaptive Card 1.4, as the scheduled run's cards (plugin/notifications.py)."""
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": True, "text": title},
            {"type": "TextBlock", "wrap": True, "text": "\n".join(f"- {line}" for line in lines)},
            {"type": "TextBlock", "wrap": True, "isSubtle": True, "text": footer},
        ],
        "actions": [{"type": "Action.OpenUrl", "title": "Open Settings → Status", "url": link}],
    }
