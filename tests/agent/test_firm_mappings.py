"""The agent gives the same answer for the same data whatever the firm's layout, given the
firm's mapping (tests/agent/firms.py describes the two firms)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette

from agent.schema import DEFAULT_MAPPING_PATH
from sandbox.aderant_db import (
    GENERATED_MATTER_FIRST_UNO,
    GENERATED_NUMBER_OFFSET,
    LITIGATION_MATTER,
)
from tests.agent.firms import (
    build_second_firm_db,
    default_mapping,
    second_firm_mapping,
    without_link_table_mapping,
    write_mapping,
)
from tests.agent.helpers import ClientFactory

GENERATED_NUMBERS = [
    str(GENERATED_MATTER_FIRST_UNO - GENERATED_NUMBER_OFFSET + index) for index in range(40)
]
MATTER_NUMBERS = ["82001", "82002", "82003", "82004", "82007", *GENERATED_NUMBERS]
REQUESTS: list[tuple[str, dict[str, Any]]] = [
    *((f"/v1/matters/{number}", {}) for number in MATTER_NUMBERS),
    ("/v1/matters/82004/parties", {"offset": 7}),
    ("/v1/matters", {"q": "mary citizen"}),
    ("/v1/matters", {"q": "Pacific Insurance"}),
    ("/v1/matters", {"q": "Pty", "limit": 100}),
    ("/v1/matter-statuses", {"ids": "82001,82002,100000,100001,100002"}),
    ("/v1/matters-opened", {"clients": "CL080001,CL100001", "since": "2018-01-01"}),
]


@pytest.fixture
def second_firm_db(aderant_db_url: str, tmp_path: Path) -> str:
    return build_second_firm_db(
        Path(aderant_db_url.removeprefix("sqlite:///")), tmp_path / "second-firm.db"
    )


@pytest.fixture
async def second_firm(
    second_firm_db: str, tmp_path: Path, make_app: Callable[..., Starlette],
    make_client: ClientFactory,
) -> AsyncIterator[httpx2.AsyncClient]:
    mapping_path = write_mapping(tmp_path / "second-firm.json", second_firm_mapping())
    app = make_app(database_url=second_firm_db, mapping_path=mapping_path)
    async with make_client(app) as http:
        yield http


async def answer(client: httpx2.AsyncClient, path: str, params: dict[str, Any]) -> Any:
    response = await client.get(path, params=params)
    assert response.status_code == 200, (path, response.text)
    return response.json()


async def test_both_firms_get_the_same_answers_for_the_same_data(
    client: httpx2.AsyncClient, second_firm: httpx2.AsyncClient
) -> None:
    for path, params in REQUESTS:
        assert await answer(second_firm, path, params) == await answer(client, path, params), path


async def test_the_comparison_covers_parties_contacts_and_roles(client: httpx2.AsyncClient) -> None:
    """Guards the test above: the compared answers hold what the second firm stores differently."""
    parties = [
        party
        for number in MATTER_NUMBERS
        for party in (await answer(client, f"/v1/matters/{number}", {}))["matter"]["parties"]
    ]

    assert len(parties) > 100
    assert {party["kind"] for party in parties} == {"person", "organisation"}
    assert {party["role"] for party in parties} == {
        "Adverse party", "Witness", "Other side solicitor", "Interested party",
    }
    assert sum(party["email"] is not None for party in parties) > 20
    assert sum(party["phone"] is not None for party in parties) > 20


def test_the_second_firms_tables_hold_rows_the_mapping_must_leave_out(second_firm_db: str) -> None:
    with sqlite3.connect(second_firm_db.removeprefix("sqlite:///")) as db:
        participants = db.execute(
            "SELECT COUNT(*), SUM(PART_TYPE = 'P' AND INACTIVE = 'N') FROM _MATTER_PARTICIPANT"
            " WHERE MATTER_UNO = ?",
            (LITIGATION_MATTER.matter_uno,),
        ).fetchone()
        name_types = {code for (code,) in db.execute("SELECT DISTINCT NAME_TYPE FROM HBM_NAME")}
        address_columns = {row[1] for row in db.execute("PRAGMA table_info(HBM_ADDRESS)")}

    assert participants == (len(LITIGATION_MATTER.parties) + 2, len(LITIGATION_MATTER.parties))
    assert name_types == {"I", "C"}
    assert not {"EMAIL", "PHONE"} & address_columns


async def test_a_firm_without_a_party_link_table_has_only_the_client_party(
    tmp_path: Path, make_app: Callable[..., Starlette], make_client: ClientFactory
) -> None:
    mapping_path = write_mapping(tmp_path / "no-link.json", without_link_table_mapping())

    async with make_client(make_app(mapping_path=mapping_path)) as http:
        detail = await answer(http, "/v1/matters/82001", {})
        parties = await answer(http, "/v1/matters/82001/parties", {})
        by_party_name = await answer(http, "/v1/matters", {"q": "Pacific Insurance"})
        by_client_name = await answer(http, "/v1/matters", {"q": "Harbour Holdings"})

    assert detail["matter"]["client_party"]["display_name"] == "Harbour Holdings Pty Ltd"
    assert (detail["matter"]["parties"], detail["matter"]["parties_next_offset"]) == ([], None)
    assert parties == {"items": [], "next_offset": None}
    assert by_party_name["items"] == []
    assert "82001" in [item["matter_number"] for item in by_client_name["items"]]


def test_the_readme_example_is_the_second_firms_mapping() -> None:
    readme = DEFAULT_MAPPING_PATH.with_name("README.md").read_text(encoding="utf-8")
    section = readme.split("### Example: a firm with its own participant", 1)[1]
    example = json.loads(section.split("```json", 1)[1].split("```", 1)[0])

    mapping = default_mapping()
    mapping["name_type_codes"] = example["name_type_codes"]
    mapping["tables"].update(example["tables"])
    assert mapping == second_firm_mapping()
