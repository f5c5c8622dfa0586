"""Schedules and their runs. A run is started only by the holder of the environment's lease and
only when it is due, so replicas sharing the database run each schedule once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import cast

from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from store.models import AuditEvent, Environment, MatterImport, Schedule, ScheduleRun, utcnow
from store.required import required
from store.results import rows_changed
from store.secrets import SecretBox


@dataclass(frozen=True)
class ScheduleSettings:
    organisation_id: int
    environment_id: int
    enabled: bool = False
    interval_minutes: int = 60
    teams_webhook: str | None = None  # a secret: never rendered back
    closed_phase: str = "matter-closed"
    auto_import_clients: tuple[str, ...] = ()
    auto_import_since: date | None = None
    next_run_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ImportedMatter:
    matter_uno: str
    matter_number: str
    work_item_id: str
    import_id: int  # the import record's id: the key close-sync pages on


@dataclass(frozen=True)
class RunRecord:
    """One run of a schedule (or of "Run now"), with what it found and whether Teams was told."""

    id: int
    organisation_id: int
    environment_id: int
    trigger: str
    holder: str
    outcome: str
    started_at: datetime
    finished_at: datetime | None
    close_sync_count: int | None
    auto_import_count: int | None
    drift: dict[str, int] | None
    notification: str | None
    error: str | None

    @classmethod
    def of(cls, row: ScheduleRun) -> RunRecord:
        return cls(
            required(row.id, "a stored schedule run's id"), row.organisation_id, row.environment_id, row.trigger, row.holder, row.outcome, row.started_at,
            row.finished_at, row.close_sync_count, row.auto_import_count, row.drift, row.notification, row.error,
        )


class ScheduleStore:
    def __init__(self, engine: Engine, secrets: SecretBox) -> None:
        self.engine = engine
        self.secrets = secrets

    def schedule(self, organisation_id: int, environment_id: int) -> ScheduleSettings:
        with Session(self.engine) as session:
            row = session.exec(
                select(Schedule).where(Schedule.organisation_id == organisation_id, Schedule.environment_id == environment_id)
            ).first()
        if row is None:
            return ScheduleSettings(organisation_id, environment_id)
        return ScheduleSettings(
            organisation_id=row.organisation_id,
            environment_id=row.environment_id,
            enabled=row.enabled,
            interval_minutes=row.interval_minutes,
            teams_webhook=self.secrets.decrypt(row.teams_webhook_enc),
            closed_phase=row.closed_phase,
            auto_import_clients=tuple(row.auto_import_clients),
            auto_import_since=row.auto_import_since,
            next_run_at=row.next_run_at,
        )

    def save(self, settings: ScheduleSettings, *, actor: str, teams_webhook: str | None, clear_webhook: bool = False) -> None:
        """Save a schedule; ``teams_webhook`` None keeps the stored secret, ``clear_webhook`` removes it.
        The audit event names the fields changed, never the webhook URL."""
        with Session(self.engine) as session:
            row = session.exec(
                select(Schedule).where(
                    Schedule.organisation_id == settings.organisation_id, Schedule.environment_id == settings.environment_id
                )
            ).first() or Schedule(organisation_id=settings.organisation_id, environment_id=settings.environment_id)
            before = {k: getattr(row, k) for k in ("enabled", "interval_minutes", "closed_phase", "auto_import_clients", "auto_import_since")}
            row.enabled = settings.enabled
            row.interval_minutes = settings.interval_minutes
            row.closed_phase = settings.closed_phase
            row.auto_import_clients = list(settings.auto_import_clients)
            row.auto_import_since = settings.auto_import_since
            changed = [k for k, v in before.items() if getattr(row, k) != v]
            if clear_webhook and row.teams_webhook_enc:
                row.teams_webhook_enc = None
                changed.append("teams_webhook (cleared)")
            elif teams_webhook:
                row.teams_webhook_enc = self.secrets.encrypt(teams_webhook)
                changed.append("teams_webhook (replaced)")
            if settings.enabled and (row.next_run_at is None or "interval_minutes" in changed or "enabled" in changed):
                row.next_run_at = utcnow()
            row.updated_at = utcnow()
            session.add(row)
            session.add(
                AuditEvent(
                    type="settings.schedule_changed",
                    organisation_id=settings.organisation_id,
                    environment_id=settings.environment_id,
                    actor=actor,
                    data={"fields": changed},
                )
            )
            session.commit()

    def due(self, now: datetime | None = None) -> list[tuple[int, int]]:
        """(organisation, environment) of enabled schedules whose next run is due; a background lookup."""
        now = now or utcnow()
        with Session(self.engine) as session:
            rows = session.exec(
                select(Schedule.organisation_id, Schedule.environment_id)
                .join(Environment, col(Environment.id) == col(Schedule.environment_id))
                .where(
                    col(Schedule.enabled).is_(True),
                    col(Schedule.next_run_at) <= now,
                    col(Environment.removed_at).is_(None),  # a removed environment's schedule stops
                )
            ).all()
            return [(org, env) for org, env in rows]

    def start_run(
        self, organisation_id: int, environment_id: int, *, trigger: str, holder: str, now: datetime | None = None
    ) -> int | None:
        """Begin a run if one is due (always for "run-now"), pushing the next run one interval on.
        Call it holding the environment's lease. Runs left "running" by a dead replica are closed."""
        now = now or utcnow()
        with Session(self.engine) as session:
            schedule = session.exec(
                select(Schedule).where(Schedule.organisation_id == organisation_id, Schedule.environment_id == environment_id)
            ).first()
            if trigger == "schedule":
                if schedule is None or not schedule.enabled or schedule.next_run_at is None or schedule.next_run_at > now:
                    return None
            if schedule is not None and schedule.enabled:
                moving = update(Schedule).where(col(Schedule.environment_id) == environment_id)
                if trigger == "schedule":  # of two racing starters only one still finds it due
                    moving = moving.where(col(Schedule.next_run_at) <= now)
                moved = session.execute(moving.values(next_run_at=now + timedelta(minutes=schedule.interval_minutes)))
                if rows_changed(moved) != 1 and trigger == "schedule":
                    session.rollback()
                    return None
            session.execute(
                update(ScheduleRun)
                .where(col(ScheduleRun.environment_id) == environment_id, col(ScheduleRun.outcome) == "running")
                .values(outcome="abandoned", finished_at=now, error="The replica running it stopped before it finished.")
            )
            run = ScheduleRun(
                organisation_id=organisation_id, environment_id=environment_id, trigger=trigger, holder=holder, started_at=now
            )
            session.add(run)
            session.commit()
            return run.id

    def finish_run(
        self,
        run_id: int,
        *,
        outcome: str,
        close_sync_count: int | None,
        auto_import_count: int | None,
        notification: str | None,
        error: str | None = None,
        drift: dict[str, int] | None = None,
    ) -> None:
        with Session(self.engine) as session:
            session.execute(
                update(ScheduleRun)
                .where(col(ScheduleRun.id) == run_id)
                .values(
                    outcome=outcome,
                    finished_at=utcnow(),
                    close_sync_count=close_sync_count,
                    auto_import_count=auto_import_count,
                    drift=drift,
                    notification=(notification or "")[:500] or None,
                    error=(error or "")[:1000] or None,
                )
            )
            session.commit()

    def runs(self, organisation_id: int, environment_id: int, limit: int = 20) -> list[RunRecord]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(ScheduleRun)
                .where(ScheduleRun.organisation_id == organisation_id, ScheduleRun.environment_id == environment_id)
                .order_by(col(ScheduleRun.id).desc())
                .limit(limit)
            ).all()
            return [RunRecord.of(row) for row in rows]

    def last_successes(self) -> dict[int, datetime]:
        """When each environment's schedule last finished a successful run, every organisation's
        (for the service's metrics, which name environments by id only)."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(ScheduleRun.environment_id, func.max(ScheduleRun.finished_at))
                .where(ScheduleRun.outcome == "succeeded")
                .group_by(col(ScheduleRun.environment_id))
            ).all()
            return {
                environment_id: finished if finished.tzinfo else finished.replace(tzinfo=UTC)  # SQLite: naive UTC
                for environment_id, finished in rows
                if finished is not None
            }

    def imported_matters(self, organisation_id: int, environment_id: int) -> list[ImportedMatter]:
        """Every matter this service imported into the environment (and its work item); not adopted ones."""
        with Session(self.engine) as session:
            rows = session.exec(_imported(organisation_id, environment_id)).all()
            return [ImportedMatter(uno, number, work_item, key) for key, uno, number, work_item in rows]

    def imported_page(
        self, organisation_id: int, environment_id: int, *, after: int | None, limit: int
    ) -> list[ImportedMatter]:
        """The next ``limit`` imported matters, by import id after ``after`` (keyset paging, so a long
        list is read a page at a time at the same cost per page), leaving out those close-sync
        found closed in Aderant and in Clio Operate."""
        query = _imported(organisation_id, environment_id).where(col(MatterImport.closed_in_both_at).is_(None))
        if after is not None:
            query = query.where(col(MatterImport.id) > after)
        with Session(self.engine) as session:
            rows = session.exec(query.order_by(col(MatterImport.id)).limit(limit)).all()
            return [ImportedMatter(uno, number, work_item, key) for key, uno, number, work_item in rows]

    def mark_closed_in_both(self, organisation_id: int, environment_id: int, import_ids: list[int]) -> None:
        """Record that these imported matters are closed in Aderant and in Clio Operate: close-sync
        has nothing left to do for them and skips them from its next run."""
        if not import_ids:
            return
        with Session(self.engine) as session:
            session.execute(
                update(MatterImport)
                .where(
                    col(MatterImport.organisation_id) == organisation_id,
                    col(MatterImport.environment_id) == environment_id,
                    col(MatterImport.id).in_(sorted(set(import_ids))),
                    col(MatterImport.closed_in_both_at).is_(None),
                )
                .values(closed_in_both_at=utcnow())
            )
            session.commit()

    def closed_phases_reached(self, organisation_id: int, environment_id: int, limit: int = 200) -> dict[str, str | None]:
        """The phases close-sync last left work items in (its recent ``close_sync.applied`` events),
        newest first: each system name with the name Clio Operate gave it, None when not recorded."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(AuditEvent.data)
                .where(
                    AuditEvent.organisation_id == organisation_id,
                    AuditEvent.environment_id == environment_id,
                    AuditEvent.type == "close_sync.applied",
                )
                .order_by(col(AuditEvent.id).desc())
                .limit(limit)
            ).all()
        reached: dict[str, str | None] = {}
        for data in rows:
            phases = data.get("phases") if isinstance(data, dict) else None
            if not (isinstance(phases, list) and phases and isinstance(phases[-1], str)):
                continue
            names = data.get("phase_names")
            name = names[-1] if isinstance(names, list) and len(names) == len(phases) and isinstance(names[-1], str) else None
            reached[phases[-1]] = reached.get(phases[-1]) or name
        return reached

    def record_event(self, type: str, organisation_id: int, environment_id: int, actor: str, data: dict) -> None:
        with Session(self.engine) as session:
            session.add(AuditEvent(type=type, organisation_id=organisation_id, environment_id=environment_id, actor=actor, data=data))
            session.commit()



def _imported(organisation_id: int, environment_id: int) -> Select[int, str, str, str]:
    """Matters this service imported into the environment and whose work item it knows; not adopted ones."""
    query = select(MatterImport.id, MatterImport.matter_uno, MatterImport.matter_number, MatterImport.work_item_id).where(
        MatterImport.organisation_id == organisation_id,
        MatterImport.environment_id == environment_id,
        MatterImport.status == "imported",
        col(MatterImport.adopted).is_(False),
        col(MatterImport.work_item_id).is_not(None),
    )
    # A stored row has its id, and the last condition leaves out rows without a work item: columns
    # the model types as optional, which the selected rows always have.
    return cast("Select[int, str, str, str]", query)
