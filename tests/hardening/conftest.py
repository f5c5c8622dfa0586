"""Hardening tests: the service in-process against the in-process sandbox (as in ``tests/views``),
and a record of what the database holds, to show a refused request changed nothing."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import SQLModel

from store.models import AuditEvent, ImportAttempt, Lease, PersonName, WebSession
from tests.views.conftest import Service, aderant_db, service  # noqa: F401

# Rows that change without any request: the audit delivery's lease, sessions and display names
# (remembered by signing in, or when a token is first checked).
VOLATILE = {Lease.__tablename__, WebSession.__tablename__, PersonName.__tablename__}
Rows = dict[str, set[tuple[tuple[str, str], ...]]]


def database_rows(engine: Engine) -> Rows:
    """Every row of every table (but ``VOLATILE``), as comparable tuples of (column, repr(value))."""
    with engine.connect() as connection:
        return {
            table.name: {tuple((k, repr(v)) for k, v in row._mapping.items()) for row in connection.execute(table.select())}
            for table in SQLModel.metadata.sorted_tables
            if table.name not in VOLATILE
        }


def unexpected_writes(before: Rows, after: Rows) -> list[str]:
    """Rows added, changed or removed, except refused import attempts and their audit events."""
    problems = []
    for table, rows in after.items():
        for row in rows - before[table]:
            values = dict(row)
            refused = (table == ImportAttempt.__tablename__ and values["outcome"] == "'refused'") or (
                table == AuditEvent.__tablename__ and values["type"] == "'import.refused'"
            )
            if not refused:
                problems.append(f"{table}: {values}")
        problems += [f"{table}: removed or changed {dict(row)}" for row in before[table] - rows]
    return problems


def refused_attempts(service: Service) -> list[dict]:
    """History's refused attempts, newest first (through the API, as a client sees them)."""
    response = service.client.get("/api/v1/history?outcome=refused&limit=200", headers=service.bearer())
    assert response.status_code == 200, response.text
    return response.json()["items"]
