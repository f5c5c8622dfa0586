from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from agent.schema import MappingError, load_schema, parse_schema
from sandbox.aderant_db import COASTAL_FREIGHT, DANIEL_OBRIEN, LITIGATION_MATTER, MARY_CITIZEN
from tests.agent.firms import default_mapping, write_mapping
from tests.agent.helpers import ClientFactory


def test_bundled_mapping_names_the_aderant_tables() -> None:
    """Person names are HBM_NAME columns, as Aderant's own deployment script writes them
    (ashokvundavalli/AderantDevops, Src/Package/DeployDatabase.ps1: INSERT INTO HBM_NAME
    (ADDRESS_UNO, MIDDLE_NAME, FIRST_NAME, LAST_NAME, NAME_SORT, NAME_UNO, NAME_TYPE, NAME, …))."""
    schema = load_schema()

    assert schema.matter.name == "HBM_MATTER"
    assert schema.matter.columns["matter_number"] == "MATTER_CODE"
    assert (schema.name.name, schema.name.columns) == ("HBM_NAME", {
        "name_uno": "NAME_UNO", "name": "NAME", "name_sort": "NAME_SORT",
        "name_type": "NAME_TYPE", "first_name": "FIRST_NAME", "middle_name": "MIDDLE_NAME",
        "last_name": "LAST_NAME", "address_uno": "ADDRESS_UNO",
    })
    assert schema.office.columns["description"] == "OFFC_DESC"
    assert schema.contact is not None and schema.contact.name == schema.address.name
    assert schema.matter_party is not None and schema.matter_party.columns == {
        "matter_uno": "MATTER_UNO", "name_uno": "NAME_UNO", "role_code": "PARTY_ROLE_CODE",
    }
    assert schema.closed_status_codes == {"CLOSE", "FINAL"}
    assert (schema.person_name_types, schema.organisation_name_types) == ({"P"}, {"O"})


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


CONTACT_BOTH_KEYS = with_value(MAPPING, "NAME_UNO", "tables", "contact", "columns", "name_uno")
CONTACT_NO_KEY = without(MAPPING, "tables", "contact", "columns", "address_uno")


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ([], "mapping must be an object"),
        (without(MAPPING, "tables", "client"), "tables.client must be an object"),
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
        (CONTACT_BOTH_KEYS, "tables.contact.columns must map exactly one of address_uno, name_uno"),
        (CONTACT_NO_KEY, "tables.contact.columns must map exactly one of address_uno, name_uno"),
        (without(MAPPING, "tables", "matter_party"),
         "tables.party_role needs tables.matter_party"),
        (with_value(MAPPING, ["P"], "tables", "matter_party", "filters"),
         "tables.matter_party.filters must be an object"),
        (with_value(MAPPING, {"PARTY_TYPE": ["P", "O"]}, "tables", "matter_party", "filters"),
         "tables.matter_party.filters.PARTY_TYPE must be a text or whole-number value"),
        (with_value(MAPPING, {"INACTIVE": True}, "tables", "matter_party", "filters"),
         "tables.matter_party.filters.INACTIVE must be a text or whole-number value"),
        (with_value(MAPPING, {" ": "N"}, "tables", "matter_party", "filters"),
         "tables.matter_party.filters.  must be a table or column name"),
        (with_value(MAPPING, [], "name_type_codes", "person"),
         "name_type_codes.person must be a list of codes"),
        (with_value(MAPPING, "P", "name_type_codes", "organisation"),
         "name_type_codes.organisation must be a list of codes"),
        (with_value(MAPPING, ["P", "X"], "name_type_codes", "organisation"),
         "name_type_codes: P cannot mean both person and organisation"),
        (with_value(MAPPING, ["Q"], "name_type_codes", "company"),
         "name_type_codes has unknown entries: company"),
    ],
)
def test_invalid_mapping_is_rejected_with_the_place_named(mapping: object, message: str) -> None:
    with pytest.raises(MappingError, match=re.escape(message)):
        parse_schema(mapping)


def test_optional_columns_and_tables_may_be_null_or_left_out() -> None:
    mapping = with_value(MAPPING, None, "tables", "contact", "columns", "email")
    mapping = without(mapping, "tables", "contact", "columns", "phone")
    mapping = without(mapping, "tables", "party_role")
    mapping = with_value(mapping, None, "tables", "name", "columns", "middle_name")
    mapping = without(mapping, "name_type_codes")

    schema = parse_schema(mapping)

    assert schema.contact is not None
    assert schema.contact.columns["email"] is None and schema.contact.columns["phone"] is None
    assert str(schema.contact.col("email")) == "NULL"
    assert schema.party_role is None
    assert (schema.person_name_types, schema.organisation_name_types) == ({"P"}, {"O"})
    assert parse_schema(without(without(MAPPING, "tables", "party_role"), "tables",
                                "matter_party")).matter_party is None
    assert parse_schema(with_value(MAPPING, None, "tables", "contact")).contact is None


