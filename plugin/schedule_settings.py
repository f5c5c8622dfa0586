"""History → Schedule: reading and saving an environment's schedule, with plain validation, and its runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clients.teams import webhook_url_problem
from plugin.auto_import import clean_client_codes
from plugin.errors import InvalidInput
from plugin.services import Services
from store.repository import EnvironmentSettings
from store.schedules import RunRecord, ScheduleSettings

__all__ = [
    "ClosedPhase",
    "RunRecord",
    "ScheduleSettings",
    "closed_phase",
    "closed_phase_choices",
    "recent_runs",
    "save_schedule",
    "schedule_of",
]

MIN_INTERVAL, MAX_INTERVAL = 5, 7 * 24 * 60
DEFAULT_CLOSED_PHASE = ScheduleSettings.closed_phase  # the closed phase of Sharedo's demo matter type


@dataclass(frozen=True)
class ClosedPhase:
    """A phase that closes a matter: its system name, and the name Clio Operate shows people when
    close-sync has been told it (None until then)."""

    system_name: str
    name: str | None = None


async def schedule_of(services: Services, env: EnvironmentSettings) -> ScheduleSettings:
    """The environment's schedule (the defaults when none was saved)."""
    return await services.db(services.store.schedules.schedule, env.organisation_id, env.id)


async def recent_runs(services: Services, env: EnvironmentSettings) -> list[RunRecord]:
    """The environment's latest runs, newest first."""
    return await services.db(services.store.schedules.runs, env.organisation_id, env.id)


async def closed_phase_choices(services: Services, env: EnvironmentSettings, configured: str) -> list[ClosedPhase]:
    """The phases known to close a matter in the environment: the one configured, those close-sync
    has walked work items to, and the default. Clio Operate lists a work type's phases only on a
    modeller route that needs an administrator's portal session, so any other is typed in, and a
    phase's name is known only from the answer to a phase change close-sync made."""
    reached = await services.db(services.store.schedules.closed_phases_reached, env.organisation_id, env.id)
    return [ClosedPhase(p, reached.get(p)) for p in sorted({p for p in (configured, *reached, DEFAULT_CLOSED_PHASE) if p})]


async def closed_phase(services: Services, env: EnvironmentSettings, system_name: str) -> ClosedPhase:
    """The configured closed phase, with its name when close-sync has been told it."""
    reached = await services.db(services.store.schedules.closed_phases_reached, env.organisation_id, env.id)
    return ClosedPhase(system_name, reached.get(system_name))


async def save_schedule(
    services: Services,
    env: EnvironmentSettings,
    actor: str,
    *,
    enabled: bool,
    interval: str,
    closed_phase: str,
    clients: str,
    since: str,
    teams_webhook: str,
    clear_webhook: bool,
) -> None:
    try:
        minutes = int(interval)
    except ValueError:
        raise InvalidInput("The interval must be a whole number of minutes.") from None
    if not MIN_INTERVAL <= minutes <= MAX_INTERVAL:
        raise InvalidInput("The interval must be between 5 minutes and 7 days (10080 minutes).")
    try:
        start = date.fromisoformat(since) if since.strip() else None
    except ValueError:
        raise InvalidInput("The auto-import start date must be a date such as 2026-01-31.") from None
    if not closed_phase.strip():
        raise InvalidInput("Name the Clio Operate phase that closes a matter, e.g. matter-closed.")
    webhook = teams_webhook.strip()
    problem = webhook_url_problem(webhook) if webhook else None
    if problem:
        raise InvalidInput(problem)
    settings = ScheduleSettings(
        organisation_id=env.organisation_id,
        environment_id=env.id,
        enabled=enabled,
        interval_minutes=minutes,
        closed_phase=closed_phase.strip(),
        auto_import_clients=clean_client_codes(clients.replace(",", " ").split()),
        auto_import_since=start,
    )
    await services.db(
        services.store.schedules.save, settings, actor=actor, teams_webhook=webhook or None, clear_webhook=clear_webhook
    )

