"""Every query the service makes. Each one that reads tenant data is scoped by organisation."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, and_, bindparam, delete, func, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from store.db import ping
from store.drift_changes import DriftChangeStore
from store.environments import EnvironmentStore, normalise_issuer
from store.imports import ImportStore
from store.incidents import IncidentStore
from store.leases import Leases
from store.mappings import MappingStore
from store.members import MemberStore
from store.models import (
    AuditEvent,
    Environment,
    MatterImport,
    Organisation,
    WebSession,
    utcnow,
)
from store.outbox import Outbox
from store.people import PeopleStore
from store.required import required
from store.results import rows_changed
from store.schedules import ScheduleStore
from store.secrets import SecretBox
from store.settings_version import settings_version
from store.status import StatusStore
from store.teams import DefaultTeamStore
from store.web_sessions import end_portal_sessions
from store.work_type_names import WorkTypeNamesStore
from store.work_type_roles import WorkTypeRolesStore


@dataclass(frozen=True)
class EnvironmentSettings:
    """An environment with its secrets decrypted, for the clients. Never rendered to a page."""

    id: int
    organisation_id: int
    name: str
    is_default: bool
    identity_url: str
    api_url: str
    client_id: str
    client_secret: str | None
    portal_origins: tuple[str, ...]
    work_item_url_template: str
    agent_url: str
    agent_key: str | None
    relay_key_name: str | None
    relay_key: str | None
    import_writes_enabled: bool
    siem_url: str | None = None
    siem_secret: str | None = None
    admin_roles: tuple[str, ...] = ()
    staff_roles: tuple[str, ...] = ()
    removed: bool = False
    # The Clio Operate portal page that hosts the widget (plugin/portal_links.py); None: not set.
    portal_page_url: str | None = None
    # Where this tenant differs from the documented Clio Operate shapes (plugin/clio_settings.py).
    clio_settings: Mapping[str, Any] = field(default_factory=dict, hash=False)
    contact_url_template: str = "{api_url}/ods/{kind}/{id}"

    @property
    def usable(self) -> bool:
        """Enough is configured to search and preview."""
        return bool(self.agent_url and self.agent_key and self.api_url and self.client_id and self.client_secret)

    def work_item_url(self, work_item_id: str) -> str:
        return self.work_item_url_template.format(api_url=self.api_url.rstrip("/"), id=work_item_id)

    def contact_url(self, kind: str, ods_id: str) -> str:
        return self.contact_url_template.format(api_url=self.api_url.rstrip("/"), kind=kind, id=quote(ods_id, safe=""))


@dataclass(frozen=True)
class SessionRecord:
    organisation_id: int
    environment_id: int | None
    user_id: str
    user_name: str
    display_name: str
    role: str
    csrf_token: str
    expires_at: datetime
    identity_provider: str | None = None
    checked_at: datetime | None = None  # when its access was last decided (None: due now)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Built once: every page request reads its session.
_SESSION = select(WebSession).where(col(WebSession.token_hash) == bindparam("token_hash"))


class Store:
    """The one way in to the database: the queries below, and a part for each kind of record.
    The parts are built here once; code outside store/ uses them and never the engine."""

    def __init__(self, engine: Engine, secrets: SecretBox) -> None:
        self.engine = engine
        self.secrets = secrets
        self.connections = EnvironmentStore(engine, secrets)
        self.imports = ImportStore(engine)
        self.drift_changes = DriftChangeStore(engine)
        self.people = PeopleStore(engine)
        self.schedules = ScheduleStore(engine, secrets)
        self.teams = DefaultTeamStore(engine)
        self.mappings = MappingStore(engine)
        self.members = MemberStore(engine)
        self.work_type_roles = WorkTypeRolesStore(engine)
        self.work_type_names = WorkTypeNamesStore(engine)
        self.outbox = Outbox(engine)
        self.leases = Leases(engine)
        self.status = StatusStore(engine)
        self.incidents = IncidentStore(engine)

    def ping(self) -> None:
        ping(self.engine)

    def close(self) -> None:
        """Close the pooled database connections (at shutdown)."""
        self.engine.dispose()

    def settings_version(self, organisation_id: int) -> int | None:
        """See store/settings_version.py; None when there is no such organisation."""
        return settings_version(self.engine, organisation_id)

    # Secrets -------------------------------------------------------------------------------

    def rotate_secrets(self) -> int:
        """Re-encrypt every stored secret (each ``*_enc`` column of every table) with the first
        key, in one transaction; returns how many values were re-encrypted. A value no configured
        key decrypts raises SecretKeyError and nothing is changed. Harmless to run again."""
        count = 0
        with self.engine.begin() as connection:
            for table in SQLModel.metadata.sorted_tables:
                secret_columns = [c for c in table.columns if c.name.endswith("_enc")]
                if not secret_columns:
                    continue
                keys = list(table.primary_key.columns)
                rows = connection.execute(
                    sa_select(*keys, *secret_columns)
                    .where(or_(*(c.is_not(None) for c in secret_columns)))
                    .with_for_update()  # PostgreSQL: a concurrent save waits; SQLite ignores it
                ).all()
                for row in rows:
                    values = {
                        c.name: self.secrets.rotate(row._mapping[c])
                        for c in secret_columns
                        if row._mapping[c] is not None
                    }
                    connection.execute(
                        update(table).where(and_(*(k == row._mapping[k] for k in keys))).values(**values)
                    )
                    count += len(values)
        return count

    # Organisations and environments -------------------------------------------------------

    def create_organisation(self, name: str, admin_roles: Sequence[str], access_contact: str = "") -> int:
        with Session(self.engine) as session:
            organisation = Organisation(name=name, admin_roles=list(admin_roles), access_contact=access_contact)
            session.add(organisation)
            session.commit()
            return required(organisation.id, "a committed organisation's id")

    def organisation_by_name(self, name: str) -> int | None:
        with Session(self.engine) as session:
            return session.exec(select(Organisation.id).where(Organisation.name == name)).first()

    def time_zone(self, organisation_id: int) -> str:
        with Session(self.engine) as session:
            organisation = session.get(Organisation, organisation_id)
            return organisation.time_zone if organisation else "UTC"

    def set_time_zone(self, organisation_id: int, time_zone: str, *, actor: str) -> bool:
        """The IANA zone the organisation's pages show times in; audited (organisation.changed)
        in the same transaction. False when it was already that zone."""
        with Session(self.engine) as session:
            organisation = required(session.get(Organisation, organisation_id), f"organisation {organisation_id}")
            if organisation.time_zone == time_zone:
                return False
            session.add(
                AuditEvent(
                    type="organisation.changed", organisation_id=organisation_id, actor=actor,
                    data={"field": "time_zone", "old": organisation.time_zone, "new": time_zone},
                )
            )
            organisation.time_zone = time_zone
            session.add(organisation)
            session.commit()
            return True

    def admin_roles(self, organisation_id: int) -> tuple[str, ...]:
        with Session(self.engine) as session:
            organisation = session.get(Organisation, organisation_id)
            return tuple(organisation.admin_roles) if organisation else ()

    def staff_roles(self, organisation_id: int) -> tuple[str, ...]:
        with Session(self.engine) as session:
            organisation = session.get(Organisation, organisation_id)
            return tuple(organisation.staff_roles) if organisation else ()

    def access_contact(self, organisation_id: int) -> str:
        with Session(self.engine) as session:
            organisation = session.get(Organisation, organisation_id)
            return organisation.access_contact if organisation else ""

    def set_organisation_access(
        self, organisation_id: int, *, admin_roles: Sequence[str], staff_roles: Sequence[str], contact: str, actor: str
    ) -> list[str]:
        """The Clio Operate roles every environment without its own list uses, and who a refused
        user should ask; an audit event per changed field, in the same transaction. Returns the
        names of the fields that changed."""
        with Session(self.engine) as session:
            organisation = session.get(Organisation, organisation_id)
            if organisation is None:
                raise LookupError(f"no organisation {organisation_id}")
            changed = []
            fields: tuple[tuple[str, object], ...] = (
                ("admin_roles", list(admin_roles)), ("staff_roles", list(staff_roles)), ("access_contact", contact)
            )
            for field, new in fields:
                old = getattr(organisation, field)
                old = list(old) if isinstance(old, list) else old
                if old != new:
                    setattr(organisation, field, new)
                    changed.append(field)
                    session.add(
                        AuditEvent(
                            type="organisation.changed", organisation_id=organisation_id, actor=actor,
                            data={"field": field, "old": old, "new": new},
                        )
                    )
            if {"admin_roles", "staff_roles"} & set(changed):
                end_portal_sessions(session, organisation_id, keeping=actor)
            session.add(organisation)
            session.commit()
            return changed

    def environments(self, organisation_id: int) -> list[EnvironmentSettings]:
        """The organisation's environments in use (removed ones are left out)."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(Environment)
                .where(Environment.organisation_id == organisation_id, col(Environment.removed_at).is_(None))
                .order_by(col(Environment.id))
            ).all()
            return [self._settings(row) for row in rows]

    def environment(self, organisation_id: int, environment_id: int, *, include_removed: bool = False) -> EnvironmentSettings | None:
        with Session(self.engine) as session:
            query = select(Environment).where(Environment.organisation_id == organisation_id, Environment.id == environment_id)
            if not include_removed:
                query = query.where(col(Environment.removed_at).is_(None))
            row = session.exec(query).first()
            return self._settings(row) if row else None

    def environment_by_issuer(self, issuer: str) -> EnvironmentSettings | None:
        """The one lookup not scoped by organisation: the token's issuer is what names it."""
        with Session(self.engine) as session:
            row = session.exec(
                select(Environment).where(
                    Environment.identity_url == normalise_issuer(issuer), col(Environment.removed_at).is_(None)
                )
            ).first()
            return self._settings(row) if row else None

    def environment_by_portal_origin(self, origin: str) -> EnvironmentSettings | None:
        """Sign-in lookup for opaque tokens: the portal that framed us names the environment."""
        origin = origin.rstrip("/")
        with Session(self.engine) as session:
            for row in session.exec(select(Environment).where(col(Environment.removed_at).is_(None)).order_by(col(Environment.id))):
                if origin in row.portal_origins:
                    return self._settings(row)
        return None

    def all_portal_origins(self) -> list[str]:
        """Origins allowed to frame the sign-in page, before we know who is signing in."""
        with Session(self.engine) as session:
            rows = session.exec(select(Environment.portal_origins).where(col(Environment.removed_at).is_(None)))
            origins = {o for row in rows for o in row}
            return sorted(origins)

    def _settings(self, row: Environment) -> EnvironmentSettings:
        return EnvironmentSettings(
            id=required(row.id, "a stored environment's id"),
            organisation_id=row.organisation_id,
            name=row.name,
            is_default=row.is_default,
            identity_url=row.identity_url,
            api_url=row.api_url,
            client_id=row.client_id,
            client_secret=self.secrets.decrypt(row.client_secret_enc),
            portal_origins=tuple(row.portal_origins),
            work_item_url_template=row.work_item_url_template,
            contact_url_template=row.contact_url_template,
            agent_url=row.agent_url,
            agent_key=self.secrets.decrypt(row.agent_key_enc),
            relay_key_name=row.relay_key_name,
            relay_key=self.secrets.decrypt(row.relay_key_enc),
            import_writes_enabled=row.import_writes_enabled,
            siem_url=row.siem_url,
            siem_secret=self.secrets.decrypt(row.siem_secret_enc),
            admin_roles=tuple(row.admin_roles),
            staff_roles=tuple(row.staff_roles),
            removed=row.removed_at is not None,
            portal_page_url=row.portal_page_url,
            clio_settings=dict(row.clio_settings or {}),
        )

    # Imports -----------------------------------------------------------------------------

    def imported_matters(
        self, organisation_id: int, environment_id: int, matter_unos: Iterable[str]
    ) -> dict[str, MatterImport]:
        """The completed imports among the given Aderant matter ids, in one query."""
        unos = sorted(set(matter_unos))
        if not unos:
            return {}
        with Session(self.engine) as session:
            rows = session.exec(
                select(MatterImport).where(
                    MatterImport.organisation_id == organisation_id,
                    MatterImport.environment_id == environment_id,
                    MatterImport.status == "imported",
                    col(MatterImport.matter_uno).in_(unos),
                )
            ).all()
            return {row.matter_uno: row for row in rows}

    def record_import(
        self,
        organisation_id: int,
        environment_id: int,
        *,
        matter_uno: str,
        matter_number: str,
        work_item_id: str,
        imported_by: str,
    ) -> None:
        with Session(self.engine) as session:
            now = utcnow()
            session.add(
                MatterImport(
                    organisation_id=organisation_id,
                    environment_id=environment_id,
                    matter_uno=matter_uno,
                    matter_number=matter_number,
                    status="imported",
                    work_item_id=work_item_id,
                    imported_by=imported_by,
                    started_at=now,
                    finished_at=now,
                )
            )
            session.commit()

    # Sessions ----------------------------------------------------------------------------

    def create_session(self, token: str, record: SessionRecord) -> None:
        with Session(self.engine) as session:
            session.add(WebSession(token_hash=_hash(token), **record.__dict__))
            session.commit()

    def session(self, token: str) -> SessionRecord | None:
        with Session(self.engine) as session:
            row = session.execute(_SESSION, {"token_hash": _hash(token)}).scalars().first()
            if row is None or row.expires_at <= datetime.now(UTC):
                return None
            return SessionRecord(
                organisation_id=row.organisation_id,
                environment_id=row.environment_id,
                user_id=row.user_id,
                user_name=row.user_name,
                display_name=row.display_name,
                role=row.role,
                csrf_token=row.csrf_token,
                expires_at=row.expires_at,
                identity_provider=row.identity_provider,
                checked_at=row.checked_at,
            )

    def claim_session_check(self, token: str, *, due_before: datetime, now: datetime) -> bool:
        """Mark the session checked at `now` if it was last checked before `due_before` (or never);
        True when this call did, so of several requests or replicas at once only one decides again."""
        with Session(self.engine) as session:
            due = or_(col(WebSession.checked_at).is_(None), col(WebSession.checked_at) < due_before)
            result = session.execute(
                update(WebSession).where(col(WebSession.token_hash) == _hash(token), due).values(checked_at=now)
            )
            session.commit()
            return rows_changed(result) == 1

    def reopen_session_check(self, token: str) -> None:
        """Let the session's next request decide its access again."""
        with Session(self.engine) as session:
            session.execute(update(WebSession).where(col(WebSession.token_hash) == _hash(token)).values(checked_at=None))
            session.commit()

    def set_session_role(self, token: str, role: str) -> None:
        with Session(self.engine) as session:
            session.execute(update(WebSession).where(col(WebSession.token_hash) == _hash(token)).values(role=role))
            session.commit()

    def delete_session(self, token: str) -> None:
        with Session(self.engine) as session:
            session.execute(delete(WebSession).where(col(WebSession.token_hash) == _hash(token)))
            session.commit()

    def purge_expired_sessions(self, older_than: timedelta = timedelta(0)) -> int:
        with Session(self.engine) as session:
            result = session.execute(
                delete(WebSession).where(col(WebSession.expires_at) < datetime.now(UTC) - older_than)
            )
            session.commit()
            return rows_changed(result)

    # Audit -------------------------------------------------------------------------------

    def add_audit_event(
        self,
        type: str,
        *,
        organisation_id: int | None,
        environment_id: int | None = None,
        actor: str | None = None,
        data: dict | None = None,
    ) -> None:
        with Session(self.engine) as session:
            session.add(
                AuditEvent(
                    type=type,
                    organisation_id=organisation_id,
                    environment_id=environment_id,
                    actor=actor,
                    data=data or {},
                )
            )
            session.commit()

    def add_audit_event_unless_recent(
        self, type: str, *, organisation_id: int, environment_id: int, actor: str, data: dict, now: datetime, within: timedelta
    ) -> bool:
        """Add the event unless one of this type, for this actor (ignoring case) and environment and
        with the same `data["why"]`, occurred less than `within` before `now`; True if added. The
        organisation's row is locked meanwhile, so replicas refusing the same user at once write one."""
        with Session(self.engine) as session:
            session.exec(select(Organisation.id).where(Organisation.id == organisation_id).with_for_update()).first()
            recent = session.exec(
                select(AuditEvent.id).where(
                    AuditEvent.organisation_id == organisation_id,
                    AuditEvent.type == type,
                    col(AuditEvent.occurred_at) > now - within,
                    AuditEvent.environment_id == environment_id,
                    func.lower(col(AuditEvent.actor)) == actor.strip().lower(),
                    col(AuditEvent.data)["why"].as_string() == str(data.get("why")),
                )
            ).first()
            if recent is not None:
                return False
            session.add(
                AuditEvent(
                    type=type, organisation_id=organisation_id, environment_id=environment_id, actor=actor,
                    data=data, occurred_at=now,
                )
            )
            session.commit()
            return True

    def audit_events(self, organisation_id: int | None, limit: int = 100) -> list[AuditEvent]:
        with Session(self.engine) as session:
            query = select(AuditEvent).where(AuditEvent.organisation_id == organisation_id)
            return list(session.exec(query.order_by(col(AuditEvent.id).desc()).limit(limit)).all())
