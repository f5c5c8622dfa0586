"""The audit outbox (undelivered `AuditEvent` rows) and named leases that elect one replica per job.

Events are delivered per environment in id order: only the first undelivered event of an
environment is ever eligible, so a failing event holds back the ones after it. Times are passed in
by the caller so that every replica (and every test) compares against the same clock.

Id order is commit order too. SQLite has one writer at a time. On PostgreSQL, a transaction takes
an id from the sequence when it inserts, so without care a later id could commit first, be
delivered, and the earlier one arrive after it: each transaction writing an environment's events
therefore holds that environment's advisory lock from its first insert to its end (see
`store.models`, where every writer meets it).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, Engine, func, or_, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from store.models import AuditEvent, Environment, utcnow

MAX_ERROR_LENGTH = 500

class PendingEnvironment(NamedTuple):
    organisation_id: int
    environment_id: int


class Outbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def environments_with_pending_events(self, due_by: datetime | None = None) -> list[PendingEnvironment]:
        """Environments with a SIEM URL and undelivered events; with `due_by`, only those whose
        first undelivered event may be attempted by then."""
        first = (
            select(func.min(AuditEvent.id))
            .where(_undelivered(), col(AuditEvent.environment_id).is_not(None))
            .group_by(col(AuditEvent.environment_id))
        )
        query = (
            select(Environment.organisation_id, Environment.id)
            .join(AuditEvent, col(AuditEvent.environment_id) == col(Environment.id))
            .where(col(AuditEvent.id).in_(first), col(Environment.siem_url).is_not(None))
            .order_by(col(Environment.id))
        )
        if due_by is not None:
            query = query.where(_due(due_by))
        with Session(self.engine) as session:
            return [PendingEnvironment(org, env) for org, env in session.exec(query).all() if env is not None]

    def pending_events(self, environment_id: int, limit: int) -> list[AuditEvent]:
        """The environment's undelivered events, oldest first."""
        with Session(self.engine) as session:
            return list(session.exec(_pending(environment_id).limit(limit)).all())

    def due_events(self, environment_id: int, now: datetime, limit: int) -> list[AuditEvent]:
        """`pending_events`, but none at all while the first of them waits for its next attempt."""
        with Session(self.engine) as session:
            events = list(session.exec(_pending(environment_id).limit(limit)).all())
            if not events:
                return []
            head_is_due = session.exec(select(AuditEvent.id).where(AuditEvent.id == events[0].id, _due(now))).first()
            return events if head_is_due is not None else []

    def mark_delivered(self, event_id: int, at: datetime | None = None) -> None:
        self._update(event_id, delivered_at=at or utcnow())

    def mark_failed(self, event_id: int, error: str, next_attempt_at: datetime) -> None:
        self._update(
            event_id,
            delivery_attempts=col(AuditEvent.delivery_attempts) + 1,
            last_error=error[:MAX_ERROR_LENGTH],
            next_attempt_at=next_attempt_at,
        )

    def _update(self, event_id: int, **values: object) -> None:
        with Session(self.engine) as session:
            session.execute(
                update(AuditEvent).where(col(AuditEvent.id) == event_id, _undelivered()).values(**values)
            )
            session.commit()


def _undelivered() -> ColumnElement[bool]:
    return col(AuditEvent.delivered_at).is_(None)


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(col(AuditEvent.next_attempt_at).is_(None), col(AuditEvent.next_attempt_at) <= now)


def _pending(environment_id: int) -> SelectOfScalar[AuditEvent]:
    return (
        select(AuditEvent)
        .where(AuditEvent.environment_id == environment_id, _undelivered())
        .order_by(col(AuditEvent.id))
    )
