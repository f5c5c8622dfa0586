"""How an import records the contacts it creates: in one transaction, once every create has
answered, whatever their number; and even when one of them fails."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, event

from clients.errors import RemoteUnavailable
from plugin.importer import ImportFailed, import_matter
from tests.plugin.fakes import matter, party
from tests.plugin.test_import import ACTOR, outcomes

PEOPLE = tuple(party(91000 + n, f"Witness Number{n}", role_code="WIT") for n in range(12))


class Transactions:
    """The SQL statements of every transaction committed on an engine, in commit order."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.committed: list[list[str]] = []
        self._open: dict[int, list[str]] = {}
        self._lock = threading.Lock()  # the store runs on worker threads

    def __enter__(self) -> Transactions:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "rollback", self._rollback)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)

    def writing(self, table: str) -> list[list[str]]:
        """The committed transactions with an INSERT into or UPDATE of `table`."""
        return [
            statements for statements in self.committed
            if any(s.lstrip().upper().startswith((f"INSERT INTO {table.upper()}", f"UPDATE {table.upper()}"))
                   for s in statements)
        ]

    @staticmethod
    def _key(conn: Any) -> int:
        return id(conn.connection.dbapi_connection)

    def _statement(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        with self._lock:
            self._open.setdefault(self._key(conn), []).append(statement)

    def _commit(self, conn: Any) -> None:
        with self._lock:
            self.committed.append(self._open.pop(self._key(conn), []))

    def _rollback(self, conn: Any) -> None:
        with self._lock:
            self._open.pop(self._key(conn), None)


@pytest.fixture
def firm(world):  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    actor = replace(ACTOR, organisation_id=env.organisation_id, signed_in_environment_id=env.id)
    return services, replace(env, import_writes_enabled=True), agent, clio, actor


@pytest.mark.parametrize("parties", [1, 12])
async def test_the_contacts_an_import_creates_are_recorded_in_one_transaction(firm, parties: int) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio, actor = firm
    agent.matters["82001"] = matter(uno=7_700_001, parties=PEOPLE[:parties])

    with Transactions(services.store.engine) as transactions:
        result = await import_matter(services, env, actor, "82001")

    created = parties + 1  # and the client
    assert result.status == "imported" and len(result.contacts_created) == created == len(clio.contacts)
    [record] = transactions.writing("importcontact")
    assert sum(s.upper().startswith("UPDATE CONTACTCLAIM") for s in record) >= 1, "marked created with them"
    assert len(transactions.writing("contactclaim")) == 2, "claimed together, then recorded together"
    [claim] = services.store.imports.records(env.organisation_id, env.id, ["7700001"]).values()
    assert claim.id is not None
    assert set(services.store.imports.contacts(claim.id).values()) == {c.id for c in clio.contacts}


async def test_the_contacts_created_before_another_create_failed_are_recorded_and_reused(firm) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio, actor = firm
    agent.matters["82001"] = matter(
        uno=7_700_002, parties=(party(90002, "Coastal Freight Pty Ltd", "organisation"), *PEOPLE[:3])
    )
    clio.failing["create_organisation"] = RemoteUnavailable("Clio Operate", "Production", "HTTP 500")
    with pytest.raises(ImportFailed):
        await import_matter(services, env, actor, "82001")
    assert len(clio.contacts) == 4, "three people and one of the two organisations"

    result = await import_matter(services, env, actor, "82001")

    assert result.status == "imported" and len(clio.contacts) == 5, "only the refused one was created again"
    assert {c["ods_id"] for c in result.contacts_created} == {c.id for c in clio.contacts}
    assert outcomes(services, env) == ["failed", "imported"]
