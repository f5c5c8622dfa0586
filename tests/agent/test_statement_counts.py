"""The agent issues a fixed number of statements per request, whatever the result size (a search:
one when a matter number or client code starts with the text, else two), and
every statement also compiles for SQL Server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from sqlalchemy import event
from sqlalchemy.dialects import mssql
from sqlalchemy.sql import ClauseElement
from starlette.applications import Starlette


class StatementLog:
    def __init__(self) -> None:
        self.cursor_statements: list[str] = []
        self.clauses: list[ClauseElement] = []

    def clear(self) -> None:
        self.cursor_statements.clear()
        self.clauses.clear()


@pytest.fixture
def statements(agent_app: Starlette) -> Iterator[StatementLog]:
    log = StatementLog()
    engine = agent_app.state.engine

    def on_cursor(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        log.cursor_statements.append(statement)

    def on_execute(conn: Any, clause: Any, *args: Any) -> None:
        if isinstance(clause, ClauseElement):
            log.clauses.append(clause)

    event.listen(engine, "before_cursor_execute", on_cursor)
    event.listen(engine, "before_execute", on_execute)
    yield log
    event.remove(engine, "before_cursor_execute", on_cursor)
    event.remove(engine, "before_execute", on_execute)


REQUESTS = [
    ("/v1/matters", {"q": "CL08"}, 1),  # client code prefix: found through the index
    ("/v1/matters", {"q": "8200", "offset": 2}, 2),  # a later page asks first whether anything starts so
    ("/v1/matters", {"q": "Pty", "limit": 100}, 2),  # nothing starts so: then contains, 100 matters with parties
    ("/v1/matters", {"q": "Pty", "offset": 100}, 2),
    ("/v1/matters", {"q": "mary citizen"}, 2),  # matched through the party link table
    ("/v1/matters/82004", {}, 2),  # 50 parties
    ("/v1/matters/82004/parties", {"offset": 10}, 2),
    ("/v1/matter-statuses", {"ids": ",".join(str(100_000 + n) for n in range(200))}, 1),
    ("/v1/matter-details", {"ids": "82001,82004," + ",".join(str(100_000 + n) for n in range(48))}, 2),
    ("/v1/matters-opened", {"clients": "CL080001,CL100001", "since": "2018-01-01"}, 1),
]


@pytest.mark.parametrize(("path", "params", "expected"), REQUESTS)
async def test_statement_count_is_bounded(
    client: httpx2.AsyncClient,
    statements: StatementLog,
    path: str,
    params: dict[str, Any],
    expected: int,
) -> None:
    await client.get("/v1/health")  # first connection set-up is not part of the request
    statements.clear()

    response = await client.get(path, params=params)

    assert response.status_code == 200
    assert len(statements.cursor_statements) == expected


@pytest.mark.parametrize(("path", "params"), [(path, params) for path, params, _ in REQUESTS])
async def test_statements_compile_for_sql_server_with_user_input_bound(
    client: httpx2.AsyncClient, statements: StatementLog, path: str, params: dict[str, Any]
) -> None:
    await client.get(path, params=params)

    assert statements.clauses
    for clause in statements.clauses:
        # the SQL Server compiler refuses OFFSET/LIMIT without ORDER BY
        sql = str(clause.compile(dialect=mssql.dialect()))
        assert "Pty" not in sql and "mary" not in sql and "CL080001" not in sql
