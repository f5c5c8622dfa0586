"""The common searches (a matter number or client code prefix) are answered from indexes: SQLite's
query plan for them searches an index and reads no table whole; only a text that nothing starts
with falls back to reading every matter."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, Select, create_engine, inspect

from agent import statements
from agent.schema import load_schema

SCHEMA = load_schema(None)


@pytest.fixture
def engine(aderant_db_url: str):  # type: ignore[no-untyped-def]
    engine = create_engine(aderant_db_url)
    yield engine
    engine.dispose()


def plan(engine: Engine, statement: Select[Any]) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN for the statement, with its values bound."""
    compiled = statement.compile(dialect=engine.dialect)
    params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    with engine.connect() as conn:
        return [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)]


@pytest.mark.parametrize("q", ["8200", "cl0800"])
def test_a_prefix_search_seeks_the_code_indexes_and_scans_no_table(engine: Engine, q: str) -> None:
    steps = plan(engine, statements.prefix_search_statement(SCHEMA, q, offset=0, limit=26))

    assert any(s.startswith("SEARCH matter USING INDEX IX_HBM_MATTER_MATTER_CODE (MATTER_CODE>? AND MATTER_CODE<?)")
               for s in steps), steps
    assert any(s.startswith("SEARCH client USING INDEX IX_HBM_CLIENT_CLIENT_CODE (CLIENT_CODE>? AND CLIENT_CODE<?)")
               for s in steps), steps
    assert not [s for s in steps if s.startswith("SCAN") and s != "SCAN prefix_match"], steps  # prefix_match: the UNION's rows


def test_the_contains_search_reads_every_matter(engine: Engine) -> None:
    steps = plan(engine, statements.contains_search_statement(SCHEMA, "harbour", offset=0, limit=26))

    assert "SCAN matter" in steps, steps


def test_the_sandbox_database_has_the_indexes_an_expert_database_has(engine: Engine) -> None:
    indexed = {
        (table, tuple(index["column_names"]))
        for table in ("HBM_MATTER", "HBM_CLIENT", "_HBM_MATTER_PARTY")
        for index in inspect(engine).get_indexes(table)
    }

    assert {("HBM_MATTER", ("MATTER_CODE",)), ("HBM_MATTER", ("CLNT_MATT_CODE",)), ("HBM_MATTER", ("CLIENT_UNO",)),
            ("HBM_CLIENT", ("CLIENT_CODE",)), ("_HBM_MATTER_PARTY", ("NAME_UNO",))} <= indexed
