"""The audit outbox (undelivered `AuditEvent` rows) and named leases that elect one replica per job.

Each environment with a SIEM webhook is a destination. Its stream is its own events and, when it
is its organisation's destination for that webhook URL, the organisation-level events (no
environment: members, sign-ins outside Clio Operate and their refusals), merged in id order: only
the first undelivered event of a stream is ever eligible, so a failing event holds back the ones
after it in that stream only. Environments of one organisation sharing a webhook URL make one
destination for organisation-level events (the lowest environment id in use), so the webhook gets
each of them once. An environment's own event keeps its delivery state on its row; an
organisation-level event keeps one `OrganisationAuditDelivery` row per destination. Times are
passed in by the caller so that every replica (and every test) compares against the same clock.

Id order is commit order too. SQLite has one writer at a time. On PostgreSQL, a transaction takes
an id from the sequence when it inserts, so without care a later id could commit first, be
delivered, and the earlier one arrive after it: each transaction writing an environment's events
therefore holds that environment's advisory lock, and its organisation's (shared; exclusive for
an organisation-level event), from its first insert to its end (see `store.models`, where every
writer meets it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Engine, and_, func, or_, update
from sqlmodel import Session, col, select

from store.models import AuditEvent, Environment, OrganisationAuditDelivery, utcnow
from store.required import required

MAX_ERROR_LENGTH = 500


class PendingEnvironment(NamedTuple):
    organisation_id: int
    environment_id: int


@dataclass(frozen=True)
class AuditRecord:
    """What an audit event says, as delivered: its outbox state stays in the store."""

    id: int
    organisation_id: int | None
    environment_id: int | None
    type: str
    actor: str | None
    occurred_at: datetime
    data: dict[str, Any]

    @classmethod
    def of(cls, row: AuditEvent) -> AuditRecord:
        return cls(required(row.id, "a stored audit event's id"), row.organisation_id, row.environment_id, row.type, row.actor, row.occurred_at, dict(row.data))


@dataclass(frozen=True)
class OutboxEvent:
    """An event due to one destination, with that destination's failed attempts so far."""

    event: AuditRecord
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    organisation_level: bool

    @property
    def id(self) -> int:
        return self.event.id


@dataclass(frozen=True)
class Backlog:
    """Events waiting for delivery, counted once per destination webhook, and the oldest of them."""

    waiting: int
    oldest: datetime | None


@dataclass(frozen=True)
class EnvironmentBacklog:
    waiting: int
    oldest: datetime | None
    last_error: str | None  # why the first waiting event's last attempt failed


class Outbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def environments_with_pending_events(self, due_by: datetime | None = None) -> list[PendingEnvironment]:
        """Environments with a SIEM URL and undelivered events; with `due_by`, only those whose
        first undelivered event may be attempted by then."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(Environment).where(col(Environment.siem_url).is_not(None)).order_by(col(Environment.id))
            ).all()
            destinations = _organisation_destinations(rows)
            found = []
            for env in rows:
                env_id = required(env.id, "a stored environment's id")
                head = _stream(session, env.organisation_id, env_id, env_id in destinations, 1)
                if head and (due_by is None or _is_due(head[0], due_by)):
                    found.append(PendingEnvironment(env.organisation_id, env_id))
            return found

    def backlog(self) -> Backlog:
        """Every organisation's undelivered events, for the service's metrics."""
        waiting, oldest = 0, None
        with Session(self.engine) as session:
            rows = session.exec(select(Environment).where(col(Environment.siem_url).is_not(None))).all()
            destinations = _organisation_destinations(rows)
            for env in rows:
                env_id = required(env.id, "a stored environment's id")
                count, first = _waiting(session, env.organisation_id, env_id, env_id in destinations)
                waiting += count
                if first is not None and (oldest is None or first < oldest):
                    oldest = first
        return Backlog(waiting, oldest)

    def environment_backlog(self, organisation_id: int, environment_id: int) -> EnvironmentBacklog:
        """One destination's undelivered events, the oldest of them, and why its first one last failed
        (nothing waits for an environment without a SIEM webhook)."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(Environment).where(
                    Environment.organisation_id == organisation_id, col(Environment.siem_url).is_not(None)
                )
            ).all()
            if environment_id not in {env.id for env in rows}:
                return EnvironmentBacklog(0, None, None)
            organisation_level = environment_id in _organisation_destinations(rows)
            count, first = _waiting(session, organisation_id, environment_id, organisation_level)
            head = _stream(session, organisation_id, environment_id, organisation_level, 1)
        return EnvironmentBacklog(count, first, head[0].last_error if head else None)

    def pending_events(self, environment_id: int, limit: int) -> list[OutboxEvent]:
        """The environment's undelivered events, oldest first (organisation-level ones included)."""
        return self._pending(environment_id, limit)

    def due_events(self, environment_id: int, now: datetime, limit: int) -> list[OutboxEvent]:
        """The pending events, but none at all while the first of them waits for its next attempt."""
        pending = self._pending(environment_id, limit)
        return pending if pending and _is_due(pending[0], now) else []

    def mark_delivered(self, event_id: int, at: datetime | None = None, *, destination: int | None = None) -> None:
        """`destination`: the environment an organisation-level event was delivered to."""
        self._update(event_id, destination, delivered_at=at or utcnow())

    def mark_failed(self, event_id: int, error: str, next_attempt_at: datetime, *, destination: int | None = None) -> None:
        self._update(event_id, destination, last_error=error[:MAX_ERROR_LENGTH], next_attempt_at=next_attempt_at, failed=True)

    def _pending(self, environment_id: int, limit: int) -> list[OutboxEvent]:
        with Session(self.engine) as session:
            env = session.get(Environment, environment_id)
            if env is None:
                return []
            same_organisation = session.exec(
                select(Environment).where(
                    Environment.organisation_id == env.organisation_id, col(Environment.siem_url).is_not(None)
                )
            ).all()
            organisation_level = environment_id in _organisation_destinations(same_organisation)
            return _stream(session, env.organisation_id, environment_id, organisation_level, limit)

    def _update(self, event_id: int, destination: int | None, *, failed: bool = False, **values: Any) -> None:
        with Session(self.engine) as session:
            if destination is None:
                if failed:
                    values["delivery_attempts"] = col(AuditEvent.delivery_attempts) + 1
                session.execute(update(AuditEvent).where(col(AuditEvent.id) == event_id, _undelivered()).values(**values))
            else:
                # One destination's progress, written by the holder of its lease only.
                row = session.get(OrganisationAuditDelivery, (event_id, destination))
                if row is None:
                    row = OrganisationAuditDelivery(event_id=event_id, environment_id=destination)
                if row.delivered_at is not None:
                    return
                for name, value in values.items():
                    setattr(row, name, value)
                row.delivery_attempts += int(failed)
                session.add(row)
            session.commit()


