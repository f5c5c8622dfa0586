"""Shared fixtures: a clean, migrated database per test (SQLite, or PostgreSQL when
PMS_SYNC_TEST_DATABASE_URL is set) and a store over it; pytest-httpx's mock for the service's
HTTP stack; the sandbox identity servers' signing keys.

The migrations run once per test run (per pytest-xdist worker): each SQLite test gets a copy of a
migrated file, and the worker's PostgreSQL database is emptied before each test. Tests of the
migrations themselves run them on that database (tests/store). A set-up many tests share (the demo
organisation of tests/views) is written once and copied into each test's database (`seeded`)."""

from __future__ import annotations

import functools
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import httpx2
import pytest
from pytest_httpx import HTTPXMock
from sqlalchemy import Engine, create_engine, select, text
from sqlmodel import SQLModel
from starlette.applications import Starlette

from embed_auth.clocks import Clocks, utcnow
from sandbox.clio.tokens import SigningKeys, new_signing_key
from store.db import make_engine, normalise_url, upgrade
from store.repository import Store
from store.secrets import SecretBox

POSTGRES_URL = os.environ.get("PMS_SYNC_TEST_DATABASE_URL", "")
T = TypeVar("T")


@pytest.fixture
def httpx_mock(httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch) -> HTTPXMock:
    """pytest-httpx's mock, answering the service's requests too: pytest-httpx patches httpx's
    transport, the service sends through httpx2's (clients/http.py). Each httpx2 request is handed
    to the mock as the equivalent httpx request; its answer, or its transport error, comes back as
    httpx2's. Everything else (matching, ``get_requests``, the checks at teardown) is pytest-httpx's."""

    async def handle(transport: httpx2.AsyncHTTPTransport, request: httpx2.Request) -> httpx2.Response:
        as_httpx = httpx.Request(
            request.method, str(request.url), headers=request.headers.raw, content=await request.aread(),
            extensions=request.extensions,
        )
        try:
            answer = await httpx_mock._handle_async_request(transport, as_httpx)  # type: ignore[arg-type]
        except httpx.TransportError as exc:  # a registered exception or no matching response
            raise getattr(httpx2, type(exc).__name__)(str(exc), request=request) from exc
        return httpx2.Response(
            answer.status_code, headers=answer.headers.raw, content=await answer.aread(), request=request
        )

    monkeypatch.setattr(httpx2.AsyncHTTPTransport, "handle_async_request", handle)
    return httpx_mock


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL database for this test session, migrated once."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set PMS_SYNC_TEST_DATABASE_URL to run this test")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # pytest-xdist: one database per worker
    name = f"pms_sync_test_{worker}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = normalise_url(POSTGRES_URL).rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """An engine over `postgres_url` kept for the session, to empty the database before each test."""
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session, for each test to copy."""
    path = tmp_path_factory.mktemp("migrated") / "pms-sync.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A clean, migrated database: PostgreSQL when configured, else a SQLite file."""
    if not POSTGRES_URL:
        path = tmp_path / "pms-sync.db"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        return f"sqlite:///{path}"
    empty_postgres(request.getfixturevalue("postgres_engine"))
    return request.getfixturevalue("postgres_url")


def empty_postgres(engine: Engine) -> None:
    """Every table emptied and every sequence restarted, as migrating a new database leaves them.
    DELETE on tables this small takes milliseconds, where TRUNCATE (new files for every table)
    takes tens of them."""
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())
        used = connection.execute(text(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences"
            " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
        )).scalars().all()
        for sequence in used:
            connection.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))


@dataclass(frozen=True)
class Snapshot:
    """The rows of every table, and on PostgreSQL the sequences' positions, after a set-up ran;
    and what the set-up returned."""
    rows: dict[str, list[dict[str, Any]]]
    sequences: dict[str, int]
    value: Any


