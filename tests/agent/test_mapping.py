from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from agent.schema import DEFAULT_MAPPING_PATH, MappingError, load_schema, parse_schema
from sandbox.aderant_db import LITIGATION_MATTER, create_aderant_db

from tests.agent.helpers import ClientFactory


def default_mapping() -> dict[str, Any]:
    return json.loads(DEFAULT_MAPPING_PATH.read_text(encoding="utf-8"))


def write_mapping(path: Path, mapping: dict[str, Any]) -> Path:
    path.write_text(json.dumps(mapping), encoding="utf-8")
    return path


def test_bundled_mapping_names_the_aderant_tables() -> None:
    schema = load_schema()

    assert schema.matter.name == "HBM_MATTER"
    assert schema.matter.columns["matter_number"] == "MATTER_CODE"
    assert schema.matter_party.columns == {
        "matter_uno": "MATTER_UNO", "name_uno": "NAME_UNO", "role_code": "PARTY_ROLE_CODE",
    }
    assert schema.closed_status_codes == {"CLOSE", "FINAL"}


def without(mapping: dict[str, Any], *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(mapping)
    parent = changed
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return changed


def with_value(mapping: dict[str, Any], value: object, *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(mapping)
    parent = changed
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return changed


MAPPING = default_mapping()


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ([], "mapping must be an object"),
        (without(MAPPING, "tables", "party_role"), "tables.party_role must be an object"),
        (without(MAPPING, "tables", "matter", "columns", "title"),
         "tables.matter.columns.title must be a table or column name"),
        (with_value(MAPPING, "", "tables", "client", "name"), "tables.client.name must be"),
        (with_value(MAPPING, None, "tables", "client", "columns", "client_code"),
         "tables.client.columns.client_code must be"),
        (with_value(MAPPING, "X", "tables", "client", "columns", "colour"),
         "tables.client.columns has unknown entries: colour"),
        (with_value(MAPPING, {}, "tables", "clients"), "tables has unknown entries: clients"),
        (with_value(MAPPING, "CLOSE", "closed_status_codes"), "closed_status_codes must be"),
        (without(MAPPING, "matter_number_column"), "matter_number_column must be"),
    ],
)
def test_invalid_mapping_is_rejected_with_the_place_named(mapping: object, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        parse_schema(mapping)


def test_optional_columns_may_be_null_or_left_out() -> None:
    mapping = with_value(MAPPING, None, "tables", "address", "columns", "email")
    mapping = without(mapping, "tables", "address", "columns", "phone")

    schema = parse_schema(mapping)

    assert schema.address.columns["email"] is None
    assert schema.address.columns["phone"] is None
    assert str(schema.address.col("email")) == "NULL"


def test_unreadable_mapping_file_is_a_mapping_error(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")

    with pytest.raises(MappingError, match="cannot read mapping file"):
        load_schema(tmp_path / "broken.json")


async def test_agent_reads_a_firm_specific_mapping(
    tmp_path: Path, make_app: Callable[..., Starlette], make_client: ClientFactory
) -> None:
    mapping = with_value(MAPPING, "CLNT_MATT_CODE", "matter_number_column")
    mapping["tables"]["matter_party"] = {
        "name": "_MATTER_PARTIES",
        "columns": {"matter_uno": "MATTER_UNO", "name_uno": "PARTY_NAME_UNO",
                    "role_code": "ROLE"},
    }
    mapping["tables"]["address"]["columns"]["email"] = None
    mapping_path = write_mapping(tmp_path / "firm.json", mapping)
    url = f"sqlite:///{tmp_path / 'firm.db'}"
    create_aderant_db(url, generated_matters=20, mapping_path=mapping_path)

    async with make_client(make_app(database_url=url, mapping_path=mapping_path)) as http:
        detail = await http.get("/v1/matters/82001")
        search = await http.get("/v1/matters", params={"q": "Pacific Insurance"})
    async with make_client(make_app(database_url=url)) as http:
        with_default_mapping = await http.get("/v1/matters/82001")

    parties = detail.json()["matter"]["parties"]
    assert {(p["name_uno"], p["role_code"]) for p in parties} == set(LITIGATION_MATTER.parties)
    assert all(party["email"] is None for party in parties)  # the unmapped column reads as null
    assert [item["matter_number"] for item in search.json()["items"]] == ["82001"]
    assert with_default_mapping.status_code == 503  # the default names are not in this database
