"""`pms-sync db copy` (a trial's SQLite database into PostgreSQL, or any other empty database) and
`pms-sync db backup` (a consistent copy of a SQLite file)."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, inspect, select, text
from sqlmodel import Session, SQLModel

from store.db import make_engine, normalise_url, upgrade
from store.drift_changes import ChangeToApply
from store.environments import EnvironmentStore, LastCheck
from store.imports import Attempt, ExistingContact
from store.incidents import IncidentStore, Problem
from store.leases import Leases
from store.mappings import MappingStore
from store.members import MemberStore
from store.models import Organisation
from store.outbox import Outbox
from store.repository import SessionRecord, Store
from store.schedules import ScheduleSettings
from store.secrets import SecretBox
from store.teams import DefaultTeamStore
from store.transfer import copy_database
from store.work_type_names import WorkTypeNamesStore
from store.work_type_roles import WorkTypeRolesStore
from tests.conftest import POSTGRES_URL
from tests.store.test_store import make_env
from views.cli import main

TABLES = SQLModel.metadata.sorted_tables
WEBHOOK = "https://teams.example.test/webhook/copied"
DAY = datetime(2026, 12, 1, tzinfo=UTC)


def fill(store: Store) -> dict[str, int]:
    """Rows in every table the service writes: two organisations, environments with every secret,
    an import with its contacts, links and History, a failed and a refused attempt, members,
    sessions, mappings, teams, roles, schedules and their runs, connection checks, leases and audit
    events delivered to a SIEM. Returns the ids a test reads back."""
    org = store.create_organisation("Harbour Legal", ["system-administrator"], "it@harbour.example")
    other = store.create_organisation("Other firm", [])
    prod = make_env(
        store, org, relay_key_name="pms-sync", relay_key="relay-sas-key", siem_url="https://siem.example.test",
        siem_secret="siem-secret", is_default=True, admin_roles=["admin"], staff_roles=["clerk"],
    )
    uat = make_env(store, org, "UAT", siem_url="https://siem-uat.example.test", siem_secret="uat-siem")
    make_env(store, other)
    store.schedules.save(
        ScheduleSettings(org, prod, enabled=True, auto_import_clients=("C001",), next_run_at=DAY),
        actor="ada@harbour.example", teams_webhook=WEBHOOK,
    )
    run = store.schedules.start_run(org, prod, trigger="run-now", holder="replica-1")
    assert run is not None
    store.schedules.finish_run(run, outcome="succeeded", close_sync_count=2, auto_import_count=1, notification="sent")

    attempt = Attempt(org, prod, "4100", "2026-0001", "ada@harbour.example")
    claim = store.imports.claim(attempt, timedelta(minutes=5))
    store.imports.claim_contacts(attempt, claim, [71, 72], timedelta(minutes=5))
    store.imports.contacts_exist(
        attempt, claim, [ExistingContact(71, "contact-71", "person", True), ExistingContact(72, "contact-72", "org", False)]
    )
    store.imports.succeed(attempt, claim, "wi-1", {"teams": ["t-1"]}, {"ALPHA-71": "contact-71"}, {"title": "digest-a"})
    assert claim.import_id is not None
    change = ChangeToApply(org, prod, claim.import_id, "4100", "2026-0001", "wi-1", "title", "digest-a", "digest-b", "k1", "ada@harbour.example")
    applied = store.drift_changes.claim(change, timedelta(minutes=1), lambda baseline: False)
    store.drift_changes.applied(change, applied, lambda baseline: {"title": "digest-b"}, {"drift": {"field": "title"}})
    failing = Attempt(org, prod, "4101", "2026-0002", "bob@harbour.example", trigger="auto-import")
    store.imports.fail(failing, store.imports.claim(failing, timedelta(minutes=5)), "Clio Operate answered 503")
    store.imports.refuse(Attempt(org, uat, "4102", "2026-0003", "bob@harbour.example"), "imports are off")
    store.people.remember(org, "ada@harbour.example", "Ada Admin")

    members = MemberStore(store.engine)
    members.add(org, "ada@harbour.example", "Ada Admin", "administrator", actor="cli")
    members.add(org, "sid@harbour.example", "Sid Staff", "staff", actor="ada@harbour.example")
    store.create_session(
        "session-token",
        SessionRecord(
            org, prod, "u-1", "ada@harbour.example", "Ada Admin", "administrator", "csrf", DAY + timedelta(days=31)
        ),
    )
    MappingStore(store.engine).save(
        org, prod, {"fields": {"Number": "matter_number"}}, author="ada", note="first", event="mapping.saved"
    )
    DefaultTeamStore(store.engine).add(
        org, prod, work_type="*", team_id="t-1", team_name="Litigation", role="member", actor="ada"
    )
    WorkTypeRolesStore(store.engine).load(org, prod, {"litigation": [{"name": "Lead"}]}, source="pasted", actor="ada")
    WorkTypeNamesStore(store.engine).load(org, prod, {"litigation": {"name": "Litigation"}}, source="pasted", actor="ada")
    EnvironmentStore(store.engine, store.secrets).record_check(
        org, prod, LastCheck(DAY - timedelta(hours=15), True, "All 4 hops answered", "ada")
    )
    Leases(store.engine).try_acquire("outbox", "replica-1", timedelta(minutes=1))
    down = (Problem("runs", "Scheduled runs: the last 3 runs failed"),)
    IncidentStore(store.engine).observe(org, prod, "replica-1", down, DAY, DAY - timedelta(minutes=1))
    IncidentStore(store.engine).open(org, prod, down, DAY, after=None)
    store.add_audit_event("organisation.access_changed", organisation_id=org, actor="ada", data={"roles": ["admin"]})
    organisation_event = next(e.id for e in store.audit_events(org) if e.type == "organisation.access_changed")
    assert organisation_event is not None
    Outbox(store.engine).mark_delivered(organisation_event, destination=prod)
    Outbox(store.engine).mark_failed(organisation_event, "503", DAY, destination=uat)
    return {"organisation": org, "environment": prod}


def rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order: the tables and columns the database has (an
    older revision has fewer), read through the models' types."""
    with engine.connect() as connection:
        present = inspect(connection)
        return {
            t.name: [
                tuple(r)
                for r in connection.execute(
                    select(*(c for c in t.columns if c.name in {p["name"] for p in present.get_columns(t.name)}))
                    .order_by(*t.primary_key.columns)
                )
            ]
            for t in TABLES
            if present.has_table(t.name)
        }


