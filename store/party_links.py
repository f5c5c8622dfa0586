"""Links staff chose between Aderant parties and existing Clio Operate contacts, per environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.models import PartyLink, utcnow


@dataclass(frozen=True)
class RememberedLink:
    party_reference: str
    ods_id: str
    linked_by: str
    linked_at: datetime


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


def remembered_links(
    session: Session, organisation_id: int, environment_id: int, references: list[str]
) -> dict[str, RememberedLink]:
    """The link last recorded for each of these party references in the environment, in one query."""
    if not references:
        return {}
    rows = session.exec(
        select(PartyLink).where(
            PartyLink.organisation_id == organisation_id,
            PartyLink.environment_id == environment_id,
            col(PartyLink.party_reference).in_(sorted(set(references))),
        )
    )
    return {r.party_reference: RememberedLink(r.party_reference, r.ods_id, r.linked_by, r.linked_at) for r in rows}
