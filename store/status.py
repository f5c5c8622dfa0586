"""What Settings → Status reads from the database for one environment of one organisation:
today's imports by outcome and the work that is stuck."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, col, or_, select

from store.models import ContactClaim, Environment, ImportAttempt, MatterImport


@dataclass(frozen=True)
class StuckImport:
    matter_number: str
    started_at: datetime
    imported_by: str


@dataclass(frozen=True)
class StuckWork:
    claims_past_time: tuple[StuckImport, ...]  # in progress, but their lease ran out: their process died
    unknown_writes: tuple[StuckImport, ...]  # a create timed out: it may have landed in Clio Operate
    unknown_contacts: int  # contact creates that timed out, or whose claim ran out while creating

    @property
    def count(self) -> int:
        return len(self.claims_past_time) + len(self.unknown_writes) + self.unknown_contacts


class StatusStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def environments_in_use(self) -> list[tuple[int, int]]:
        """Every organisation's environments in use, as (organisation id, environment id)."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(Environment.organisation_id, Environment.id).where(col(Environment.removed_at).is_(None))
            ).all()
        return [(organisation_id, environment_id) for organisation_id, environment_id in rows if environment_id is not None]

    def imports_since(self, organisation_id: int, environment_id: int, since: datetime) -> dict[str, int]:
        """Import attempts started since `since`, counted by outcome."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(ImportAttempt.outcome, func.count())
                .where(
                    ImportAttempt.organisation_id == organisation_id,
                    ImportAttempt.environment_id == environment_id,
                    col(ImportAttempt.started_at) >= since,
                )
                .group_by(ImportAttempt.outcome)
            ).all()
        return {outcome: count for outcome, count in rows}

    def stuck(self, organisation_id: int, environment_id: int, now: datetime, limit: int = 20) -> StuckWork:
        """Claims still in progress past their time, and writes whose outcome is unknown."""
        scope = (MatterImport.organisation_id == organisation_id, MatterImport.environment_id == environment_id)
        with Session(self.engine) as session:
            expired = session.exec(
                select(MatterImport)
                .where(*scope, MatterImport.status == "in_progress", col(MatterImport.lease_expires_at) < now)
                .order_by(col(MatterImport.started_at))
                .limit(limit)
            ).all()
            unknown = session.exec(
                select(MatterImport)
                .where(*scope, MatterImport.status == "unknown")
                .order_by(col(MatterImport.started_at))
                .limit(limit)
            ).all()
            contacts = session.exec(
                select(func.count())
                .select_from(ContactClaim)
                .where(
                    ContactClaim.organisation_id == organisation_id,
                    ContactClaim.environment_id == environment_id,
                    or_(
                        ContactClaim.status == "unknown",
                        (col(ContactClaim.status) == "creating") & (col(ContactClaim.lease_expires_at) < now),
                    ),
                )
            ).one()
        return StuckWork(_listed(expired), _listed(unknown), contacts)


def _listed(rows: Sequence[MatterImport]) -> tuple[StuckImport, ...]:
    return tuple(StuckImport(row.matter_number, _aware(row.started_at), row.imported_by) for row in rows)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
