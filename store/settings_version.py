"""The version of an organisation's settings: its environments (secrets and all), their mappings,
default teams and loaded participant roles.

Every write that changes one of them calls `raise_version` in its own transaction, so a replica
that cached them (plugin/settings_cache.py) learns with one primary-key read that they changed,
whichever replica (or `pms-sync` command) wrote; `saves_here` counts the saves this process
committed, so its own cache need not wait to learn of them. On PostgreSQL the update holds the organisation's
row until commit: two settings saves of one organisation take turns, which they may, being rare.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine, bindparam, event, select, update
from sqlmodel import Session, col

from store.models import Organisation


def raise_version(session: Session, organisation_id: int) -> None:
    """In the caller's transaction, after its other writes (so its audit locks come first)."""
    session.execute(
        update(Organisation)
        .where(col(Organisation.id) == organisation_id)
        .values(settings_version=col(Organisation.settings_version) + 1)
        .execution_options(synchronize_session=False)
    )
    event.listen(session, "after_commit", lambda _: _saved_here.update((organisation_id,)), once=True)


_saved_here: Counter[int] = Counter()


def saves_here(organisation_id: int) -> int:
    """How many saves of the organisation's settings this process has committed."""
    return _saved_here[organisation_id]


# Built once: the read runs on every request, and building the statement cost twice its execution.
_VERSION = select(col(Organisation.settings_version)).where(col(Organisation.id) == bindparam("organisation_id"))


def settings_version(engine: Engine, organisation_id: int) -> int | None:
    """The organisation's settings version; None when there is no such organisation."""
    with engine.connect() as connection:
        return connection.execute(_VERSION, {"organisation_id": organisation_id}).scalar_one_or_none()
