"""Settings → Status's alerts, shared by every replica: what each replica last saw wrong with an
environment, and the environment's incident as Teams was told of it.

Every change to an incident is a compare-and-set on its `version`: of replicas racing to open or
close the same incident, exactly one changes it, and only that one sends the card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import AlertIncident, AlertObservation
from store.results import rows_changed


@dataclass(frozen=True)
class Problem:
    key: str  # what is wrong, stable while it lasts: "hop:api", "siem", "runs"
    text: str  # in plain words, for the page and the Teams card


@dataclass(frozen=True)
class Incident:
    problems: tuple[Problem, ...]  # as the card that opened it said
    opened_at: datetime
    closed_at: datetime | None
    version: int  # changes with every change of the row

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class IncidentStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def observe(
        self, organisation_id: int, environment_id: int, replica: str, problems: tuple[Problem, ...],
        now: datetime, live_since: datetime,
    ) -> tuple[Problem, ...]:
        """Record what `replica` sees now; what every replica heard from since `live_since` sees,
        freshest first, each problem once. Older observations are forgotten: their replica stopped."""
        scope = (
            col(AlertObservation.organisation_id) == organisation_id,
            col(AlertObservation.environment_id) == environment_id,
        )
        values = {"problems": _stored(problems), "checked_at": now}
        with self.engine.begin() as connection:  # on its own: it holds no lock while this replica's row is written
            connection.execute(delete(AlertObservation).where(*scope, col(AlertObservation.checked_at) < live_since))
        with Session(self.engine) as session:
            recorded = session.execute(
                update(AlertObservation).where(*scope, col(AlertObservation.replica) == replica).values(**values)
            )
            if rows_changed(recorded) != 1:
                session.execute(insert(AlertObservation).values(
                    organisation_id=organisation_id, environment_id=environment_id, replica=replica, **values
                ))
            rows = session.exec(
                select(col(AlertObservation.problems)).where(*scope).order_by(
                    col(AlertObservation.checked_at).desc(), col(AlertObservation.replica)
                )
            ).all()
            session.commit()
        seen: dict[str, Problem] = {}
        for stored in rows:
            for problem in _problems(stored):
                seen.setdefault(problem.key, problem)
        return tuple(seen.values())

    def incident(self, organisation_id: int, environment_id: int) -> Incident | None:
        """The environment's last incident, open or closed; None: it never had one."""
        with Session(self.engine) as session:
            row = session.exec(select(AlertIncident).where(
                AlertIncident.organisation_id == organisation_id, AlertIncident.environment_id == environment_id
            )).first()
        return _incident(row) if row else None

    def open(
        self, organisation_id: int, environment_id: int, problems: tuple[Problem, ...], now: datetime,
        after: Incident | None,
    ) -> Incident | None:
        """Open an incident if the environment's last one is still `after` (closed, or None: there
        was none); the new incident, or None when another replica changed it first."""
        if after is not None and after.is_open:
            raise ValueError("the environment's incident is still open")
        opened = Incident(problems, now, None, after.version + 1 if after else 1)
        values = {"problems": _stored(problems), "opened_at": now, "closed_at": None, "version": opened.version}
        return opened if self._set(organisation_id, environment_id, after, values) else None

    def close(self, organisation_id: int, environment_id: int, incident: Incident, now: datetime) -> Incident | None:
        """Close `incident` if it is still the environment's; None when another replica changed it first."""
        closed = Incident(incident.problems, incident.opened_at, now, incident.version + 1)
        values = {"closed_at": now, "version": closed.version}
        return closed if self._set(organisation_id, environment_id, incident, values) else None

    def undo(self, organisation_id: int, environment_id: int, done: Incident, before: Incident | None) -> bool:
        """Put the incident back as it was `before` a change whose card could not be sent, if it is
        still `done`: the next check then makes the change again. False: another replica moved on."""
        scope = (
            col(AlertIncident.organisation_id) == organisation_id,
            col(AlertIncident.environment_id) == environment_id,
            col(AlertIncident.version) == done.version,
        )
        with self.engine.begin() as connection:
            if before is None:
                undone = connection.execute(delete(AlertIncident).where(*scope))
            else:
                undone = connection.execute(update(AlertIncident).where(*scope).values(
                    problems=_stored(before.problems), opened_at=before.opened_at, closed_at=before.closed_at,
                    version=before.version,
                ))
        return undone.rowcount == 1

    def _set(self, organisation_id: int, environment_id: int, expected: Incident | None, values: dict[str, object]) -> bool:
        """Write `values` if the row is still `expected` (None: there is no row); whether it was written."""
        try:
            with self.engine.begin() as connection:
                if expected is None:
                    connection.execute(insert(AlertIncident).values(
                        organisation_id=organisation_id, environment_id=environment_id, **values
                    ))
                    return True
                changed = connection.execute(update(AlertIncident).where(
                    col(AlertIncident.organisation_id) == organisation_id,
                    col(AlertIncident.environment_id) == environment_id,
                    col(AlertIncident.version) == expected.version,
                ).values(**values))
                return changed.rowcount == 1
        except IntegrityError:  # another replica inserted the row first
            return False


def _stored(problems: tuple[Problem, ...]) -> list[dict[str, str]]:
    return [{"key": problem.key, "text": problem.text} for problem in problems]


def _problems(stored: list[dict[str, str]]) -> tuple[Problem, ...]:
    return tuple(Problem(problem["key"], problem["text"]) for problem in stored)


def _incident(row: AlertIncident) -> Incident:
    return Incident(_problems(row.problems), _aware(row.opened_at), _aware(row.closed_at) if row.closed_at else None, row.version)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
