"""People's display names, remembered at sign-in so History can name them without a remote call."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import PersonName, utcnow

NAME_LENGTH = 200


class PeopleStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def remember(self, organisation_id: int, user_name: str, display_name: str) -> None:
        """Record the display name a user signed in with (written only when it changed)."""
        user_name, display_name = user_name[:NAME_LENGTH], display_name.strip()[:NAME_LENGTH]
        if not user_name or not display_name:
            return
        for _ in range(2):  # a concurrent first sign-in of the same user may insert first
            with Session(self.engine) as session:
                row = session.exec(
                    select(PersonName).where(
                        PersonName.organisation_id == organisation_id, PersonName.user_name == user_name
                    )
                ).first()
                if row is not None and row.display_name == display_name:
                    return
                row = row or PersonName(organisation_id=organisation_id, user_name=user_name, display_name=display_name)
                row.display_name, row.seen_at = display_name, utcnow()
                session.add(row)
                try:
                    session.commit()
                    return
                except IntegrityError:
                    session.rollback()

    def display_names(self, organisation_id: int, user_names: Iterable[str]) -> dict[str, str]:
        """The known display names of these users of the organisation, in one query."""
        names = sorted(set(user_names))
        if not names:
            return {}
        with Session(self.engine) as session:
            rows = session.exec(
                select(PersonName.user_name, PersonName.display_name).where(
                    PersonName.organisation_id == organisation_id, col(PersonName.user_name).in_(names)
                )
            ).all()
            return dict(rows)
