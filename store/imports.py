"""Import claims, the contacts they created, and History. Each change is written together with
its audit event (the outbox) in one transaction."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypeVar

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from store.models import AuditEvent, ImportAttempt, ImportContact, MatterImport, utcnow

T = TypeVar("T")

IN_PROGRESS_MESSAGE = "An import of this matter is already in progress: wait a moment, then open it again."


@dataclass(frozen=True)
class Claim:
    kind: Literal["claimed", "imported", "in_progress"]
    attempt_id: int
    import_id: int | None = None
    work_item_id: str | None = None
    resumed: bool = False  # an earlier attempt failed or died: some contacts may already exist


@dataclass(frozen=True)
class Attempt:
    """What an import is about, carried from claim to outcome."""

    organisation_id: int
    environment_id: int
    matter_uno: str | None
    matter_number: str
    user_name: str
    trigger: str = "manual"


class ImportStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, attempt: Attempt, lease: timedelta) -> Claim:
        """Claim the matter before any write, so a double click, a second user or a second replica
        cannot import it twice. A failed or abandoned (lease expired) import is taken over."""
        return _retrying(lambda: self._claim(attempt, lease))

    def _claim(self, attempt: Attempt, lease: timedelta) -> Claim:
        assert attempt.matter_uno is not None
        now = utcnow()
        with Session(self.engine) as session:
            row = session.exec(
                select(MatterImport)
                .where(
                    MatterImport.organisation_id == attempt.organisation_id,
                    MatterImport.environment_id == attempt.environment_id,
                    MatterImport.matter_uno == attempt.matter_uno,
                )
                .with_for_update()
            ).first()
            if row is not None and row.status == "imported":
                attempt_id = _finish_attempt(session, attempt, "already_imported", work_item_id=row.work_item_id)
                session.commit()
                return Claim("imported", attempt_id, row.id, row.work_item_id)
            if row is not None and row.status == "in_progress" and row.lease_expires_at and row.lease_expires_at > now:
                attempt_id = _finish_attempt(session, attempt, "refused", error=IN_PROGRESS_MESSAGE)
                session.commit()
                return Claim("in_progress", attempt_id, row.id)
            resumed = row is not None
            if row is None:
                row = MatterImport(
                    organisation_id=attempt.organisation_id,
                    environment_id=attempt.environment_id,
                    matter_uno=attempt.matter_uno,
                    matter_number=attempt.matter_number,
                    status="in_progress",
                    imported_by=attempt.user_name,
                    started_at=now,
                    lease_expires_at=now + lease,
                )
                session.add(row)
                session.flush()  # IntegrityError here: someone claimed it first; retried from the top
            else:
                taken = session.execute(
                    update(MatterImport)
                    .where(
                        col(MatterImport.id) == row.id,
                        col(MatterImport.status) == row.status,
                        col(MatterImport.started_at) == row.started_at,
                    )
                    .values(status="in_progress", imported_by=attempt.user_name, started_at=now, lease_expires_at=now + lease)
                )
                if taken.rowcount != 1:
                    raise _Conflict()
            record = ImportAttempt(
                organisation_id=attempt.organisation_id,
                environment_id=attempt.environment_id,
                matter_uno=attempt.matter_uno,
                matter_number=attempt.matter_number,
                user_name=attempt.user_name,
                trigger=attempt.trigger,
                outcome="in_progress",
                started_at=now,
            )
            session.add(record)
            session.flush()
            _audit(session, attempt, "import.started", record.id, resumed=resumed)
            session.commit()
            assert record.id is not None and row.id is not None
            return Claim("claimed", record.id, row.id, resumed=resumed)

    def record_contact(self, import_id: int, name_uno: int, ods_id: str, kind: str) -> None:
        with Session(self.engine) as session:
            session.add(ImportContact(matter_import_id=import_id, name_uno=name_uno, ods_id=ods_id, kind=kind))
            session.commit()

    def contacts(self, import_id: int) -> dict[int, str]:
        with Session(self.engine) as session:
            rows = session.exec(select(ImportContact).where(ImportContact.matter_import_id == import_id)).all()
            return {row.name_uno: row.ods_id for row in rows}

    def succeed(self, attempt: Attempt, claim: Claim, work_item_id: str, details: dict) -> None:
        with Session(self.engine) as session:
            now = utcnow()
            session.execute(
                update(MatterImport)
                .where(col(MatterImport.id) == claim.import_id)
                .values(status="imported", work_item_id=work_item_id, finished_at=now, lease_expires_at=None)
            )
            _update_attempt(session, claim.attempt_id, "imported", work_item_id=work_item_id, details=details)
            _audit(session, attempt, "import.succeeded", claim.attempt_id, work_item_id=work_item_id)
            session.commit()

    def fail(self, attempt: Attempt, claim: Claim | None, error: str, details: dict | None = None) -> int:
        """Record a failed attempt; a claim it held is released so a retry can take it over."""
        with Session(self.engine) as session:
            if claim is not None:
                session.execute(
                    update(MatterImport)
                    .where(col(MatterImport.id) == claim.import_id)
                    .values(status="failed", lease_expires_at=None)
                )
                _update_attempt(session, claim.attempt_id, "failed", error=error, details=details or {})
                attempt_id = claim.attempt_id
                _audit(session, attempt, "import.failed", attempt_id, error=error)
            else:
                attempt_id = _finish_attempt(session, attempt, "failed", error=error, details=details)
            session.commit()
            return attempt_id

    def refuse(self, attempt: Attempt, reason: str) -> int:
        with Session(self.engine) as session:
            attempt_id = _finish_attempt(session, attempt, "refused", error=reason)
            session.commit()
            return attempt_id

    def already_imported(self, attempt: Attempt, work_item_id: str) -> int:
        """A work item found in Clio Operate that this service has no completed claim for: record it,
        so searches show it as imported from now on. With no claim at all, something else put it
        there: it is recorded as adopted. After a failed claim, it is the failed attempt's own."""

        def run() -> int:
            with Session(self.engine) as session:
                row = session.exec(
                    select(MatterImport).where(
                        MatterImport.organisation_id == attempt.organisation_id,
                        MatterImport.environment_id == attempt.environment_id,
                        MatterImport.matter_uno == attempt.matter_uno,
                    )
                ).first()
                if row is None:
                    session.add(
                        MatterImport(
                            organisation_id=attempt.organisation_id,
                            environment_id=attempt.environment_id,
                            matter_uno=attempt.matter_uno or "",
                            matter_number=attempt.matter_number,
                            status="imported",
                            work_item_id=work_item_id,
                            imported_by=attempt.user_name,
                            finished_at=utcnow(),
                            adopted=True,
                        )
                    )
                elif row.status == "failed" or (row.status == "in_progress" and lease_expired(row.lease_expires_at)):
                    row.status, row.work_item_id, row.finished_at = "imported", work_item_id, utcnow()
                    session.add(row)
                attempt_id = _finish_attempt(session, attempt, "already_imported", work_item_id=work_item_id)
                session.commit()
                return attempt_id

        return _retrying(run)

    def history(
        self,
        organisation_id: int,
        *,
        environment_id: int | None = None,
        outcome: str | None = None,
        matter_number: str | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[ImportAttempt]:
        query = select(ImportAttempt).where(ImportAttempt.organisation_id == organisation_id)
        if environment_id is not None:
            query = query.where(ImportAttempt.environment_id == environment_id)
        if outcome:
            query = query.where(ImportAttempt.outcome == outcome)
        if matter_number:
            query = query.where(ImportAttempt.matter_number == matter_number)
        if before_id is not None:
            query = query.where(col(ImportAttempt.id) < before_id)
        with Session(self.engine) as session:
            return list(session.exec(query.order_by(col(ImportAttempt.id).desc()).limit(limit)).all())

    def attempt(self, organisation_id: int, attempt_id: int) -> ImportAttempt | None:
        with Session(self.engine) as session:
            return session.exec(
                select(ImportAttempt).where(
                    ImportAttempt.organisation_id == organisation_id, ImportAttempt.id == attempt_id
                )
            ).first()


class _Conflict(Exception):
    """Another writer changed the claim between our read and our write."""


def _retrying(action: Callable[[], T], tries: int = 20) -> T:
    """Run a claim transaction again when a concurrent writer got there first (unique key,
    compare-and-set miss, or SQLite's single writer being busy)."""
    for attempt in range(tries):
        try:
            return action()
        except (IntegrityError, OperationalError, _Conflict):
            if attempt == tries - 1:
                raise
            time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
    raise AssertionError("unreachable")


def _finish_attempt(
    session: Session,
    attempt: Attempt,
    outcome: str,
    *,
    work_item_id: str | None = None,
    error: str | None = None,
    details: dict | None = None,
) -> int:
    now = utcnow()
    record = ImportAttempt(
        organisation_id=attempt.organisation_id,
        environment_id=attempt.environment_id,
        matter_uno=attempt.matter_uno,
        matter_number=attempt.matter_number,
        user_name=attempt.user_name,
        trigger=attempt.trigger,
        outcome=outcome,
        work_item_id=work_item_id,
        error=error,
        details=details or {},
        started_at=now,
        finished_at=now,
    )
    session.add(record)
    session.flush()
    assert record.id is not None
    event = {"already_imported": "import.already_imported", "refused": "import.refused", "failed": "import.failed"}[outcome]
    _audit(session, attempt, event, record.id, work_item_id=work_item_id, error=error)
    return record.id


def _update_attempt(session: Session, attempt_id: int, outcome: str, **values: object) -> None:
    session.execute(
        update(ImportAttempt)
        .where(col(ImportAttempt.id) == attempt_id)
        .values(outcome=outcome, finished_at=utcnow(), **values)
    )


def _audit(session: Session, attempt: Attempt, type: str, attempt_id: int | None, **data: object) -> None:
    session.add(
        AuditEvent(
            type=type,
            organisation_id=attempt.organisation_id,
            environment_id=attempt.environment_id,
            actor=attempt.user_name,
            data={
                "attempt_id": attempt_id,
                "matter_number": attempt.matter_number,
                "matter_uno": attempt.matter_uno,
                "trigger": attempt.trigger,
                **{k: v for k, v in data.items() if v is not None},
            },
        )
    )


def lease_expired(expires_at: datetime | None) -> bool:
    return expires_at is None or expires_at <= utcnow()
