"""Links staff chose between Aderant parties and existing Clio Operate contacts, per environment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.models import PartyLink, utcnow


@dataclass(frozen=True)
class RememberedLink:
    party_reference: str
    ods_id: str
    linked_by: str
    linked_at: datetime


class PartyLinkStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def remembered(self, organisation_id: int, environment_id: int, references: Sequence[str]) -> dict[str, RememberedLink]:
        """The link last recorded for each of these party references, by reference."""
        if not references:
            return {}
        with Session(self.engine) as session:
            rows = session.exec(
                select(PartyLink).where(
                    PartyLink.organisation_id == organisation_id,
                    PartyLink.environment_id == environment_id,
                    col(PartyLink.party_reference).in_(list(references)),
                )
            ).all()
            return {
                row.party_reference: RememberedLink(row.party_reference, row.ods_id, row.linked_by, row.linked_at)
                for row in rows
            }


def remember_links(
    session: Session, organisation_id: int, environment_id: int, links: Mapping[str, str], linked_by: str
) -> None:
    """Record party reference → contact id links in the caller's transaction; a newer link of the
    same party replaces the older one."""
    if not links:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    for reference, ods_id in links.items():
        statement = insert(PartyLink).values(
            organisation_id=organisation_id, environment_id=environment_id, party_reference=reference,
            ods_id=ods_id, linked_by=linked_by, linked_at=now,
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["organisation_id", "environment_id", "party_reference"],
                set_={"ods_id": ods_id, "linked_by": linked_by, "linked_at": now},
            )
        )
