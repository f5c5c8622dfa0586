"""Shared fixtures: a clean, migrated database per test (SQLite, or PostgreSQL when
PMS_SYNC_TEST_DATABASE_URL is set) and a store over it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from store.db import make_engine, normalise_url, upgrade
from store.repository import Store
from store.secrets import SecretBox

POSTGRES_URL = os.environ.get("PMS_SYNC_TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL database for this test session, migrated once."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set PMS_SYNC_TEST_DATABASE_URL to run this test")
    name = f"pms_sync_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = normalise_url(POSTGRES_URL).rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """A clean, migrated database: PostgreSQL when configured, else a SQLite file."""
    if not POSTGRES_URL:
        url = f"sqlite:///{tmp_path / 'pms-sync.db'}"
        upgrade(url)
        return url
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def secret_box() -> SecretBox:
    return SecretBox(SecretBox.generate_key())


@pytest.fixture
def store(database_url: str, secret_box: SecretBox) -> Iterator[Store]:
    engine = make_engine(database_url)
    yield Store(engine, secret_box)
    engine.dispose()


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
