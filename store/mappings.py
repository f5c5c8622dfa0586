"""Saved mapping versions of an environment. Each save is written together with its audit event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import AuditEvent, MappingVersion
from store.settings_version import raise_version

SAVE_TRIES = 10


@dataclass(frozen=True)
class MappingRecord:
    version: int
    document: dict[str, Any]
    author: str
    note: str
    created_at: datetime


def _record(row: MappingVersion) -> MappingRecord:
    return MappingRecord(row.version, row.document, row.author, row.note, row.created_at)


class MappingStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _query(self, organisation_id: int, environment_id: int):
        return select(MappingVersion).where(
            MappingVersion.organisation_id == organisation_id, MappingVersion.environment_id == environment_id
        )

    def latest(self, organisation_id: int, environment_id: int) -> MappingRecord | None:
        """The version in force, or None when the environment never saved one."""
        with Session(self.engine) as session:
            row = session.exec(
                self._query(organisation_id, environment_id).order_by(col(MappingVersion.version).desc()).limit(1)
            ).first()
            return _record(row) if row else None

    def version(self, organisation_id: int, environment_id: int, version: int) -> MappingRecord | None:
        with Session(self.engine) as session:
            row = session.exec(self._query(organisation_id, environment_id).where(MappingVersion.version == version)).first()
            return _record(row) if row else None

    def versions(self, organisation_id: int, environment_id: int, limit: int = 100) -> list[MappingRecord]:
        """Newest first."""
        with Session(self.engine) as session:
            rows = session.exec(
                self._query(organisation_id, environment_id).order_by(col(MappingVersion.version).desc()).limit(limit)
            ).all()
            return [_record(row) for row in rows]

    def save(
        self,
        organisation_id: int,
        environment_id: int,
        document: dict[str, Any],
        *,
        author: str,
        note: str,
        event: str,
        data: dict[str, Any] | None = None,
    ) -> int:
        """Add the next version and its audit event in one transaction; the new version number.

        Two administrators saving at once both get a version: the unique (environment, version)
        key refuses the second insert, which then takes the next number.
        """
        for attempt in range(SAVE_TRIES):
            try:
                return self._save(organisation_id, environment_id, document, author, note, event, data or {})
            except IntegrityError:
                if attempt == SAVE_TRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _save(
        self, organisation_id: int, environment_id: int, document: dict[str, Any], author: str, note: str, event: str, data: dict[str, Any]
    ) -> int:
        with Session(self.engine) as session:
            newest = session.exec(
                select(func.max(MappingVersion.version)).where(
                    MappingVersion.organisation_id == organisation_id, MappingVersion.environment_id == environment_id
                )
            ).one()
            version = (newest or 0) + 1
            session.add(
                MappingVersion(
                    organisation_id=organisation_id,
                    environment_id=environment_id,
                    version=version,
                    document=document,
                    author=author,
                    note=note,
                )
            )
            session.add(
                AuditEvent(
                    type=event,
                    organisation_id=organisation_id,
                    environment_id=environment_id,
                    actor=author,
                    data={"version": version, "note": note, **data},
                )
            )
            raise_version(session, organisation_id)
            session.commit()
            return version
