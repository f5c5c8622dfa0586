"""The work types' display names and abstract flags, per environment, as an administrator loaded
them from the modeller's tree (the public tree carries system names only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from store.models import AuditEvent, WorkTypeNames, utcnow
from store.settings_version import raise_version


class WorkTypeNamesStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def loaded(self, organisation_id: int, environment_id: int) -> WorkTypeNames | None:
        """The names loaded for the environment; None when none were."""
        with Session(self.engine) as session:
            return session.exec(self._query(organisation_id, environment_id)).first()

    def load(
        self,
        organisation_id: int,
        environment_id: int,
        types: dict[str, dict[str, Any]],
        *,
        source: str,
        actor: str,
        audited: bool = True,
    ) -> WorkTypeNames:
        """Replace the environment's names with `types` (system name → {name, isAbstract}), with one
        audit event, in one transaction. Only a set-up outside the product (the demo's) is not ``audited``."""
        with Session(self.engine) as session:
            row = session.exec(self._query(organisation_id, environment_id)).first() or WorkTypeNames(
                organisation_id=organisation_id, environment_id=environment_id, source=source, loaded_by=actor
            )
            row.types, row.source, row.loaded_by, row.loaded_at = types, source, actor, utcnow()
            session.add(row)
            if audited:
                data = {"source": source, "work_types": {name: t.get("name") for name, t in sorted(types.items())}}
                session.add(
                    AuditEvent(
                        type="work_type_names.loaded",
                        organisation_id=organisation_id,
                        environment_id=environment_id,
                        actor=actor,
                        data=data,
                    )
                )
            raise_version(session, organisation_id)
            session.commit()
            session.refresh(row)
            return row

    @staticmethod
    def _query(organisation_id: int, environment_id: int):
        return select(WorkTypeNames).where(
            WorkTypeNames.organisation_id == organisation_id, WorkTypeNames.environment_id == environment_id
        )