class Seeded:
    """Set-ups run once per test run: the first test to ask runs it on its clean database and the
    rows it wrote are kept; every later test gets those rows written back into its clean database
    in one transaction (milliseconds, where the set-up itself takes a fifth of a second)."""

    def __init__(self) -> None:
        self._snapshots: dict[str, Snapshot] = {}

    def __call__(self, name: str, engine: Engine, set_up: Callable[[], T]) -> T:
        """`set_up`'s result, its rows being in the clean database behind `engine`."""
        snapshot = self._snapshots.get(name)
        if snapshot is None:
            value = set_up()
            self._snapshots[name] = _snapshot(engine, value)
            return value
        _restore(engine, snapshot)
        return snapshot.value


def _snapshot(engine: Engine, value: Any) -> Snapshot:
    with engine.connect() as connection:
        rows = {
            table.name: [dict(row) for row in connection.execute(select(table)).mappings()]
            for table in SQLModel.metadata.sorted_tables
        }
        sequences = {} if engine.dialect.name == "sqlite" else {
            name: last_value for name, last_value in connection.execute(text(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value FROM pg_sequences"
                " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
            ))
        }
    return Snapshot(rows, sequences, value)


def _restore(engine: Engine, snapshot: Snapshot) -> None:
    with engine.begin() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if rows := snapshot.rows[table.name]:
                connection.execute(table.insert(), rows)
        for sequence, last_value in snapshot.sequences.items():
            connection.execute(text("SELECT setval(:sequence, :value)"), {"sequence": sequence, "value": last_value})


@pytest.fixture(scope="session")
def seeded() -> Seeded:
    return Seeded()


@pytest.fixture(scope="session")
def signing_keys() -> SigningKeys:
    """The sandbox identity servers' RSA keys, one per issuer for the whole test run: a sandbox
    started per test signs as before, without generating a 2048-bit key per tenant per test."""
    return functools.cache(new_signing_key)


@pytest.fixture(scope="session")
def service_key() -> str:
    """The in-process service's secret key (tests/views), one for the test run: the demo
    organisation's rows, its connections' secrets encrypted with it, are written once (`seeded`)."""
    return SecretBox.generate_key()


@pytest.fixture
def secret_box() -> SecretBox:
    return SecretBox(SecretBox.generate_key())


@pytest.fixture
def store(database_url: str, secret_box: SecretBox) -> Iterator[Store]:
    engine = make_engine(database_url)
    yield Store(engine, secret_box)
    engine.dispose()


@dataclass
class MovableClock:
    """Real time, moved on by a test: the service's sign-in and access clocks (embed_auth.clocks)."""

    ahead: timedelta = timedelta(0)

    def advance(self, by: timedelta) -> None:
        self.ahead += by

    def monotonic(self) -> float:
        return time.monotonic() + self.ahead.total_seconds()

    def now(self) -> datetime:
        return utcnow() + self.ahead

    def clocks(self) -> Clocks:
        return Clocks(monotonic=self.monotonic, now=self.now)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


# In CI, a test that needs a capability CI provides must not be skipped: PMS_SYNC_REQUIRE
# lists them (e.g. "postgres", "oidc-provider", "hyco-https"), and a skip whose reason names one
# (or the word mapped to it here) fails the run.
REQUIRED = {c.strip().lower() for c in os.environ.get("PMS_SYNC_REQUIRE", "").split(",") if c.strip()}
CAPABILITY_WORDS = {"postgres": "postgresql", "browser": "browser"}
_forbidden_skips: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and REQUIRED:
        reason = str(report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr).lower()
        if any(CAPABILITY_WORDS.get(c, c) in reason for c in REQUIRED):
            _forbidden_skips.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _forbidden_skips:
        print("\nThese tests were skipped although PMS_SYNC_REQUIRE asks for what they need:")
        for line in _forbidden_skips:
            print(f"  {line}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def remote_transport() -> Callable[[Starlette], httpx2.AsyncBaseTransport]:
    """How the in-process service (tests/views/conftest.py) reaches its remote systems, given the
    sandbox: every one in-process. A test module overrides it to reach another server too
    (tests/boundary/test_organisation_audit_siem.py)."""
    return lambda sandbox: httpx2.ASGITransport(app=sandbox)
