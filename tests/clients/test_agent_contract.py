"""The Aderant agent and its client share one contract: the client (clients/aderant.py,
clients/aderant_models.py) asks the agent's own app (agent/app.py), in process over the sandbox's
Aderant database, every route it uses, and reads each answer into its typed values."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import create_engine, text

from clients.aderant import AderantAgentClient
from clients.aderant_models import (
    Address,
    AgentHealth,
    CodeDescription,
    Employee,
    MatterDetail,
    MatterStatus,
    MatterSummary,
    Party,
)
from clients.errors import RemoteNotFound, RemoteRejected, RemoteUnavailable
from plugin.mapping import apply_mapping
from sandbox.aderant_db import FIFTY_PARTIES_MATTER, MANY_PARTIES_COUNT, MANY_PARTIES_MATTER, create_aderant_db
from tests.clients.agent_answers import AGENT_KEY, agent_app, unreachable_database_url

HARBOUR_HOLDINGS = Party(
    90001, "organisation", "Harbour Holdings Pty Ltd", None, None, None, "Harbour Holdings Pty Ltd", "CLIENT", "Client",
    "accounts@harbourholdings.example.com", "+61 2 5550 0100", Address("1 Circular Quay", "Sydney", "NSW", "2000", "AU"),
)
MARY_CITIZEN = Party(
    90003, "person", "Mary Citizen", "Mary", None, "Citizen", None, "WIT", "Witness", "mary.citizen@example.com", None,
    Address("4 Example Street", "Newtown", "NSW", "2042", "AU"),
)
LITIGATION = MatterSummary(
    82001, "82001", "Harbour Holdings v Coastal Freight", 8001, "CL080001", "Harbour Holdings Pty Ltd",
    "OPEN", "Open", False, date(2026, 3, 2), None,
)


@asynccontextmanager
async def agent(**options: Any) -> AsyncIterator[AderantAgentClient]:
    """The client, speaking to the agent's app (`options` for `create_agent_app`)."""
    app = agent_app(**options)
    try:
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app)) as http:
            yield AderantAgentClient(
                base_url="http://agent.firm.test:4102", api_key=AGENT_KEY, environment_name="UAT", http=http, retry_backoff=0,
            )
    finally:
        app.state.engine.dispose()


async def test_health() -> None:
    async with agent() as client:
        assert await client.health() == AgentHealth("ok")
        assert (await client.check_health()).database_ok


async def test_health_when_the_database_does_not_answer() -> None:
    async with agent(database_url=unreachable_database_url()) as client:
        assert await client.check_health() == AgentHealth("unavailable")
        with pytest.raises(RemoteUnavailable):
            await client.health()


async def test_search_matters() -> None:
    async with agent() as client:
        page = await client.search_matters("82001")

    assert page.items == (LITIGATION,) and page.next_offset is None


async def test_search_matters_pages() -> None:
    async with agent() as client:
        first = await client.search_matters("Harbour Holdings", limit=2)
        second = await client.search_matters("Harbour Holdings", offset=2, limit=2)

    assert len(first.items) == 2 and first.next_offset == 2
    assert not {m.matter_uno for m in first.items} & {m.matter_uno for m in second.items}


async def test_get_matter() -> None:
    async with agent() as client:
        matter = await client.get_matter("82001")

    assert isinstance(matter, MatterDetail)
    assert MatterSummary(**{name: getattr(matter, name) for name in MatterSummary.__dataclass_fields__}) == LITIGATION
    assert matter.long_title == "Harbour Holdings Pty Ltd v Coastal Freight Pty Ltd — recovery of freight charges"
    assert (matter.matter_type, matter.office, matter.department) == (
        CodeDescription("LIT", "Litigation"), CodeDescription("SYD", "Sydney"), CodeDescription("LIT", "Litigation"),
    )
    assert matter.responsible_employee == Employee(501, "JSM", "Jane Smith")
    assert matter.billing_employee == Employee(502, "RPA", "Raj Patel")
    assert matter.client_party == HARBOUR_HOLDINGS
    assert matter.parties[0] == MARY_CITIZEN
    assert [(p.name_uno, p.kind, p.role_code) for p in matter.parties] == [
        (90003, "person", "WIT"), (90002, "organisation", "ADV"), (90004, "person", "SOL"), (90005, "organisation", "INT"),
    ]