def _organisation_destinations(environments: Any) -> set[int]:
    """Per organisation and webhook URL, the environment in use with the lowest id."""
    chosen: dict[tuple[int, str], int] = {}
    for env in sorted(environments, key=lambda e: e.id):
        if env.siem_url and env.removed_at is None:
            chosen.setdefault((env.organisation_id, env.siem_url.strip()), env.id)
    return set(chosen.values())


def _stream_condition(organisation_id: int, environment_id: int, organisation_level: bool) -> ColumnElement[bool]:
    """The events of a destination's stream still to deliver (with `_progress_of` joined)."""
    own = and_(col(AuditEvent.environment_id) == environment_id, _undelivered())
    if not organisation_level:
        return own
    organisation_wide = and_(
        col(AuditEvent.environment_id).is_(None),
        col(AuditEvent.organisation_id) == organisation_id,
        col(OrganisationAuditDelivery.delivered_at).is_(None),
    )
    return or_(own, organisation_wide)


def _progress_of(environment_id: int) -> ColumnElement[bool]:
    """Joins an organisation-level event to its delivery to `environment_id`."""
    delivery = OrganisationAuditDelivery
    return and_(col(delivery.event_id) == col(AuditEvent.id), col(delivery.environment_id) == environment_id)


def _waiting(
    session: Session, organisation_id: int, environment_id: int, organisation_level: bool
) -> tuple[int, datetime | None]:
    """How many events a destination's stream holds undelivered, and when the oldest occurred."""
    count, first = session.execute(
        select(func.count(), func.min(AuditEvent.occurred_at))
        .select_from(AuditEvent)
        .outerjoin(OrganisationAuditDelivery, _progress_of(environment_id))
        .where(_stream_condition(organisation_id, environment_id, organisation_level))
    ).one()
    return count, None if first is None else _aware(first)


def _stream(session: Session, organisation_id: int, environment_id: int, organisation_level: bool, limit: int) -> list[OutboxEvent]:
    delivery = OrganisationAuditDelivery
    query = (
        select(AuditEvent, delivery)
        .outerjoin(delivery, _progress_of(environment_id))
        .where(_stream_condition(organisation_id, environment_id, organisation_level))
        .order_by(col(AuditEvent.id))
        .limit(limit)
    )
    found = []
    for event, progress in session.exec(query).all():
        record = AuditRecord.of(event)
        if event.environment_id is None:
            if progress is None:
                found.append(OutboxEvent(record, 0, None, None, True))
            else:
                found.append(OutboxEvent(record, progress.delivery_attempts, progress.next_attempt_at, progress.last_error, True))
        else:
            found.append(OutboxEvent(record, event.delivery_attempts, event.next_attempt_at, event.last_error, False))
    return found


def _is_due(pending: OutboxEvent, now: datetime) -> bool:
    """Whether the destination may attempt `pending` at `now` (after a failure, from its next attempt)."""
    return True if pending.next_attempt_at is None else _aware(pending.next_attempt_at) <= _aware(now)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _undelivered() -> ColumnElement[bool]:
    return col(AuditEvent.delivered_at).is_(None)
