"""Ending browser sessions when who may use PMS Sync changes (embed_auth.portal_access)."""

from __future__ import annotations

from sqlalchemy import delete, func, update
from sqlmodel import Session, col

from store.models import WebSession


def end_portal_sessions(session: Session, organisation_id: int, *, keeping: str) -> None:
    """In `session`'s transaction, end the organisation's portal sessions (signed in through Clio
    Operate) after its staff or administrator roles changed: the widget signs them in again under
    the new roles. Those of `keeping` (who saved the change) stay, due to be decided again at their
    next request, so the administrator is not signed out of the page they saved."""
    portal = (col(WebSession.organisation_id) == organisation_id, col(WebSession.environment_id).is_not(None))
    saver = func.lower(col(WebSession.user_name)) == keeping.strip().lower()
    session.execute(delete(WebSession).where(*portal, ~saver))
    session.execute(update(WebSession).where(*portal, saver).values(checked_at=None))
