"""Default teams of an environment: list, add and remove, each change written with its audit event."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import AuditEvent, DefaultTeam
from store.required import required
from store.settings_version import raise_version


@dataclass(frozen=True)
class DefaultTeamEntry:
    """A security team added to every imported matter of a work type ("*": every type), in a role."""

    id: int
    organisation_id: int
    environment_id: int
    work_type: str
    team_id: str
    team_name: str
    role: str

    @classmethod
    def of(cls, row: DefaultTeam) -> DefaultTeamEntry:
        return cls(required(row.id, "a stored default team's id"), row.organisation_id, row.environment_id, row.work_type, row.team_id, row.team_name, row.role)


class DefaultTeamStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def all(self, organisation_id: int, environment_id: int) -> list[DefaultTeamEntry]:
        """Every default team of the environment, by work type ("*" first), then team name."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(DefaultTeam)
                .where(DefaultTeam.organisation_id == organisation_id, DefaultTeam.environment_id == environment_id)
                .order_by(col(DefaultTeam.work_type), col(DefaultTeam.team_name), col(DefaultTeam.id))
            ).all()
            return [DefaultTeamEntry.of(row) for row in rows]

    def add(
        self,
        organisation_id: int,
        environment_id: int,
        *,
        work_type: str,
        team_id: str,
        team_name: str,
        role: str,
        actor: str,
        audited: bool = True,
    ) -> DefaultTeamEntry | None:
        """The new default team, with its audit event in the same transaction; None when the team is
        already one for that work type. Only a set-up outside the product (the demo's) is not ``audited``."""
        row = DefaultTeam(
            organisation_id=organisation_id,
            environment_id=environment_id,
            work_type=work_type,
            team_id=team_id,
            team_name=team_name,
            role=role,
        )
        with Session(self.engine) as session:
            session.add(row)
            try:
                session.flush()
            except IntegrityError:  # the unique (environment, work type, team) key
                return None
            if audited:
                session.add(_event("default_team.added", row, actor))
            raise_version(session, organisation_id)
            session.commit()
            session.refresh(row)
            return DefaultTeamEntry.of(row)

    def remove(self, organisation_id: int, environment_id: int, default_team_id: int, *, actor: str) -> DefaultTeamEntry | None:
        """The removed default team; None when the environment has no such default team."""
        with Session(self.engine) as session:
            row = session.exec(
                select(DefaultTeam).where(
                    DefaultTeam.organisation_id == organisation_id,
                    DefaultTeam.environment_id == environment_id,
                    DefaultTeam.id == default_team_id,
                )
            ).first()
            if row is None:
                return None
            removed = DefaultTeam.model_validate(row)
            session.delete(row)
            session.add(_event("default_team.removed", removed, actor))
            raise_version(session, organisation_id)
            session.commit()
            return DefaultTeamEntry.of(removed)


def _event(type: str, row: DefaultTeam, actor: str) -> AuditEvent:
    return AuditEvent(
        type=type,
        organisation_id=row.organisation_id,
        environment_id=row.environment_id,
        actor=actor,
        data={"work_type": row.work_type, "team_id": row.team_id, "team_name": row.team_name, "role": row.role},
    )
