"""The participant roles each work type allows, per environment, as an administrator loaded them
(Clio Operate offers them only on modeller routes, which need a portal session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from store.models import AuditEvent, WorkTypeRoles, utcnow
from store.settings_version import raise_version


@dataclass(frozen=True)
class LoadedRolesRecord:
    """One work type's participant roles as loaded (Clio Operate's JSON, one object per role)."""

    work_type: str
    roles: list[dict[str, Any]]
    source: str
    loaded_by: str
    loaded_at: datetime

    @classmethod
    def of(cls, row: WorkTypeRoles) -> LoadedRolesRecord:
        return cls(row.work_type, list(row.roles), row.source, row.loaded_by, row.loaded_at)


class WorkTypeRolesStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def all(self, organisation_id: int, environment_id: int) -> list[LoadedRolesRecord]:
        """Every work type with loaded roles, by work type."""
        with Session(self.engine) as session:
            rows = session.exec(self._query(organisation_id, environment_id).order_by(col(WorkTypeRoles.work_type))).all()
            return [LoadedRolesRecord.of(row) for row in rows]

    def load(
        self,
        organisation_id: int,
        environment_id: int,
        roles: dict[str, list[dict[str, Any]]],
        *,
        source: str,
        actor: str,
        audited: bool = True,
    ) -> list[LoadedRolesRecord]:
        """Replace the roles of each work type given (others keep theirs), with one audit event,
        in one transaction. Only a set-up outside the product (the demo's) is not ``audited``."""
        now = utcnow()
        with Session(self.engine) as session:
            existing = {
                row.work_type: row
                for row in session.exec(
                    self._query(organisation_id, environment_id).where(col(WorkTypeRoles.work_type).in_(list(roles)))
                ).all()
            }
            rows = []
            for work_type, listed in sorted(roles.items()):
                row = existing.get(work_type) or WorkTypeRoles(
                    organisation_id=organisation_id, environment_id=environment_id, work_type=work_type, source=source, loaded_by=actor
                )
                row.roles, row.source, row.loaded_by, row.loaded_at = listed, source, actor, now
                session.add(row)
                rows.append(row)
            if audited:
                loaded = {work_type: [r.get("systemName") for r in listed] for work_type, listed in sorted(roles.items())}
                session.add(_event("work_type_roles.loaded", organisation_id, environment_id, actor, {"source": source, "work_types": loaded}))
            raise_version(session, organisation_id)
            session.commit()
            for row in rows:
                session.refresh(row)
            return [LoadedRolesRecord.of(row) for row in rows]

    def remove(self, organisation_id: int, environment_id: int, work_type: str, *, actor: str) -> LoadedRolesRecord | None:
        """Forget the loaded roles of a work type; None when none were loaded."""
        with Session(self.engine) as session:
            row = session.exec(self._query(organisation_id, environment_id).where(WorkTypeRoles.work_type == work_type)).first()
            if row is None:
                return None
            removed = WorkTypeRoles.model_validate(row)
            session.delete(row)
            data = {"work_type": work_type, "source": removed.source}
            session.add(_event("work_type_roles.removed", organisation_id, environment_id, actor, data))
            raise_version(session, organisation_id)
            session.commit()
            return LoadedRolesRecord.of(removed)

    @staticmethod
    def _query(organisation_id: int, environment_id: int):
        return select(WorkTypeRoles).where(
            WorkTypeRoles.organisation_id == organisation_id, WorkTypeRoles.environment_id == environment_id
        )


def _event(type: str, organisation_id: int, environment_id: int, actor: str, data: dict[str, Any]) -> AuditEvent:
    return AuditEvent(type=type, organisation_id=organisation_id, environment_id=environment_id, actor=actor, data=data)