@pytest.fixture
def keys() -> str:
    return SecretBox.generate_key()


@pytest.fixture
def trial(tmp_path: Path, keys: str, migrated_sqlite: Path) -> Iterator[tuple[str, dict[str, int]]]:
    """A trial's SQLite database with rows in every table, and the ids of its organisation and environment."""
    shutil.copyfile(migrated_sqlite, tmp_path / "trial.db")
    url = f"sqlite:///{tmp_path / 'trial.db'}"
    store = Store(make_engine(url), SecretBox(keys))
    ids = fill(store)
    store.engine.dispose()
    yield url, ids


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set PMS_SYNC_TEST_DATABASE_URL to copy into PostgreSQL")
    name = f"pms_sync_copy_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield normalise_url(POSTGRES_URL).rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def copy(source: str, target: str, keys: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("PMS_SYNC_DATABASE_URL", source)
    monkeypatch.setenv("PMS_SYNC_SECRET_KEYS", keys)
    return main(["db", "copy", "--to", target])


def assert_copied(source: str, target: str, keys: str, ids: dict[str, int]) -> None:
    """Every row equal, new rows take new ids, and the service reads the secrets with the same key."""
    source_engine, target_engine = make_engine(source), make_engine(target)
    try:
        copied = rows(target_engine)
        assert all(copied.values()), f"tables left empty: {[name for name, found in copied.items() if not found]}"
        assert copied == rows(source_engine)
        with Session(target_engine) as session:
            added = Organisation(name="Added after the copy", admin_roles=[])
            session.add(added)
            session.commit()
            assert added.id == max(r[0] for r in copied["organisation"]) + 1
        store = Store(target_engine, SecretBox(keys))
        environment = store.environment(ids["organisation"], ids["environment"])
        assert environment is not None
        assert (environment.client_secret, environment.relay_key, environment.siem_secret) == (
            "client-secret-value", "relay-sas-key", "siem-secret",
        )
        assert store.schedules.schedule(ids["organisation"], ids["environment"]).teams_webhook == WEBHOOK
        store.add_audit_event("copy.checked", organisation_id=ids["organisation"], actor="test")
    finally:
        source_engine.dispose()
        target_engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with nothing in it yet: a new SQLite file, or a new PostgreSQL database."""
    return f"sqlite:///{tmp_path / 'copy.db'}" if request.param == "sqlite" else request.getfixturevalue("fresh_postgres")


def test_every_row_of_a_trial_is_copied_and_the_service_reads_it(
    trial: tuple[str, dict[str, int]], empty_database: str, keys: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source, ids = trial
    assert copy(source, empty_database, keys, monkeypatch) == 0
    out = capsys.readouterr().out
    with make_engine(source).connect() as connection:
        for table in TABLES:
            count = connection.execute(select(func.count()).select_from(table)).scalar_one()
            assert f"{table.name}: {count} row{'' if count == 1 else 's'} copied\n" in out
    assert "the row counts match" in out and "same PMS_SYNC_SECRET_KEYS" in out
    assert_copied(source, empty_database, keys, ids)


def test_rows_are_copied_in_batches_of_any_size(trial: tuple[str, dict[str, int]], tmp_path: Path) -> None:
    source, _ = trial
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    copied = copy_database(source, target, batch_size=2)
    source_engine, target_engine = make_engine(source), make_engine(target)
    expected = rows(source_engine)
    assert {t.name: t.rows for t in copied} == {name: len(found) for name, found in expected.items()}
    assert any(t.rows > 2 for t in copied), "some table spans several batches"
    assert rows(target_engine) == expected
    source_engine.dispose()
    target_engine.dispose()


def test_a_postgresql_database_is_copied_too(trial: tuple[str, dict[str, int]], fresh_postgres: str, tmp_path: Path) -> None:
    """From PostgreSQL (read in one snapshot, with a server-side cursor) back to SQLite."""
    source, _ = trial
    back = f"sqlite:///{tmp_path / 'back.db'}"
    copy_database(source, fresh_postgres)
    copy_database(fresh_postgres, back, batch_size=2)
    source_engine, back_engine = make_engine(source), make_engine(back)
    assert rows(back_engine) == rows(source_engine)
    source_engine.dispose()
    back_engine.dispose()


def test_a_database_that_is_not_empty_is_refused_and_left_as_it_was(
    trial: tuple[str, dict[str, int]], empty_database: str, keys: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The target, an older revision, already holds an organisation: it is neither migrated nor copied into."""
    source, _ = trial
    upgrade(empty_database, "0016")
    target = make_engine(empty_database)
    Store(target, SecretBox(keys)).create_organisation("Already here", [])
    before = rows(target)
    assert copy(source, empty_database, keys, monkeypatch) == 2
    assert "the target database is not empty (rows in organisation): nothing was copied" in capsys.readouterr().err
    assert rows(target) == before
    with target.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0016"
        assert "ix_importattempt_org_env_started" not in {i["name"] for i in inspect(connection).get_indexes("importattempt")}
    target.dispose()