def test_unreadable_mapping_file_is_a_mapping_error(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")

    with pytest.raises(MappingError, match="cannot read mapping file"):
        load_schema(tmp_path / "broken.json")


async def detail_with(
    mapping: dict[str, Any], tmp_path: Path, make_app: Callable[..., Starlette],
    make_client: ClientFactory, number: str = "82001",
) -> dict[str, Any]:
    mapping_path = write_mapping(tmp_path / "firm.json", mapping)
    async with make_client(make_app(mapping_path=mapping_path)) as http:
        response = await http.get(f"/v1/matters/{number}")
    assert response.status_code == 200, response.text
    return response.json()["matter"]


async def test_link_filters_keep_only_matching_links(
    tmp_path: Path, make_app: Callable[..., Starlette], make_client: ClientFactory
) -> None:
    mapping = with_value(MAPPING, {"PARTY_ROLE_CODE": "WIT"}, "tables", "matter_party", "filters")
    mapping_path = write_mapping(tmp_path / "witnesses.json", mapping)

    async with make_client(make_app(mapping_path=mapping_path)) as http:
        detail = (await http.get("/v1/matters/82001")).json()["matter"]
        interested = (await http.get("/v1/matters", params={"q": "Pacific Insurance"})).json()
        witness = (await http.get("/v1/matters", params={"q": "Mary Citizen"})).json()

    assert [(p["name_uno"], p["role_code"]) for p in detail["parties"]] == [
        (uno, role) for uno, role in LITIGATION_MATTER.parties if role == "WIT"
    ]
    assert interested["items"] == []  # 82001's interested party is no longer a party
    assert [item["matter_number"] for item in witness["items"]] == ["82001", "82002"]


async def test_name_type_codes_decide_person_or_organisation(
    tmp_path: Path, make_app: Callable[..., Starlette], make_client: ClientFactory
) -> None:
    swapped = with_value(MAPPING, {"person": ["O"], "organisation": ["P"]}, "name_type_codes")
    unknown = with_value(MAPPING, {"person": ["X"], "organisation": ["Y"]}, "name_type_codes")

    parties_swapped = {p["name_uno"]: p for p in (
        await detail_with(swapped, tmp_path, make_app, make_client))["parties"]}
    parties_unknown = {p["name_uno"]: p for p in (
        await detail_with(unknown, tmp_path, make_app, make_client))["parties"]}

    mary = parties_swapped[MARY_CITIZEN.name_uno]
    assert (mary["kind"], mary["organisation_name"], mary["first_name"]) == (
        "organisation", "Mary Citizen", None,
    )
    # a code in neither list: a person when the name has a first or last name
    assert parties_unknown[DANIEL_OBRIEN.name_uno]["kind"] == "person"
    assert parties_unknown[COASTAL_FREIGHT.name_uno]["kind"] == "organisation"


async def test_matter_filters_hide_other_matters_from_every_endpoint(
    tmp_path: Path, make_app: Callable[..., Starlette], make_client: ClientFactory
) -> None:
    mapping = with_value(MAPPING, {"STATUS_CODE": "OPEN"}, "tables", "matter", "filters")
    mapping_path = write_mapping(tmp_path / "open-only.json", mapping)

    async with make_client(make_app(mapping_path=mapping_path)) as http:
        closed = await http.get("/v1/matters/82002")
        closed_parties = await http.get("/v1/matters/82002/parties")
        search = (await http.get("/v1/matters", params={"q": "8200"})).json()
        statuses = (await http.get("/v1/matter-statuses", params={"ids": "82001,82002"})).json()
        opened = (await http.get(
            "/v1/matters-opened", params={"clients": "CL080001", "since": "2025-01-01"}
        )).json()

    assert closed.status_code == closed_parties.status_code == 404
    assert "82002" not in [item["matter_number"] for item in search["items"]]
    assert "82001" in [item["matter_number"] for item in search["items"]]
    assert [item["matter_uno"] for item in statuses["items"]] == [82001]
    assert "82002" not in [item["matter_number"] for item in opened["items"]]
