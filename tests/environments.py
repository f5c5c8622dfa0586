"""An environment for a test's set-up, saved through the store's audited part
(`store.repository.Store.connections`), as Settings → Connections and `pms-sync env set` save one."""

from __future__ import annotations

from collections.abc import Sequence

from store.environments import EnvironmentValues
from store.models import AuditEvent
from store.repository import Store

SET_UP = "test set-up"  # the actor of the audit events these saves write


def save_environment(
    store: Store,
    organisation_id: int,
    name: str,
    *,
    identity_url: str,
    api_url: str,
    client_id: str = "",
    client_secret: str | None = None,
    agent_url: str = "",
    agent_key: str | None = None,
    portal_origins: Sequence[str] = (),
    relay_key_name: str | None = None,
    relay_key: str | None = None,
    siem_url: str | None = None,
    siem_secret: str | None = None,
    admin_roles: Sequence[str] = (),
    staff_roles: Sequence[str] = (),
    portal_page_url: str | None = None,
    import_writes_enabled: bool = False,
    is_default: bool = False,
) -> int:
    """Add the named environment to the organisation, or update the one of that name with these
    values: its id. A secret left as None keeps its stored value; the organisation's first
    environment is its default, and `is_default` makes this one the default."""
    secrets = {
        key: value
        for key, value in (
            ("client_secret", client_secret), ("agent_key", agent_key), ("relay_key", relay_key), ("siem_secret", siem_secret)
        )
        if value is not None
    }
    values = EnvironmentValues(
        name, identity_url, api_url.rstrip("/"), client_id, agent_url.rstrip("/"), relay_key_name,
        tuple(o.rstrip("/") for o in portal_origins), portal_page_url, tuple(admin_roles), tuple(staff_roles), siem_url,
        import_writes_enabled, secrets,
    )
    existing = store.connections.environment_named(organisation_id, name)
    if existing is None:
        environment_id = store.connections.add(organisation_id, values, SET_UP)
    else:
        environment_id = existing.environment_id
        store.connections.update(organisation_id, environment_id, values, SET_UP)
    if is_default:
        store.connections.set_default(organisation_id, environment_id, SET_UP)
    return environment_id


def events_after_set_up(store: Store, organisation_id: int) -> list[AuditEvent]:
    """The organisation's audit events, newest first, but those of the set-up's saves."""
    return [e for e in store.audit_events(organisation_id) if e.actor != SET_UP]