async def test_get_matter_follows_the_parties_route_when_they_do_not_fit_one_answer() -> None:
    async with agent(response_budget=4_000) as client:
        matter = await client.get_matter(MANY_PARTIES_MATTER.number)

    assert len(matter.parties) == MANY_PARTIES_COUNT  # each once, in the agent's order
    assert sorted(p.name_uno for p in matter.parties) == sorted(uno for uno, _ in MANY_PARTIES_MATTER.parties)


async def test_an_unknown_matter_is_not_found() -> None:
    async with agent() as client:
        with pytest.raises(RemoteNotFound) as caught:
            await client.get_matter("no-such-matter")

    assert str(caught.value) == "Matter no-such-matter was not found in Aderant (UAT)"


async def test_a_refused_query_carries_the_agents_reason() -> None:
    async with agent() as client:
        with pytest.raises(RemoteRejected) as caught:
            await client.search_matters("x" * 201)

    assert str(caught.value).startswith("Aderant rejected the request for UAT: ") and "q" in str(caught.value)


async def test_matter_statuses() -> None:
    async with agent() as client:
        statuses = await client.matter_statuses([82001, 82002, 1])

    assert sorted(statuses, key=lambda s: s.matter_uno) == [
        MatterStatus(82001, "82001", "OPEN", "Open", False, None),
        MatterStatus(82002, "82002", "CLOSE", "Closed", True, date(2026, 6, 30)),
    ]


async def test_matter_details_with_the_parties_of_a_long_matter() -> None:
    async with agent() as client:
        matters = await client.matter_details([82001, FIFTY_PARTIES_MATTER.matter_uno, 1])

    by_uno = {m.matter_uno: m for m in matters}
    assert set(by_uno) == {82001, FIFTY_PARTIES_MATTER.matter_uno}
    assert by_uno[82001].client_party == HARBOUR_HOLDINGS and by_uno[82001].parties[0] == MARY_CITIZEN
    fifty = by_uno[FIFTY_PARTIES_MATTER.matter_uno].parties
    assert len(fifty) == 50  # 20 in the answer, the rest from the parties route; each once
    assert sorted(p.name_uno for p in fifty) == sorted(uno for uno, _ in FIFTY_PARTIES_MATTER.parties)


async def test_matters_opened_since() -> None:
    async with agent() as client:
        matters = await client.matters_opened_since(["CL080001"], date(2026, 1, 1))

    assert matters[1] == LITIGATION
    assert [(m.matter_uno, m.open_date) for m in matters] == [
        (82003, date(2026, 1, 15)), (82001, date(2026, 3, 2)), (82004, date(2026, 4, 20)), (82008, date(2062, 3, 2)),
    ]


async def test_a_matter_whose_client_has_no_name_and_a_party_with_a_blank_name_is_read(tmp_path: Path) -> None:
    """The agent sends `client_party: null` when the client's name row is missing, and null for a
    blank name or title (agent/queries.py): the client reads the matter all the same, so the
    preview can show it and the import maps the parties there are."""
    url = f"sqlite:///{tmp_path / 'aderant.db'}"
    create_aderant_db(url, generated_matters=0)
    engine = create_engine(url)
    with engine.begin() as db:
        db.execute(text("DELETE FROM HBM_NAME WHERE NAME_UNO = 90001"))  # the client's name
        db.execute(text("UPDATE HBM_NAME SET NAME = '  ' WHERE NAME_UNO = 90003"))  # Mary Citizen's
        db.execute(text("UPDATE HBM_MATTER SET MATTER_NAME = '' WHERE MATTER_NUMBER = 82001"))
    engine.dispose()

    async with agent(database_url=url) as client:
        matter = await client.get_matter("82001")

    assert matter.client_party is None and matter.title == ""
    mary = next(p for p in matter.parties if p.name_uno == 90003)
    assert mary.display_name == "Mary Citizen", "made from its parts"
    mapped = apply_mapping(matter)
    assert [p.name_uno for p in mapped.parties] == [p.name_uno for p in matter.parties], "the parties there are"
