"""Environments as security boundaries, against the in-process app and sandbox (tests/views/conftest.py):
Production (id 1, the default) and UAT (id 2), whose tenants both know admin@ and staff@, while only
UAT knows uat-only@sandbox.test, an administrator there."""

from __future__ import annotations

import dataclasses
import re

from sqlalchemy import text

from tests.views.conftest import Service, aderant_db, service  # noqa: F401

ADMIN = "admin@sandbox.test"
STAFF = "staff@sandbox.test"
UAT_ONLY = "uat-only@sandbox.test"
PRODUCTION, UAT = 1, 2
NOT_KNOWN_IN_PRODUCTION = "Your account is not known in the Production tenant, so you cannot use Production. Ask your administrator."


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def change_user(app: Service, tenant: str, username: str, **changes: object) -> None:
    """Give a sandbox user other roles (or another identity provider) in one tenant only."""
    state = app.tenant(tenant).state
    user = state.user_by_username(username)
    assert user is not None
    state.users[user.id] = dataclasses.replace(user, **changes)  # type: ignore[arg-type]


def audit_types(app: Service, environment_id: int | None) -> list[str]:
    return [e.type for e in app.store.audit_events(app.organisation_id, limit=500) if e.environment_id == environment_id]


def refusals(app: Service) -> list[tuple[int | None, str | None, str]]:
    """(environment, actor, reason) of every access refusal."""
    return [
        (e.environment_id, e.actor, e.data["reason"])
        for e in app.store.audit_events(app.organisation_id, limit=500)
        if e.type == "access.refused"
    ]


def remote_paths(app: Service) -> list[str]:
    return [c.path for c in app.calls.calls]


def production_siem(app: Service) -> tuple[str | None, str | None]:
    with app.store.engine.connect() as connection:
        row = connection.execute(text("SELECT siem_url, siem_secret_enc FROM environment WHERE id = :id"), {"id": PRODUCTION}).one()
    return row[0], row[1]

