"""Adding, changing, removing and choosing the default of an organisation's environments.

Each change is written in one transaction with its audit events: one per changed field, naming
who changed it. Plain fields carry their old and new values; secrets only say whether they were
set, replaced or cleared, never their values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import AuditEvent, ConnectionCheck, Environment, utcnow
from store.required import required
from store.secrets import SecretBox
from store.settings_version import raise_version
from store.web_sessions import end_portal_sessions

SECRET_COLUMNS = {
    "client_secret": "client_secret_enc",
    "agent_key": "agent_key_enc",
    "relay_key": "relay_key_enc",
    "siem_secret": "siem_secret_enc",
}
PLAIN_FIELDS = (
    "name", "identity_url", "api_url", "client_id", "agent_url", "relay_key_name",
    "portal_origins", "portal_page_url", "admin_roles", "staff_roles", "siem_url", "import_writes_enabled",
)


class EnvironmentConflict(ValueError):
    """The name or identity URL was taken by someone else between the check and the write."""


def normalise_issuer(url: str) -> str:
    return url.strip().rstrip("/")


@dataclass(frozen=True)
class EnvironmentValues:
    """An environment's settings as the administrator saves them (already validated)."""

    name: str
    identity_url: str
    api_url: str
    client_id: str = ""
    agent_url: str = ""
    relay_key_name: str | None = None
    portal_origins: tuple[str, ...] = ()
    portal_page_url: str | None = None
    admin_roles: tuple[str, ...] = ()
    staff_roles: tuple[str, ...] = ()
    siem_url: str | None = None
    import_writes_enabled: bool = False
    # Only the secrets to change, by name (see SECRET_COLUMNS): a value sets it, None clears it.
    secrets: Mapping[str, str | None] = field(default_factory=dict)
    # Environment.clio_settings as it is to be stored; each key is audited as its own field, its
    # old value taken from `clio_settings_before` (the values in effect) when given.
    clio_settings: Mapping[str, Any] = field(default_factory=dict)
    clio_settings_before: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LastCheck:
    """The last Test connection of an environment."""

    checked_at: datetime
    ok: bool
    summary: str
    checked_by: str


@dataclass(frozen=True)
class EnvironmentRef:
    """An environment in use, by its ids and name: the one that has taken a name or identity URL."""

    organisation_id: int
    environment_id: int
    name: str


