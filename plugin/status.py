"""Settings → Status: how one environment is doing now, for its administrators.

The hops come from this process's own calls (`HopStatistics`); the rest from the database, so
every replica shows the same: the last Test connection, the last scheduled run, the SIEM backlog,
today's imports and anything stuck. `problems` are the conditions an alert is raised for, judged
against `AlertThresholds`.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from plugin.hop_statistics import HopStatistics, HopSummary
from plugin.services import EnvironmentSettings, Services
from plugin.time_zone import day_start, in_zone, organisation_zone
from store.environments import LastCheck
from store.incidents import Problem
from store.outbox import EnvironmentBacklog
from store.schedules import RunRecord
from store.status import StuckWork

# Import outcomes in the order the page lists them (others, should there be any, after these).
IMPORT_OUTCOMES = ("imported", "already_imported", "failed", "refused", "interrupted", "in_progress")
RUNS_LOOKED_AT = 10


@dataclass(frozen=True)
class AlertThresholds:
    """When an environment needs an administrator (PMS_SYNC_ALERT_*)."""

    hop_failures: int = 3  # calls of one hop failed in a row
    siem_backlog_minutes: float = 15.0  # the oldest audit event waiting for the SIEM webhook
    failed_runs: int = 3  # scheduled runs (or Run now) failed in a row


@dataclass(frozen=True)
class LastRun:
    trigger: str  # schedule | run-now
    outcome: str  # running | succeeded | failed | abandoned | interrupted
    started_at: datetime
    finished_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class EnvironmentStatus:
    environment: EnvironmentSettings
    checked_at: datetime
    hops: tuple[HopSummary, ...]
    last_check: LastCheck | None
    last_run: LastRun | None
    failed_runs_in_a_row: int
    schedule_enabled: bool
    siem: EnvironmentBacklog | None  # None: no SIEM webhook
    imports_today: tuple[tuple[str, int], ...]  # (outcome, count), every known outcome listed
    stuck: StuckWork
    problems: tuple[Problem, ...]
    thresholds: AlertThresholds

    @property
    def siem_oldest_age(self) -> timedelta | None:
        if self.siem is None or self.siem.oldest is None:
            return None
        return max(timedelta(0), self.checked_at - self.siem.oldest)


async def environment_status(
    services: Services, hops: HopStatistics, env: EnvironmentSettings, thresholds: AlertThresholds
) -> EnvironmentStatus:
    """`env` is the caller's organisation's (the view resolved it): every query is scoped by it."""
    zone = await organisation_zone(services, env.organisation_id)
    return await services.db(_status, services, hops.summary(env.id), env, thresholds, zone)


def _status(
    services: Services,
    hops: tuple[HopSummary, ...],
    env: EnvironmentSettings,
    thresholds: AlertThresholds,
    zone: zoneinfo.ZoneInfo,
) -> EnvironmentStatus:
    """Blocking: the database reads, one after another, off the event loop."""
    store = services.store
    org, now = env.organisation_id, datetime.now(UTC)
    checks = store.connections.last_checks(org)
    runs = store.schedules.runs(org, env.id, RUNS_LOOKED_AT)
    finished = [run for run in runs if run.outcome != "running"]
    failed_in_a_row = next((i for i, run in enumerate(finished) if run.outcome != "failed"), len(finished))
    today = day_start(in_zone(now, zone).date(), zone)
    counted = store.status.imports_since(org, env.id, today)
    siem = store.outbox.environment_backlog(org, env.id) if env.siem_url else None
    status = EnvironmentStatus(
        environment=env,
        checked_at=now,
        hops=hops,
        last_check=checks.get(env.id),
        last_run=_last_run(runs[0]) if runs else None,
        failed_runs_in_a_row=failed_in_a_row,
        schedule_enabled=store.schedules.schedule(org, env.id).enabled,
        siem=siem,
        imports_today=tuple((o, counted.get(o, 0)) for o in IMPORT_OUTCOMES)
        + tuple((o, n) for o, n in sorted(counted.items()) if o not in IMPORT_OUTCOMES),
        stuck=store.status.stuck(org, env.id, now),
        problems=(),
        thresholds=thresholds,
    )
    return _with_problems(status)


def _last_run(run: RunRecord) -> LastRun:
    finished = _aware(run.finished_at) if run.finished_at else None
    return LastRun(run.trigger, run.outcome, _aware(run.started_at), finished, run.error)


def _with_problems(status: EnvironmentStatus) -> EnvironmentStatus:
    limits = status.thresholds
    problems = [
        Problem(f"hop:{hop.key}", f"{hop.label}: the last {hop.failing_streak} calls failed (last: {hop.last_outcome})")
        for hop in status.hops
        if hop.failing_streak >= limits.hop_failures
    ]
    age = status.siem_oldest_age
    if status.siem is not None and age is not None and age > timedelta(minutes=limits.siem_backlog_minutes):
        problems.append(Problem(
            "siem",
            f"SIEM: {status.siem.waiting} audit events waiting, the oldest for {int(age.total_seconds() // 60)} min",
        ))
    if status.failed_runs_in_a_row >= limits.failed_runs:
        problems.append(Problem("runs", f"Scheduled runs: the last {status.failed_runs_in_a_row} runs failed"))
    return replace(status, problems=tuple(problems))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