def test_a_source_behind_the_migrations_is_refused(
    tmp_path: Path, keys: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(source, "0016")
    target = tmp_path / "copy.db"
    assert copy(source, f"sqlite:///{target}", keys, monkeypatch) == 2
    err = capsys.readouterr().err
    assert "at revision 0016" in err and "run `pms-sync db upgrade` first" in err
    assert not target.exists()


def test_a_sqlite_database_is_backed_up_to_a_file_that_opens_with_every_row(
    trial: tuple[str, dict[str, int]], tmp_path: Path, keys: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, ids = trial
    backup = tmp_path / "backup.db"
    monkeypatch.setenv("PMS_SYNC_DATABASE_URL", source)
    monkeypatch.setenv("PMS_SYNC_SECRET_KEYS", keys)
    assert main(["db", "backup", "--to", str(backup)]) == 0
    with sqlite3.connect(backup) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    backup_url = f"sqlite:///{backup}"
    source_engine, backup_engine = make_engine(source), make_engine(backup_url)
    assert rows(backup_engine) == rows(source_engine)
    environment = Store(backup_engine, SecretBox(keys)).environment(ids["organisation"], ids["environment"])
    assert environment is not None and environment.agent_key == "agent-key-value"
    source_engine.dispose()
    backup_engine.dispose()
    assert main(["db", "backup", "--to", str(backup)]) == 2, "an existing file is never overwritten"


def test_a_postgresql_database_is_not_backed_up_but_the_pg_dump_command_is_given(
    tmp_path: Path, keys: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PMS_SYNC_DATABASE_URL", "postgresql://pms:s3cret@db.example.test:5432/pms_sync")
    monkeypatch.setenv("PMS_SYNC_SECRET_KEYS", keys)
    assert main(["db", "backup", "--to", str(tmp_path / "pms.dump")]) == 2
    err = capsys.readouterr().err
    assert f"pg_dump --format=custom --file {tmp_path / 'pms.dump'} postgresql://pms@db.example.test:5432/pms_sync" in err
    assert "s3cret" not in err
    assert not (tmp_path / "pms.dump").exists()
