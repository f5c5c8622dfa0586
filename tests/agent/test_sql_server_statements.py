"""Every statement the agent can issue renders for SQL Server, under each firm's mapping: it
compiles with SQLAlchemy's mssql dialect, names every table through an alias (so one physical
table may serve two logical ones) and carries no SQLite-only syntax."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Select
from sqlalchemy.dialects import mssql
from sqlalchemy.engine import Dialect

from agent import statements
from agent.schema import AgentSchema, parse_schema
from tests.agent.firms import default_mapping, second_firm_mapping, without_link_table_mapping

SCHEMAS = {
    "bundled": parse_schema(default_mapping()),
    "second firm": parse_schema(second_firm_mapping()),
    "no link table": parse_schema(without_link_table_mapping()),
}

Build = Callable[[AgentSchema], Select[Any] | None]

BUILDERS: dict[str, Build] = {
    "prefix_search_statement": lambda schema: statements.prefix_search_statement(
        schema, "o'brien 50%", offset=25, limit=26
    ),
    "contains_search_statement": lambda schema: statements.contains_search_statement(
        schema, "o'brien 50%", offset=25, limit=26
    ),
    "matter_statement": lambda schema: statements.matter_statement(schema, "82001"),
    "matter_uno_statement": lambda schema: statements.matter_uno_statement(schema, "82001"),
    "parties_statement": lambda schema: (
        statements.parties_statement(schema, schema.matter_party, 82001, offset=200, limit=201)
        if schema.matter_party is not None
        else None  # without a link table the agent issues no parties statement
    ),
    "statuses_statement": lambda schema: statements.statuses_statement(schema, [82001, 82002]),
    "matter_details_statement": lambda schema: statements.matter_details_statement(schema, [82001, 82004]),
    "parties_of_matters_statement": lambda schema: (
        statements.parties_of_matters_statement(schema, schema.matter_party, [82001, 82004], per_matter=21)
        if schema.matter_party is not None
        else None
    ),
    "opened_statement": lambda schema: statements.opened_statement(
        schema, ["CL080001", "CL100001"], date(2026, 1, 1), offset=0, limit=101
    ),
}
PAGED = {"prefix_search_statement", "contains_search_statement", "parties_statement", "opened_statement"}
PROBED = {"matter_statement", "matter_uno_statement"}  # read at most two rows


def sql_server(version: tuple[int, ...] | None) -> Dialect:
    """The mssql dialect as it is before connecting (version unknown) or, as SQLAlchemy sets it
    up on connecting, for a server of ``version``."""
    dialect = mssql.dialect()
    if version is not None:
        dialect.server_version_info = version
        dialect._setup_version_attributes()  # what the dialect does on its first connection
    return dialect


DIALECTS = {"version unknown": sql_server(None), "SQL Server 2019": sql_server((15, 0, 2000))}


def render(statement: Select[Any], dialect: Dialect) -> str:
    return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def test_every_statement_builder_is_rendered_here() -> None:
    built = {name for name, _ in inspect.getmembers(statements, inspect.isfunction)
             if name.endswith("_statement")}

    assert built == set(BUILDERS)


def table_references(sql: str, schema: AgentSchema) -> list[tuple[str, str | None]]:
    """(table, alias or None) for every place a mapped physical table is named."""
    names = "|".join(re.escape(mapped.name) for mapped in schema.tables())
    pattern = rf"(?<![.\w[])\[?({names})\]?(?![\w\]])(?:\s+AS\s+(\[?\w+\]?))?"
    return re.findall(pattern, sql)


@pytest.mark.parametrize("dialect_name", DIALECTS)
@pytest.mark.parametrize("schema_name", SCHEMAS)
@pytest.mark.parametrize("builder_name", BUILDERS)
def test_statement_renders_for_sql_server(
    builder_name: str, schema_name: str, dialect_name: str
) -> None:
    schema = SCHEMAS[schema_name]
    statement = BUILDERS[builder_name](schema)
    if statement is None:
        assert schema.matter_party is None
        return

    sql = render(statement, DIALECTS[dialect_name])

    references = table_references(sql, schema)
    assert references, sql
    assert all(alias for _, alias in references), sql
    aliases = {alias for _, alias in references}
    assert len(set(references)) == len(aliases), sql  # each alias names one table (in each branch of a UNION)
    assert not re.search(r"\bLIMIT\b|\bILIKE\b|\"", sql), sql
    if builder_name in PAGED:
        paging = r"OFFSET \d+ ROWS\s+FETCH FIRST \d+ ROWS ONLY|ROW_NUMBER\(\) OVER \(ORDER BY"
        assert re.search(paging, sql), sql
    if builder_name in PROBED:
        assert sql.startswith("SELECT TOP 2 "), sql


def test_one_physical_table_serves_two_logical_tables_under_two_aliases() -> None:
    sql = render(statements.matter_statement(SCHEMAS["second firm"], "82001"),
                 DIALECTS["SQL Server 2019"])
    parties_sql = render(
        BUILDERS["parties_statement"](SCHEMAS["bundled"]),  # type: ignore[arg-type]
        DIALECTS["SQL Server 2019"],
    )

    assert "[_FIRM_CODE] AS matter_type" in sql
    assert "matter_type.[CODE_TYPE] = 'MATTTYPE'" in sql
    assert ("[HBM_ADDRESS] AS address" in parties_sql
            and "[HBM_ADDRESS] AS contact" in parties_sql)
    assert "[HBM_PERSNL] AS responsible_employee" in sql
    assert "[HBM_PERSNL] AS billing_employee" in sql


def test_link_filters_render_in_the_search_and_the_parties_statements() -> None:
    schema = SCHEMAS["second firm"]
    dialect = DIALECTS["SQL Server 2019"]

    for build in (BUILDERS["contains_search_statement"], BUILDERS["parties_statement"]):
        sql = render(build(schema), dialect)  # type: ignore[arg-type]
        assert "matter_party.[PART_TYPE] = 'P'" in sql
        assert "matter_party.[INACTIVE] = 'N'" in sql
