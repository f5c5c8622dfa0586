"""agent/windows/least-privilege-login.sql grants SELECT on exactly the tables and columns the
agent's SQL Server statements read under the bundled mapping, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from agent.schema import AgentSchema
from tests.agent.test_sql_server_statements import BUILDERS, SCHEMAS, sql_server

SCRIPT = Path(__file__).parents[2] / "agent" / "windows" / "least-privilege-login.sql"
GRANT = re.compile(r"GRANT\s+SELECT\s+ON\s+dbo\.(\w+)\s*\(([^)]*)\)\s+TO\s+\[\$\(AgentLogin\)\]\s*;", re.IGNORECASE)
FORBIDDEN = re.compile(
    r"\b(INSERT|UPDATE|DELETE|EXEC|EXECUTE|ALTER|CONTROL|TAKE|IMPERSONATE|REFERENCES|"
    r"db_datareader|db_owner|sp_addrolemember|sp_addsrvrolemember|ROLE|SCHEMA::|DATABASE::)\b",
    re.IGNORECASE,
)


def statement_reads(schema: AgentSchema) -> dict[str, set[str]]:
    """Physical table -> columns, parsed from every statement as SQL Server gets it: each table
    is named once as ``[TABLE] AS alias`` and its columns as ``alias.[COLUMN]``."""
    reads: dict[str, set[str]] = {}
    for build in BUILDERS.values():
        statement = build(schema)
        if statement is None:
            continue
        sql = str(statement.compile(dialect=sql_server((16,))))
        aliases = {alias: table for table, alias in re.findall(r"(?:FROM|JOIN)\s+\[(\w+)\]\s+AS\s+(\w+)", sql)}
        for alias, column in re.findall(r"\b(\w+)\.\[(\w+)\]", sql):
            reads.setdefault(aliases[alias], set()).add(column)
    return reads


def script_statements() -> list[str]:
    """The script's statements, comments left out."""
    code = re.sub(r"--[^\n]*", "", SCRIPT.read_text(encoding="utf-8"))
    return [part.strip() for part in re.split(r";|\bGO\b", code) if part.strip()]


def test_script_grants_select_on_exactly_what_the_statements_read() -> None:
    grants: dict[str, set[str]] = {}
    for statement in script_statements():
        if statement.upper().startswith("GRANT"):
            match = GRANT.fullmatch(statement + ";")
            assert match, f"not a column-level SELECT grant: {statement}"
            table, columns = match.groups()
            assert table not in grants, f"{table} granted twice"
            grants[table] = {column.strip() for column in columns.split(",")}

    reads = statement_reads(SCHEMAS["bundled"])
    assert reads, "the statements name no tables: the parser no longer fits the rendered SQL"
    assert grants == reads


def test_script_creates_a_login_and_user_and_grants_nothing_else() -> None:
    statements = script_statements()
    kinds = [re.sub(r"\s+", " ", statement).split(" ")[0].upper() for statement in statements]

    assert set(kinds) <= {"SET", "IF", "GRANT"}
    assert any("CREATE LOGIN [$(AgentLogin)] WITH PASSWORD = N'$(AgentPassword)'" in s for s in statements)
    assert any("CREATE USER [$(AgentLogin)] FOR LOGIN [$(AgentLogin)]" in s for s in statements)
    for statement in statements:
        assert not FORBIDDEN.search(statement), statement
        assert "GRANT" not in statement.upper() or statement.upper().startswith("GRANT SELECT ON DBO.")
