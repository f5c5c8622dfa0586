"""Tables. The service keeps pointers, not contents: no Aderant data beyond ids and numbers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, event, text
from sqlmodel import Field, Session, SQLModel

from store.clock import utcnow


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    # The IANA time zone the organisation's pages show times in, and History's days are in.
    time_zone: str = Field(default="UTC", max_length=64, sa_column_kwargs={"server_default": "UTC"})
    admin_roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The default of staff_roles for environments that list none (see Environment.staff_roles).
    staff_roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    # Who a refused portal user should ask for access (named in the refusal), e.g. "IT service desk, ext. 4321".
    access_contact: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    # Raised by every write that changes an environment's settings, mapping, default teams or loaded
    # roles, in that write's transaction: each replica's cache of them reads it to know it is stale.
    settings_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utcnow)


def _unique_in_use(name: str, *columns: str) -> Index:
    """A unique index over the rows not removed (a partial index on SQLite and PostgreSQL)."""
    in_use = text("removed_at IS NULL")
    return Index(name, *columns, unique=True, sqlite_where=in_use, postgresql_where=in_use)


class Environment(SQLModel, table=True):
    """A target pair (Aderant agent + Clio Operate tenant) of one organisation, e.g. Production."""

    # Unique among environments in use: a removed one keeps its History, not its name or tenant.
    __table_args__ = (
        _unique_in_use("uq_environment_org_name", "organisation_id", "name"),
        _unique_in_use("uq_environment_identity_url", "identity_url"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=100)
    is_default: bool = False
    # The issuer of the tenant's tokens; it names the organisation and environment at sign-in.
    identity_url: str = Field(max_length=500)
    api_url: str = Field(max_length=500)
    client_id: str = Field(default="", max_length=200)
    client_secret_enc: str | None = None
    portal_origins: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The Clio Operate portal page that hosts the PMS Sync widget: Teams messages link to it.
    portal_page_url: str | None = Field(default=None, max_length=500)
    work_item_url_template: str = Field(default="{api_url}/sharedo/{id}", max_length=500)
    # Where the portal shows a contact: {api_url}, {kind} (person or organisation) and {id}.
    contact_url_template: str = Field(
        default="{api_url}/ods/{kind}/{id}", max_length=500,
        sa_column_kwargs={"server_default": "{api_url}/ods/{kind}/{id}"},
    )
    agent_url: str = Field(default="", max_length=500)
    agent_key_enc: str | None = None
    relay_key_name: str | None = Field(default=None, max_length=200)
    relay_key_enc: str | None = None
    import_writes_enabled: bool = False
    siem_url: str | None = Field(default=None, max_length=500)
    siem_secret_enc: str | None = None
    # Clio Operate roles that make a user signing in through this environment an administrator.
    admin_roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    # Clio Operate roles that may use PMS Sync as staff from the portal; empty: every portal user may.
    staff_roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    # Where this tenant differs from the documented Clio Operate shapes: route overrides by name,
    # the importing user's participant role, and the like (see docs/remote-shapes.md).
    clio_settings: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    removed_at: datetime | None = None  # removed environments keep their History
    created_at: datetime = Field(default_factory=utcnow)


class MatterImport(SQLModel, table=True):
    """The claim on, and result of, importing one Aderant matter into one environment.

    The unique key on the immutable Aderant matter id is what makes an import happen once.
    """

    __table_args__ = (
        UniqueConstraint("organisation_id", "environment_id", "matter_uno", name="uq_import_matter"),
        Index("ix_matterimport_org_env_id", "organisation_id", "environment_id", "id"),  # close-sync's keyset pages
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    environment_id: int = Field(foreign_key="environment.id", index=True)
    matter_uno: str = Field(max_length=50)
    matter_number: str = Field(max_length=50, index=True)
    # in_progress | failed | unknown (a write timed out: it may still land) | imported | deleted (in Clio Operate)
    status: str = Field(max_length=20)
    work_item_id: str | None = Field(default=None, max_length=100)
    imported_by: str = Field(max_length=200)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    # An import in progress holds the claim until then, renewed while it runs; a crashed one is taken over after.
    lease_expires_at: datetime | None = None
    # When the work item's create call was sent, until the import succeeds: a retry does not send it
    # again, unless Clio Operate shows none, before the settle window after this has passed.
    write_sent_at: datetime | None = None
    # Found already in Clio Operate, put there by something else: shown as imported, never closed by us.
    adopted: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # When close-sync found the matter closed in Aderant and in Clio Operate: later runs skip it.
    closed_in_both_at: datetime | None = None
    # What the import wrote, as pointers (work type, parties' name ids, roles and contacts) and keyed
    # digests of the values (title, reference, attributes, key dates), never the values: the
    # baseline drift is measured from (plugin/drift.py). None for imports recorded before.
    baseline: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ImportContact(SQLModel, table=True):
    """A contact an import created in Clio Operate, recorded the moment it exists so a retry reuses it."""

    __table_args__ = (UniqueConstraint("matter_import_id", "name_uno", name="uq_import_contact"),)

    id: int | None = Field(default=None, primary_key=True)
    matter_import_id: int = Field(foreign_key="matterimport.id", index=True)
    name_uno: int
    ods_id: str = Field(max_length=100)
    kind: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow)


class PartyLink(SQLModel, table=True):
    """An Aderant party (by its contact reference) that an import linked to an existing contact:
    the next preview of a matter with that party links it again by default."""

    __table_args__ = (
        UniqueConstraint("organisation_id", "environment_id", "party_reference", name="uq_party_link"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    environment_id: int = Field(foreign_key="environment.id")
    party_reference: str = Field(max_length=200)
    ods_id: str = Field(max_length=100)
    linked_by: str = Field(max_length=200)
    linked_at: datetime = Field(default_factory=utcnow)


class ContactClaim(SQLModel, table=True):
    """The one contact of an Aderant name in one environment, whoever imports what.

    Claimed (a unique key) before the create call is sent, so imports sharing a party, on any
    replica, create it once: the others wait for it and reuse its id.
    """

    __table_args__ = (UniqueConstraint("environment_id", "name_uno", name="uq_contact_claim"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    environment_id: int = Field(foreign_key="environment.id")
    name_uno: int
    status: str = Field(max_length=20)  # creating | unknown (the create timed out) | created
    ods_id: str | None = Field(default=None, max_length=100)
    holder: str = Field(max_length=100)  # the import attempt creating it
    sent_at: datetime = Field(default_factory=utcnow)
    lease_expires_at: datetime | None = None


class ImportAttempt(SQLModel, table=True):
    """One row of History: every attempt to import, whatever its outcome."""

    # History's filters, newest first: one environment (or all) by outcome, matter or user.
    __table_args__ = (
        Index("ix_importattempt_org_id", "organisation_id", "id"),
        Index("ix_importattempt_org_env_id", "organisation_id", "environment_id", "id"),
        Index("ix_importattempt_org_env_outcome_id", "organisation_id", "environment_id", "outcome", "id"),
        Index("ix_importattempt_org_env_matter_id", "organisation_id", "environment_id", "matter_number", "id"),
        Index("ix_importattempt_org_env_user_id", "organisation_id", "environment_id", "user_name", "id"),
        Index("ix_importattempt_org_started", "organisation_id", "started_at"),
        Index("ix_importattempt_org_env_started", "organisation_id", "environment_id", "started_at"),
        Index("ix_importattempt_org_outcome_id", "organisation_id", "outcome", "id"),
        Index("ix_importattempt_org_env_user_outcome_id", "organisation_id", "environment_id", "user_name", "outcome", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    environment_id: int = Field(foreign_key="environment.id", index=True)
    matter_uno: str | None = Field(default=None, max_length=50)
    matter_number: str = Field(max_length=50, index=True)
    user_name: str = Field(max_length=200)
    trigger: str = Field(default="manual", max_length=20)  # manual | auto-import
    # in_progress | imported | already_imported | failed | refused | interrupted (its process died)
    outcome: str = Field(max_length=20, index=True)
    work_item_id: str | None = Field(default=None, max_length=100)
    error: str | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    # The request (or scheduled run) that made the attempt: the id in the logs, on the remote calls'
    # `traceparent` and on error pages, so one import can be followed end to end.
    request_id: str | None = Field(default=None, max_length=32)


class DriftChange(SQLModel, table=True):
    """A change from Aderant applied to an imported matter's work item (History → Drift), claimed
    before it is written so a double click or a second replica writes it once. Pointers and digests
    only: the field, keyed digests (under `key_id`, its baseline's key) of the value the baseline
    held and of the value written, the contact a new party became; never the values."""

    __table_args__ = (
        UniqueConstraint("matter_import_id", "field", "before_digest", "after_digest", name="uq_drift_change"),
        Index("ix_driftchange_org_env_id", "organisation_id", "environment_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    environment_id: int = Field(foreign_key="environment.id")
    matter_import_id: int = Field(foreign_key="matterimport.id")
    matter_number: str = Field(max_length=50)
    field: str = Field(max_length=300)  # as plugin.drift.Difference.field
    before_digest: str = Field(max_length=100)  # "": no value
    after_digest: str = Field(max_length=100)
    key_id: str = Field(max_length=100)
    status: str = Field(max_length=20)  # applying | applied | failed
    user_name: str = Field(max_length=200)
    request_id: str | None = Field(default=None, max_length=32)
    attempt_id: int | None = Field(default=None, foreign_key="importattempt.id")  # its History row
    contact_id: str | None = Field(default=None, max_length=100)
    error: str | None = None
    claimed_at: datetime = Field(default_factory=utcnow)
    lease_expires_at: datetime | None = None
    finished_at: datetime | None = None


class PersonName(SQLModel, table=True):
    """A user's display name in an organisation, as last seen at sign-in: History shows it
    without asking Clio Operate for each row."""

    __table_args__ = (UniqueConstraint("organisation_id", "user_name", name="uq_person_name"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    user_name: str = Field(max_length=200)
    display_name: str = Field(max_length=200)
    seen_at: datetime = Field(default_factory=utcnow)


class Lease(SQLModel, table=True):
    """A named, expiring claim that lets one replica at a time run a job (outbox delivery, schedules)."""

    name: str = Field(primary_key=True, max_length=200)
    holder: str = Field(max_length=100)
    expires_at: datetime


class DefaultTeam(SQLModel, table=True):
    """A security team added to every imported matter of a work type, in a role."""

    __table_args__ = (
        UniqueConstraint("environment_id", "work_type", "team_id", name="uq_default_team"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    environment_id: int = Field(foreign_key="environment.id", index=True)
    work_type: str = Field(max_length=200)  # a work type system name, or "*" for every type
    team_id: str = Field(max_length=100)
    team_name: str = Field(max_length=200)
    role: str = Field(max_length=100)


class WorkTypeRoles(SQLModel, table=True):
    """The participant roles a work type allows in one environment, as an administrator loaded
    them: Clio Operate offers them only on modeller routes, which need a portal session."""

    __table_args__ = (UniqueConstraint("environment_id", "work_type", name="uq_work_type_roles"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    environment_id: int = Field(foreign_key="environment.id", index=True)
    work_type: str = Field(max_length=200)
    roles: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source: str = Field(max_length=200)  # e.g. "file participant-roles.json" or "pasted"
    loaded_by: str = Field(max_length=200)
    loaded_at: datetime = Field(default_factory=utcnow)


class WorkTypeNames(SQLModel, table=True):
    """The work types' display names and abstract flags in one environment, from the modeller's
    tree as an administrator loaded it: the public tree carries system names only."""

    __table_args__ = (UniqueConstraint("environment_id", name="uq_work_type_names"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    environment_id: int = Field(foreign_key="environment.id", index=True)
    # system name → {"name": display name, "isAbstract": bool}
    types: dict[str, dict[str, Any]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    source: str = Field(max_length=200)
    loaded_by: str = Field(max_length=200)
    loaded_at: datetime = Field(default_factory=utcnow)


class Membership(SQLModel, table=True):
    """A person who may sign in to an organisation outside Clio Operate, and their role."""

    __table_args__ = (UniqueConstraint("organisation_id", "email", name="uq_membership_email"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    email: str = Field(max_length=320, index=True)  # lower-cased
    display_name: str = Field(default="", max_length=200)
    role: str | None = Field(default=None, max_length=20)  # administrator | staff | None (no role)
    created_at: datetime = Field(default_factory=utcnow)


class MappingVersion(SQLModel, table=True):
    """A saved mapping of an environment; the newest is in force, any earlier one can be restored."""

    __table_args__ = (UniqueConstraint("environment_id", "version", name="uq_mapping_version"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    environment_id: int = Field(foreign_key="environment.id", index=True)
    version: int
    document: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    author: str = Field(max_length=200)
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class WebSession(SQLModel, table=True):
    """A signed-in browser. Only a hash of the cookie value is stored."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    environment_id: int | None = Field(default=None, foreign_key="environment.id")
    user_id: str = Field(max_length=200)
    user_name: str = Field(max_length=200)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    # The identity provider of the tenant the user signed in through (userInfo `provider`): with
    # the user name, what impersonation in another environment's tenant needs to read their roles.
    identity_provider: str | None = Field(default=None, max_length=200)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    # When a portal session's access (embed_auth.portal_access) was last decided; NULL: due now.
    checked_at: datetime | None = None


class AuditEvent(SQLModel, table=True):
    """An audit event, also the outbox row a SIEM delivery worker reads."""

    # A refusal looks for a recent one of its kind before writing another (store.repository).
    __table_args__ = (Index("ix_auditevent_org_type_occurred", "organisation_id", "type", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    environment_id: int | None = Field(default=None, foreign_key="environment.id")
    type: str = Field(max_length=100)
    actor: str | None = Field(default=None, max_length=200)
    occurred_at: datetime = Field(default_factory=utcnow)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    delivered_at: datetime | None = None
    delivery_attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)


class OrganisationAuditDelivery(SQLModel, table=True):
    """The delivery of one organisation-level audit event (no environment) to one environment's
    SIEM webhook: each destination keeps its own progress, so one webhook's outage holds back no other."""

    event_id: int = Field(primary_key=True, foreign_key="auditevent.id")
    environment_id: int = Field(primary_key=True, foreign_key="environment.id")
    delivered_at: datetime | None = None
    delivery_attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)


# Advisory locks (space, id) of audit writes; nothing else uses these spaces.
_LOCK_SPACE = 0x50D5  # (space, environment id)
_ORGANISATION_LOCK_SPACE = 0x50D6  # (space, organisation id)


@event.listens_for(Session, "before_flush")
def _audit_writes_in_commit_order(session: Session, flush_context: object, instances: object) -> None:
    """On PostgreSQL, hold the audit locks before events take their ids (store.outbox).

    An environment's SIEM receives its own events and its organisation's organisation-level events
    in one id order. So an environment's events hold that environment's lock and their
    organisation's lock shared (other environments' writers do not wait for each other), and an
    organisation-level event holds its organisation's lock exclusively (every writer of that
    organisation waits for it, and it for them)."""
    events = [row for row in session.new if isinstance(row, AuditEvent)]
    if not events or session.get_bind().dialect.name != "postgresql":
        return
    exclusive = {row.organisation_id for row in events if row.organisation_id and not row.environment_id}
    shared = {row.organisation_id for row in events if row.organisation_id and row.environment_id} - exclusive
    environments = {row.environment_id for row in events if row.environment_id}
    # In one order everywhere (organisations, then environments), so two writers cannot deadlock.
    for organisation_id in sorted(exclusive | shared):
        function = "pg_advisory_xact_lock" if organisation_id in exclusive else "pg_advisory_xact_lock_shared"
        session.execute(text(f"SELECT {function}(:space, :id)"), {"space": _ORGANISATION_LOCK_SPACE, "id": organisation_id})
    for environment_id in sorted(environments):
        session.execute(text("SELECT pg_advisory_xact_lock(:space, :id)"), {"space": _LOCK_SPACE, "id": environment_id})


class Schedule(SQLModel, table=True):
    """The scheduled sync of one environment: close-sync and auto-import dry runs, Teams alerts."""

    environment_id: int = Field(primary_key=True, foreign_key="environment.id")
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    enabled: bool = False
    interval_minutes: int = 60
    teams_webhook_enc: str | None = None
    closed_phase: str = Field(default="matter-closed", max_length=200)
    auto_import_clients: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    auto_import_since: date | None = None
    next_run_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class ConnectionCheck(SQLModel, table=True):
    """The last Test connection of one environment, as the Connections list shows it."""

    environment_id: int = Field(primary_key=True, foreign_key="environment.id")
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    checked_at: datetime = Field(default_factory=utcnow)
    ok: bool
    summary: str = Field(max_length=200)  # e.g. "All 4 hops answered", "Aderant agent not reachable"
    checked_by: str = Field(max_length=200)


class ScheduleRun(SQLModel, table=True):
    """One run of a schedule (or of "Run now"), with what it found and whether Teams was told."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    environment_id: int = Field(foreign_key="environment.id", index=True)
    trigger: str = Field(max_length=20)  # schedule | run-now
    holder: str = Field(max_length=100)
    outcome: str = Field(default="running", max_length=20)  # running | succeeded | failed | abandoned | interrupted
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    close_sync_count: int | None = None
    auto_import_count: int | None = None
    # Changes since import, counted (plugin.drift_summary.DriftSummary); None: not checked or could not be.
    drift: dict[str, int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    notification: str | None = Field(default=None, max_length=500)
    error: str | None = Field(default=None, max_length=1000)


class AlertObservation(SQLModel, table=True):
    """What one replica saw wrong with one environment at its last status check (Settings → Status's
    alerts): the environment is in trouble while any replica heard from lately sees a problem."""

    environment_id: int = Field(primary_key=True, foreign_key="environment.id")
    replica: str = Field(primary_key=True, max_length=100)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    problems: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # [{key, text}]
    checked_at: datetime = Field(default_factory=utcnow)


class AlertIncident(SQLModel, table=True):
    """The last incident of one environment, open until closed_at, as Teams was told of it. Changed
    only when `version` is still the one read, so one replica makes each change and sends its card."""

    environment_id: int = Field(primary_key=True, foreign_key="environment.id")
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    problems: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # [{key, text}]
    opened_at: datetime
    closed_at: datetime | None = None
    version: int = 1