class EnvironmentStore:
    def __init__(self, engine: Engine, secrets: SecretBox) -> None:
        self.engine = engine
        self.secrets = secrets

    def environment_named(self, organisation_id: int, name: str) -> EnvironmentRef | None:
        """The environment in use with this name, case-insensitively."""
        query = _in_use_query(organisation_id).where(func.lower(Environment.name) == name.lower())
        return self._first(query)

    def environment_with_identity_url(self, identity_url: str) -> EnvironmentRef | None:
        """In any organisation: the identity URL is how sign-in finds the environment."""
        query = select(Environment).where(
            Environment.identity_url == normalise_issuer(identity_url), col(Environment.removed_at).is_(None)
        )
        return self._first(query)

    def add(self, organisation_id: int, values: EnvironmentValues, actor: str) -> int:
        """A new environment; the organisation's first one in use becomes its default."""
        with Session(self.engine) as session:
            row = Environment(organisation_id=organisation_id, name="", identity_url="", api_url="")
            changes = self._apply(row, values)
            if _default(session, organisation_id) is None:
                row.is_default = True
                changes.append(_changed("is_default", False, True))
            session.add(row)
            _flush(session)
            _audit(session, row, actor, "environment.added")
            for change in changes:
                _audit(session, row, actor, "environment.changed", change)
            raise_version(session, organisation_id)
            _commit(session)
            return required(row.id, "a committed environment's id")

    def update(self, organisation_id: int, environment_id: int, values: EnvironmentValues, actor: str) -> int | None:
        """The number of fields changed; None if there is no such environment in use."""
        with Session(self.engine) as session:
            row = _in_use(session, organisation_id, environment_id)
            if row is None:
                return None
            changes = self._apply(row, values)
            for change in changes:
                _audit(session, row, actor, "environment.changed", change)
            if any(change["field"] in ("admin_roles", "staff_roles") for change in changes):
                end_portal_sessions(session, organisation_id, keeping=actor)
            if changes:
                _flush(session)  # a name or identity URL taken meanwhile is a conflict, before the version is raised
                raise_version(session, organisation_id)
            _commit(session)
            return len(changes)

    def set_default(self, organisation_id: int, environment_id: int, actor: str) -> bool:
        """False if there is no such environment in use."""
        with Session(self.engine) as session:
            row = _in_use(session, organisation_id, environment_id)
            if row is None:
                return False
            if not row.is_default:
                _make_default(session, row, actor)
                raise_version(session, organisation_id)
            session.commit()
            return True

    def remove(self, organisation_id: int, environment_id: int, actor: str) -> bool:
        """Mark it removed (its History stays); if it was the default, the oldest one left takes over.

        False if there is no such environment in use.
        """
        with Session(self.engine) as session:
            row = _in_use(session, organisation_id, environment_id)
            if row is None:
                return False
            was_default = row.is_default
            row.removed_at = utcnow()
            row.is_default = False
            session.add(row)
            _audit(session, row, actor, "environment.removed")
            if was_default:
                successor = session.exec(_in_use_query(organisation_id).order_by(col(Environment.id))).first()
                if successor is not None:
                    _make_default(session, successor, actor)
            raise_version(session, organisation_id)
            session.commit()
            return True

    def record_check(self, organisation_id: int, environment_id: int, check: LastCheck) -> bool:
        """Keep `check` as the environment's last Test connection; False if there is no such
        environment in use in the organisation."""
        with Session(self.engine) as session:
            if session.exec(_in_use_query(organisation_id).where(Environment.id == environment_id)).first() is None:
                return False
            row = session.get(ConnectionCheck, environment_id) or ConnectionCheck(
                environment_id=environment_id, organisation_id=organisation_id, ok=check.ok, summary="", checked_by=""
            )
            row.checked_at, row.ok = check.checked_at, check.ok
            row.summary, row.checked_by = check.summary[:200], check.checked_by[:200]
            session.add(row)
            session.commit()
            return True

    def last_checks(self, organisation_id: int) -> dict[int, LastCheck]:
        """The last Test connection of each of the organisation's environments that had one."""
        with Session(self.engine) as session:
            rows = session.exec(select(ConnectionCheck).where(ConnectionCheck.organisation_id == organisation_id)).all()
            return {
                row.environment_id: LastCheck(_aware(row.checked_at), row.ok, row.summary, row.checked_by) for row in rows
            }

    def _apply(self, row: Environment, values: EnvironmentValues) -> list[dict[str, Any]]:
        """Write `values` onto `row`; the audit data of each field that changed."""
        new_values: dict[str, Any] = {
            **{name: getattr(values, name) for name in PLAIN_FIELDS},
            "identity_url": normalise_issuer(values.identity_url),
            "portal_origins": list(values.portal_origins),
            "admin_roles": list(values.admin_roles),
            "staff_roles": list(values.staff_roles),
        }
        changes = []
        for name, new in new_values.items():
            old = getattr(row, name)
            if old != new:
                changes.append(_changed(name, old, new))
                setattr(row, name, new)
        old_clio, new_clio = dict(row.clio_settings or {}), dict(values.clio_settings)
        for key in sorted(old_clio.keys() | new_clio.keys()):
            if key not in old_clio or key not in new_clio or old_clio[key] != new_clio[key]:
                before = values.clio_settings_before.get(key, old_clio.get(key))
                changes.append(_changed(f"clio_{key}", before, new_clio.get(key)))
        if old_clio != new_clio:
            row.clio_settings = new_clio  # a new object, so the JSON column is written
        for name, secret in values.secrets.items():
            column = SECRET_COLUMNS[name]
            old_secret = getattr(row, column)
            if secret is None and old_secret is None:
                continue
            change = "cleared" if secret is None else "replaced" if old_secret else "set"
            setattr(row, column, self.secrets.encrypt(secret))
            changes.append({"field": name, "change": change})
        return changes

    def _first(self, query: Any) -> EnvironmentRef | None:
        with Session(self.engine) as session:
            row = session.exec(query).first()
            if row is None:
                return None
            return EnvironmentRef(row.organisation_id, required(row.id, "a stored environment's id"), row.name)


def _in_use_query(organisation_id: int) -> Any:
    return select(Environment).where(
        Environment.organisation_id == organisation_id, col(Environment.removed_at).is_(None)
    )


def _in_use(session: Session, organisation_id: int, environment_id: int) -> Environment | None:
    """The environment, locked until commit (PostgreSQL) so its audit diff is exact."""
    query = _in_use_query(organisation_id).where(Environment.id == environment_id).with_for_update()
    return session.exec(query).first()


def _default(session: Session, organisation_id: int) -> Environment | None:
    return session.exec(_in_use_query(organisation_id).where(col(Environment.is_default)).with_for_update()).first()


def _make_default(session: Session, row: Environment, actor: str) -> None:
    previous = _default(session, row.organisation_id)
    if previous is not None:
        previous.is_default = False
        session.add(previous)
        _audit(session, previous, actor, "environment.changed", _changed("is_default", True, False))
    row.is_default = True
    session.add(row)
    _audit(session, row, actor, "environment.changed", _changed("is_default", False, True))


def _changed(name: str, old: Any, new: Any) -> dict[str, Any]:
    return {"field": name, "from": old, "to": new}


def _audit(session: Session, row: Environment, actor: str, type: str, data: Mapping[str, Any] | None = None) -> None:
    session.add(
        AuditEvent(
            type=type,
            organisation_id=row.organisation_id,
            environment_id=row.id,
            actor=actor,
            data={"environment": row.name, **(data or {})},
        )
    )


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise EnvironmentConflict(str(exc.orig)) from exc


def _commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        raise EnvironmentConflict(str(exc.orig)) from exc


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
