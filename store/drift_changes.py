"""Changes from Aderant applied to imported matters' work items (History → Drift): the claim taken
before a change is written, and its outcome recorded with its History row, its audit event and,
when applied, the baseline moved on, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypedDict

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.imports import Attempt, _add_attempt, lease_expired
from store.models import AuditEvent, DriftChange, MatterImport, utcnow
from store.required import required
from store.results import rows_changed

TRIGGER = "drift"
Baseline = dict[str, Any] | None


@dataclass(frozen=True)
class ChangeToApply:
    """One change of one imported matter, as claimed: digests of the value its baseline holds and
    of the value to write ("" for none), under the baseline's key `key_id`."""

    organisation_id: int
    environment_id: int
    import_id: int
    matter_uno: str
    matter_number: str
    work_item_id: str
    field: str
    before_digest: str
    after_digest: str
    key_id: str
    user_name: str
    request_id: str | None = None


@dataclass(frozen=True)
class ChangeClaim:
    """`claimed`: this request writes it now. `applied`: it was written already. `in_progress`:
    another request is writing it."""

    kind: Literal["claimed", "applied", "in_progress"]
    change_id: int
    import_id: int  # the imported matter's: a contact created to apply the change is recorded as its

    @property
    def holder(self) -> str:
        """As the holder of the claims of contacts it creates (`store.imports.ContactHolder`). A
        change taken over keeps its id, and so this name: safe, as the change's lease (60 s) outlasts
        a contact claim's (15 s), so a dead holder's contact is found unknown, never still held."""
        return f"drift:{self.change_id}"


class DriftChangeStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, change: ChangeToApply, lease: timedelta, still_before: Callable[[Baseline], bool]) -> ChangeClaim:
        """Claim the change before writing it. A failed or abandoned (lease run out) one is taken
        over; an applied one only when the matter's baseline holds its `before` value again
        (`still_before`: Aderant changed back and then once more), else it was written already."""
        try:
            return self._claim(change, lease, still_before)
        except IntegrityError:  # another request inserted it first: see what it holds
            return self._claim(change, lease, still_before)

    def _claim(self, change: ChangeToApply, lease: timedelta, still_before: Callable[[Baseline], bool]) -> ChangeClaim:
        with Session(self.engine) as session:
            row = session.exec(
                select(DriftChange).where(
                    DriftChange.organisation_id == change.organisation_id,
                    DriftChange.environment_id == change.environment_id,
                    DriftChange.matter_import_id == change.import_id,
                    DriftChange.field == change.field,
                    DriftChange.before_digest == change.before_digest,
                    DriftChange.after_digest == change.after_digest,
                )
            ).first()
            holding = _Holding(status="applying", lease_expires_at=utcnow() + lease, claimed_at=utcnow(),
                               user_name=change.user_name, request_id=change.request_id)
            if row is None:
                row = DriftChange(
                    organisation_id=change.organisation_id, environment_id=change.environment_id,
                    matter_import_id=change.import_id, matter_number=change.matter_number, field=change.field,
                    before_digest=change.before_digest, after_digest=change.after_digest, key_id=change.key_id,
                    **holding,
                )
                session.add(row)
                session.commit()
                return ChangeClaim("claimed", required(row.id, "a committed drift change's id"), change.import_id)
            change_id = required(row.id, "a stored drift change's id")
            if row.status == "applying" and not lease_expired(_aware(row.lease_expires_at)):
                return ChangeClaim("in_progress", change_id, change.import_id)
            if row.status == "applied" and not still_before(_baseline(session, change)):
                return ChangeClaim("applied", change_id, change.import_id)
            taken = session.execute(
                update(DriftChange)
                .where(
                    col(DriftChange.id) == change_id, col(DriftChange.organisation_id) == change.organisation_id,
                    col(DriftChange.claimed_at) == row.claimed_at,
                )
                .values(**holding, error=None, finished_at=None, attempt_id=None)
            )
            session.commit()
            return ChangeClaim("claimed" if rows_changed(taken) == 1 else "in_progress", change_id, change.import_id)

    def applied(
        self,
        change: ChangeToApply,
        claim: ChangeClaim,
        moved_on: Callable[[Baseline], dict[str, Any]],
        details: dict[str, Any],
        contact_id: str | None = None,
    ) -> int:
        """Record the change as written: the matter's baseline becomes `moved_on(baseline)` (read and
        written in this transaction, so changes to other fields of the matter are kept), a History row
        (outcome updated) and the audit event `drift.applied`. Returns the History row's id."""
        with Session(self.engine) as session:
            record = session.exec(
                select(MatterImport).where(
                    MatterImport.id == change.import_id,
                    MatterImport.organisation_id == change.organisation_id,
                    MatterImport.environment_id == change.environment_id,
                ).with_for_update()
            ).one()
            record.baseline = moved_on(record.baseline)
            session.add(record)
            attempt_id = self._finish(session, change, claim, "applied", details, contact_id=contact_id)
            session.commit()
            return attempt_id

    def failed(self, change: ChangeToApply, claim: ChangeClaim, error: str, details: dict[str, Any]) -> int:
        """Record the change as not written (a retry takes the claim over); History and audit say why."""
        with Session(self.engine) as session:
            attempt_id = self._finish(session, change, claim, "failed", details, error=error)
            session.commit()
            return attempt_id

    @staticmethod
    def _finish(
        session: Session,
        change: ChangeToApply,
        claim: ChangeClaim,
        status: Literal["applied", "failed"],
        details: dict[str, Any],
        *,
        contact_id: str | None = None,
        error: str | None = None,
    ) -> int:
        now = utcnow()
        about = Attempt(
            change.organisation_id, change.environment_id, change.matter_uno, change.matter_number, change.user_name,
            TRIGGER, change.request_id,
        )
        attempt_id = _add_attempt(
            session, about, "updated" if status == "applied" else "failed",
            work_item_id=change.work_item_id, error=error, details=details, started_at=now, finished_at=now,
        )
        session.execute(
            update(DriftChange)
            .where(col(DriftChange.id) == claim.change_id, col(DriftChange.organisation_id) == change.organisation_id)
            .values(status=status, finished_at=now, lease_expires_at=None, attempt_id=attempt_id,
                    contact_id=contact_id, error=error)
        )
        session.add(AuditEvent(
            type=f"drift.{status}",
            organisation_id=change.organisation_id,
            environment_id=change.environment_id,
            actor=change.user_name,
            data={
                "attempt_id": attempt_id, "matter_number": change.matter_number, "matter_uno": change.matter_uno,
                "work_item_id": change.work_item_id, "field": change.field, "key_id": change.key_id,
                "before": change.before_digest or None, "after": change.after_digest or None,
                **({"contact_id": contact_id} if contact_id else {}), **({"error": error} if error else {}),
            },
        ))
        return attempt_id


class _Holding(TypedDict):
    """The columns of a change that say who applies it, and until when they hold it."""

    status: str
    lease_expires_at: datetime
    claimed_at: datetime
    user_name: str
    request_id: str | None


def _baseline(session: Session, change: ChangeToApply) -> Baseline:
    return session.exec(
        select(col(MatterImport.baseline)).where(
            MatterImport.id == change.import_id,
            MatterImport.organisation_id == change.organisation_id,
            MatterImport.environment_id == change.environment_id,
        )
    ).first()


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without their zone (they were stored in UTC)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
