"""Members of an organisation and their roles: for signing in outside Clio Operate, and overriding
the Clio Operate roles of portal users (embed_auth.portal_access).

Each change is written in one transaction with its audit event, and ends the member's
sessions so that a removal or a new role counts at once. The organisation's row is locked while
its administrators are counted, so two changes at once cannot leave it without one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import AuditEvent, Membership, Organisation, WebSession
from store.required import required

ADMINISTRATOR = "administrator"
ROLES = (ADMINISTRATOR, "staff")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def email_address(value: object) -> str | None:
    """The value as a member e-mail (trimmed, lower-cased), or None if it does not look like one."""
    if not isinstance(value, str):
        return None
    email = value.strip().lower()
    return email if len(email) <= 320 and EMAIL.fullmatch(email) else None


@dataclass(frozen=True)
class Member:
    """A person who may sign in to an organisation outside Clio Operate, and their role."""

    id: int
    organisation_id: int
    email: str
    display_name: str
    role: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: Membership) -> Member:
        return cls(required(row.id, "a stored member's id"), row.organisation_id, row.email, row.display_name, row.role, row.created_at)


class MemberError(Exception):
    pass


class MemberExists(MemberError):
    pass


class MemberNotFound(MemberError):
    pass


class LastAdministrator(MemberError):
    """The change would leave the organisation without an administrator member."""


class MemberStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def members(self, organisation_id: int) -> list[Member]:
        with Session(self.engine) as session:
            query = select(Membership).where(Membership.organisation_id == organisation_id)
            return [Member.of(row) for row in session.exec(query.order_by(col(Membership.email))).all()]

    def memberships(self, email: str) -> list[Member]:
        """Sign-in lookup, the one not scoped by organisation: the e-mail is what names it."""
        with Session(self.engine) as session:
            query = select(Membership).where(Membership.email == email.lower())
            return [Member.of(row) for row in session.exec(query.order_by(col(Membership.organisation_id))).all()]

    def add(self, organisation_id: int, email: str, display_name: str, role: str | None, *, actor: str) -> Member:
        member = Membership(organisation_id=organisation_id, email=email.lower(), display_name=display_name, role=role)

        def change(session: Session) -> Membership:
            if _by_email(session, organisation_id, member.email) is not None:
                raise MemberExists(member.email)
            session.add(member)
            _audit(session, "member.added", member, actor, {"role": role})
            return member

        try:
            return self._write(organisation_id, change)
        except IntegrityError:  # added by someone else between the check and the commit
            raise MemberExists(member.email) from None

    def set_role(self, organisation_id: int, member_id: int, role: str | None, *, actor: str) -> Member:
        def change(session: Session) -> Membership:
            member = _member(session, organisation_id, member_id)
            if member.role != role:
                _keep_an_administrator(session, member, role)
                _audit(session, "member.role_changed", member, actor, {"role": role, "previous_role": member.role})
                member.role = role
                _end_sessions(session, member)
            return member

        return self._write(organisation_id, change)

    def remove(self, organisation_id: int, member_id: int, *, actor: str) -> Member:
        def change(session: Session) -> Membership:
            member = _member(session, organisation_id, member_id)
            _keep_an_administrator(session, member, None)
            _audit(session, "member.removed", member, actor, {"role": member.role})
            session.delete(member)
            _end_sessions(session, member)
            return member

        return self._write(organisation_id, change)

    def ensure_administrator(self, organisation_id: int, email: str, display_name: str, *, actor: str) -> bool:
        """Make the e-mail an administrator member (added if missing). False if it already was one."""
        with Session(self.engine) as session:
            existing = _by_email(session, organisation_id, email.lower())
        if existing is None:
            self.add(organisation_id, email, display_name, ADMINISTRATOR, actor=actor)
            return True
        if existing.role == ADMINISTRATOR:
            return False
        self.set_role(organisation_id, required(existing.id, "a stored member's id"), ADMINISTRATOR, actor=actor)
        return True

    def _write(self, organisation_id: int, change: Callable[[Session], Membership]) -> Member:
        with Session(self.engine) as session:
            session.exec(select(Organisation.id).where(Organisation.id == organisation_id).with_for_update()).first()
            member = change(session)
            session.commit()
            if member in session:  # a removed member is gone from the session, and fully loaded already
                session.refresh(member)
            return Member.of(member)


def _member(session: Session, organisation_id: int, member_id: int) -> Membership:
    member = session.exec(
        select(Membership).where(Membership.organisation_id == organisation_id, Membership.id == member_id)
    ).first()
    if member is None:
        raise MemberNotFound(member_id)
    return member


def _by_email(session: Session, organisation_id: int, email: str) -> Membership | None:
    return session.exec(
        select(Membership).where(Membership.organisation_id == organisation_id, Membership.email == email)
    ).first()


def _keep_an_administrator(session: Session, member: Membership, new_role: str | None) -> None:
    if member.role != ADMINISTRATOR or new_role == ADMINISTRATOR:
        return
    administrators = session.exec(
        select(func.count())
        .select_from(Membership)
        .where(Membership.organisation_id == member.organisation_id, Membership.role == ADMINISTRATOR)
    ).one()
    if administrators <= 1:
        raise LastAdministrator(member.email)


def _end_sessions(session: Session, member: Membership) -> None:
    """All sessions of this member, standalone and from the portal: the member's role overrides
    their Clio Operate roles, so the portal widget signs them in again under the new decision."""
    session.execute(
        delete(WebSession).where(
            col(WebSession.organisation_id) == member.organisation_id,
            func.lower(col(WebSession.user_name)) == member.email,
        )
    )


def _audit(session: Session, type: str, member: Membership, actor: str, data: dict[str, Any]) -> None:
    session.add(
        AuditEvent(
            type=type,
            organisation_id=member.organisation_id,
            actor=actor,
            data={"email": member.email, "display_name": member.display_name, **data},
        )
    )
