"""Settings → Connections against the in-process app and sandbox (tests/views/conftest.py)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import text

from store.models import AuditEvent
from tests.views.conftest import Service, aderant_db, service  # noqa: F401

ADMIN = "admin@sandbox.test"
STAFF = "staff@sandbox.test"
PRODUCTION, UAT = 1, 2
LIST = "/settings/connections"


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


class _FormReader(HTMLParser):
    """What a browser would submit from the form posting to `action`: inputs, ticked boxes, textareas."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.textarea: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action
        elif self.inside and tag == "input" and a.get("name"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields[a["name"]] = a.get("value", "")
        elif self.inside and tag == "textarea":
            self.textarea = a["name"]
            self.fields[self.textarea] = ""

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.fields[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None


def form_fields(html: str, action: str) -> dict[str, str]:
    reader = _FormReader(action)
    reader.feed(html)
    assert reader.fields, f"no form posting to {action}"
    return reader.fields


def submit(app: Service, page: str, action: str, **changes: str | None) -> httpx2.Response:
    """Open `page`, change some fields of its form to `action` (None unticks a box), submit it."""
    return _post(app, action, form_fields(app.client.get(page).text, action), changes)


def new_environment(**changes: str) -> dict[str, str]:
    """The add form filled in for a third tenant, as an administrator would."""
    return {
        "name": "Training",
        "agent_url": "https://agent.training.example",
        "agent_key": "training-agent-key-7f3a",
        "identity_url": "https://training-identity.example",
        "api_url": "https://training.example",
        "client_id": "pms-sync",
        "client_secret": "training-client-secret-91bc",
        "portal_origins": "https://training.example",
        "admin_roles": "system-administrator",
        **changes,
    }


def add(app: Service, **changes: str | None) -> httpx2.Response:
    """Submit the add form filled in with `new_environment()`, changed by `changes`."""
    return _post(app, LIST, {"csrf_token": csrf(app.client.get(LIST).text), **new_environment()}, changes)


def _post(app: Service, action: str, fields: dict[str, str], changes: dict[str, str | None]) -> httpx2.Response:
    fields = {**fields, **{k: v for k, v in changes.items() if v is not None}}
    data = {k: v for k, v in fields.items() if changes.get(k, "") is not None}
    return app.client.post(action, data=data, follow_redirects=False)


def audit(app: Service, type: str = "environment.changed") -> list[AuditEvent]:
    """This organisation's audit events of `type`, oldest first, after the demo's set-up."""
    return [e for e in reversed(app.audit_events()) if e.type == type]


def every_stored_value(app: Service) -> str:
    """Every column of every row of every table, as text."""
    with app.store.engine.connect() as connection:
        tables = [
            row[0]
            for row in connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    if connection.dialect.name == "sqlite"
                    else "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                )
            )
        ]
        return "\n".join(
            repr(tuple(row)) for table in tables for row in connection.execute(text(f'SELECT * FROM "{table}"'))
        )


def raw_database_bytes(app: Service) -> bytes | None:
    """On SQLite, the bytes of the database file and of its -wal and -journal files if present (what
    a copied disk or backup would hold, free pages included); None on PostgreSQL."""
    engine = app.store.engine
    if engine.dialect.name != "sqlite":
        return None
    database = Path(engine.url.database or "")
    assert database.is_file(), database
    files = [database, *(database.with_name(database.name + suffix) for suffix in ("-wal", "-journal"))]
    return b"".join(f.read_bytes() for f in files if f.exists())


@pytest.fixture
def admin(service: Service) -> Service:  # noqa: F811
    """The service with an administrator signed in."""
    assert service.sign_in(ADMIN).status_code == 200
    return service
