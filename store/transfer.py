"""Moving the service's data to another database (``pms-sync db copy``) and backing it up
(``pms-sync db backup``).

A copy reads every table of the source in foreign-key order inside one snapshot and writes it to a
target migrated to the same revision, in one transaction: either every row arrives or none does.
Secrets are copied as they are stored, encrypted, so the service needs the same secret keys on the
new database.
"""

from __future__ import annotations

import shlex
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine, Table, event, func, insert, inspect, make_url, select, text
from sqlmodel import SQLModel

from store import models  # noqa: F401  (the tables are registered on SQLModel.metadata)
from store.db import alembic_config, make_engine, normalise_url, upgrade

BATCH_SIZE = 1000


class TransferRefused(Exception):
    """The copy or backup cannot be made as asked; nothing was written."""


@dataclass(frozen=True)
class CopiedTable:
    name: str
    rows: int


def copy_database(
    source_url: str,
    target_url: str,
    *,
    batch_size: int = BATCH_SIZE,
    on_table: Callable[[CopiedTable], None] | None = None,
) -> list[CopiedTable]:
    """Copy every row of the source database into the (empty) target, migrating the target first.

    The target's row counts are checked against the source's before the transaction commits, and on
    PostgreSQL each table's id sequence is moved past the copied ids so new rows do not collide.
    """
    if normalise_url(source_url) == normalise_url(target_url):
        raise TransferRefused("the target is the service's own database")
    source = _engine(source_url)
    try:
        head = ScriptDirectory.from_config(alembic_config(source_url)).get_current_head()
        with source.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
        if revision != head:
            raise TransferRefused(
                f"the service's database is at revision {revision or 'none'}, not {head}: run `pms-sync db upgrade` first"
            )
        target = _engine(target_url)
        try:
            with target.connect() as connection:
                _refuse_rows(connection)  # before migrating it: a database in use is left as it was
            upgrade(target_url)
            return _copy_rows(source, target, batch_size, on_table)
        finally:
            target.dispose()
    finally:
        source.dispose()


def _copy_rows(
    source: Engine, target: Engine, batch_size: int, on_table: Callable[[CopiedTable], None] | None
) -> list[CopiedTable]:
    tables = SQLModel.metadata.sorted_tables
    snapshot = {"isolation_level": "REPEATABLE READ"} if source.dialect.name == "postgresql" else {}
    copied: list[CopiedTable] = []
    with source.connect().execution_options(**snapshot) as reading, reading.begin(), target.begin() as writing:
        _refuse_rows(writing)
        for table in tables:
            rows = 0
            ordered = select(table).order_by(*table.primary_key.columns).execution_options(yield_per=batch_size)
            for batch in reading.execute(ordered).mappings().partitions():
                writing.execute(insert(table), [dict(row) for row in batch])
                rows += len(batch)
            copied.append(CopiedTable(table.name, rows))
            if on_table is not None:
                on_table(copied[-1])
        different = [
            f"{t.name} ({held} in the source, {found} in the target)"
            for t in tables
            if (held := _count(reading, t)) != (found := _count(writing, t))
        ]
        if different:
            raise TransferRefused(f"row counts differ after the copy, nothing was kept: {', '.join(different)}")
        if target.dialect.name == "postgresql":
            _move_sequences(writing, tables)
    return copied


def _engine(database_url: str) -> Engine:
    """The service's engine, except that on SQLite a transaction begins with BEGIN itself, so its
    reads see one snapshot (Python's sqlite3 only begins one before a write)."""
    engine = make_engine(database_url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_manual_transactions)
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN"))
    return engine


def _sqlite_manual_transactions(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None


def _refuse_rows(connection: Connection) -> None:
    present = set(inspect(connection).get_table_names())
    occupied = [t.name for t in SQLModel.metadata.sorted_tables if t.name in present and _count(connection, t)]
    if occupied:
        raise TransferRefused(f"the target database is not empty (rows in {', '.join(occupied)}): nothing was copied")


def _count(connection: Connection, table: Table) -> int:
    return connection.execute(select(func.count()).select_from(table)).scalar_one()


def _move_sequences(connection: Connection, tables: list[Table]) -> None:
    """Set each id sequence to the largest copied id (or back to 1 for an empty table)."""
    for table in tables:
        if "id" not in table.columns or table.columns["id"].autoincrement is False:
            continue
        sequence = connection.execute(text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}).scalar()
        if sequence is None:
            continue
        top = connection.execute(select(func.max(table.columns["id"]))).scalar()
        connection.execute(
            text("SELECT setval(CAST(:sequence AS regclass), :value, :called)"),
            {"sequence": sequence, "value": top or 1, "called": top is not None},
        )


def backup_sqlite(database_url: str, destination: Path) -> None:
    """A consistent copy of a SQLite database file, taken with SQLite's online backup while the
    service may be writing to it."""
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() != "sqlite":
        raise TransferRefused(pg_dump_advice(database_url, destination))
    if not url.database or url.database == ":memory:":
        raise TransferRefused("the service's database is in memory: there is nothing to back up")
    source_path = Path(url.database)
    if not source_path.is_file():
        raise TransferRefused(f"no SQLite database at {source_path}")
    if destination.exists():
        raise TransferRefused(f"{destination} already exists: choose a new file")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        backup = sqlite3.connect(destination)
        try:
            source.backup(backup)
        finally:
            backup.close()
    finally:
        source.close()


def pg_dump_advice(database_url: str, destination: Path) -> str:
    """What to run instead of a backup by pms-sync, for a database other than SQLite (never its password)."""
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() != "postgresql":
        return f"only a SQLite database is backed up by pms-sync, not {url.get_backend_name()}; nothing was written"
    plain = URL.create("postgresql", url.username, None, url.host, url.port, url.database, url.query)
    password = " (with the password in PGPASSWORD or ~/.pgpass)" if url.password else ""
    command = f"pg_dump --format=custom --file {shlex.quote(str(destination))} {shlex.quote(plain.render_as_string())}"
    return f"a PostgreSQL database is backed up with pg_dump, not by pms-sync; nothing was written. Run{password}:\n  {command}"
