"""The table/column mapping file, validated into SQLAlchemy Core constructs.

Queries use logical names (``schema.matter.col("title")``); the mapping file decides which
physical table and column each one reads, so a firm adapts the agent without code changes.
Every logical table is aliased by its logical name, so two logical tables may name the same
physical table (SQL Server then sees ``HBM_ADDRESS AS address ... HBM_ADDRESS AS contact``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, FromClause, TableClause, and_, null, table
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import ColumnClause, column
from sqlalchemy.types import TypeEngine

DEFAULT_MAPPING_PATH = Path(__file__).with_name("mapping.json")

MATTER_NUMBER = "matter_number"
"""Logical matter column filled from the top-level ``matter_number_column`` entry."""

MAX_IDENTIFIER_LENGTH = 128
MAX_FILTER_VALUE_LENGTH = 200
DEFAULT_NAME_TYPE_CODES = {"person": ["P"], "organisation": ["O"]}
"""``HBM_NAME.NAME_TYPE``: 'P' person, 'O' organisation (reference/aderant.md, section 6)."""


class MappingError(ValueError):
    """The mapping file is missing, malformed or incomplete."""


@dataclass(frozen=True)
class TableSpec:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    join_keys: tuple[str, ...] = ()
    """Alternative columns the table is joined on; exactly one of them must be mapped."""


TABLE_SPECS: dict[str, TableSpec] = {
    "matter": TableSpec(
        required=(
            "matter_uno", "client_uno", "title", "long_title", "open_date", "close_date",
            "status_code", "billing_employee_uno", "responsible_employee_uno", "office_code",
            "department_code", "matter_type_code",
        ),
        optional=("inactive",),
    ),
    "client": TableSpec(required=("client_uno", "client_code", "client_name", "name_uno")),
    "name": TableSpec(
        required=(
            "name_uno", "name", "name_sort", "name_type", "first_name", "last_name",
            "address_uno",
        ),
        optional=("middle_name",),
    ),
    "address": TableSpec(
        required=("address_uno", "line1", "city", "state", "post_code", "country")
    ),
    "contact": TableSpec(
        required=(), optional=("email", "phone"), join_keys=("address_uno", "name_uno"),
    ),
    "employee": TableSpec(required=("empl_uno", "employee_code", "employee_name")),
    "status": TableSpec(required=("code", "description")),
    "office": TableSpec(required=("code", "description")),
    "department": TableSpec(required=("code", "description")),
    "matter_type": TableSpec(required=("code", "description")),
    "matter_party": TableSpec(required=("matter_uno", "name_uno", "role_code")),
    "party_role": TableSpec(required=("code", "description")),
}

COLUMN_TYPES: dict[tuple[str, str], type[TypeEngine[Any]]] = {
    ("matter", "open_date"): DateTime,
    ("matter", "close_date"): DateTime,
}
"""Columns whose values need conversion on read (SQLite stores datetimes as text)."""

FilterValue = str | int


@dataclass(frozen=True)
class MappedTable:
    logical_name: str
    name: str
    columns: dict[str, str | None]
    """Logical column name -> physical column name, ``None`` for an unmapped optional column."""
    filters: tuple[tuple[str, FilterValue], ...]
    """(physical column, value) pairs a row must match to be read at all."""
    source: TableClause
    clause: FromClause
    """``source`` aliased, by default under the logical name."""

    def col(self, logical: str) -> ColumnElement[Any]:
        """The physical column, or SQL ``NULL`` for an unmapped optional column."""
        physical = self.columns[logical]
        return null() if physical is None else self.clause.c[physical]

    def mapped(self, logical: str) -> bool:
        return self.columns.get(logical) is not None

    def filter_conditions(self) -> list[ColumnElement[bool]]:
        return [self.clause.c[name] == value for name, value in self.filters]

    def on(self, condition: ColumnElement[bool]) -> ColumnElement[bool]:
        """A join condition: ``condition`` and the table's filters."""
        return and_(condition, *self.filter_conditions())

    def aliased(self, alias: str) -> MappedTable:
        return dataclasses.replace(self, clause=self.source.alias(alias))


@dataclass(frozen=True)
class AgentSchema:
    matter: MappedTable
    client: MappedTable
    name: MappedTable
    address: MappedTable
    contact: MappedTable | None
    employee: MappedTable
    status: MappedTable
    office: MappedTable
    department: MappedTable
    matter_type: MappedTable
    matter_party: MappedTable | None
    party_role: MappedTable | None
    closed_status_codes: frozenset[str]
    person_name_types: frozenset[str]
    organisation_name_types: frozenset[str]

    def tables(self) -> list[MappedTable]:
        """The mapped tables; optional ones left out of the mapping are not listed."""
        return [mapped for name in TABLE_SPECS if (mapped := getattr(self, name)) is not None]


def load_schema(path: str | Path | None = None) -> AgentSchema:
    mapping_path = Path(path) if path is not None else DEFAULT_MAPPING_PATH
    try:
        data = json.loads(mapping_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise MappingError(f"cannot read mapping file {mapping_path}: {exc}") from exc
    return parse_schema(data)


def parse_schema(data: object) -> AgentSchema:
    root = _object(
        data, "mapping",
        {"matter_number_column", "closed_status_codes", "name_type_codes", "tables"},
    )
    matter_number_column = _identifier(root.get("matter_number_column"), "matter_number_column")
    closed = _codes(root.get("closed_status_codes"), "closed_status_codes", allow_empty=True)
    person, organisation = _name_type_codes(root.get("name_type_codes", DEFAULT_NAME_TYPE_CODES))
    tables = _object(root.get("tables"), "tables", set(TABLE_SPECS))
    extra_columns = {"matter": {MATTER_NUMBER: matter_number_column}}

    def read(logical: str) -> MappedTable:
        return _mapped_table(logical, tables.get(logical), TABLE_SPECS[logical], extra_columns.get(logical, {}))

    def read_if_given(logical: str) -> MappedTable | None:
        """The tables AgentSchema types as optional may be ``null`` or left out."""
        return None if tables.get(logical) is None else read(logical)

    matter_party, party_role = read_if_given("matter_party"), read_if_given("party_role")
    if party_role is not None and matter_party is None:
        raise MappingError("tables.party_role needs tables.matter_party, whose role codes it names")
    return AgentSchema(
        matter=read("matter"),
        client=read("client"),
        name=read("name"),
        address=read("address"),
        contact=read_if_given("contact"),
        employee=read("employee"),
        status=read("status"),
        office=read("office"),
        department=read("department"),
        matter_type=read("matter_type"),
        matter_party=matter_party,
        party_role=party_role,
        closed_status_codes=closed,
        person_name_types=person,
        organisation_name_types=organisation,
    )


def _name_type_codes(value: object) -> tuple[frozenset[str], frozenset[str]]:
    where = "name_type_codes"
    entry = _object(value, where, {"person", "organisation"})
    person = _codes(entry.get("person"), f"{where}.person", allow_empty=False)
    organisation = _codes(entry.get("organisation"), f"{where}.organisation", allow_empty=False)
    both = sorted(person & organisation)
    if both:
        raise MappingError(f"{where}: {', '.join(both)} cannot mean both person and organisation")
    return person, organisation


def _codes(value: object, where: str, *, allow_empty: bool) -> frozenset[str]:
    if (
        not isinstance(value, list)
        or not all(isinstance(code, str) and code.strip() for code in value)
        or (not value and not allow_empty)
    ):
        raise MappingError(f"{where} must be a list of codes")
    return frozenset(code.strip() for code in value)


def _mapped_table(
    logical: str, data: object, spec: TableSpec, extra_columns: dict[str, str]
) -> MappedTable:
    where = f"tables.{logical}"
    entry = _object(data, where, {"name", "columns", "filters"})
    name = _identifier(entry.get("name"), f"{where}.name")
    allowed = {*spec.required, *spec.optional, *spec.join_keys}
    columns = _object(entry.get("columns"), f"{where}.columns", allowed)
    physical: dict[str, str | None] = {
        column_name: _identifier(columns.get(column_name), f"{where}.columns.{column_name}")
        for column_name in spec.required
    }
    physical.update(extra_columns)
    for column_name in (*spec.optional, *spec.join_keys):
        value = columns.get(column_name)
        physical[column_name] = (
            None if value is None else _identifier(value, f"{where}.columns.{column_name}")
        )
    if spec.join_keys and sum(physical[key] is not None for key in spec.join_keys) != 1:
        raise MappingError(
            f"{where}.columns must map exactly one of {', '.join(spec.join_keys)} "
            "(the column the table is joined on)"
        )
    filters = _filters(entry.get("filters", {}), f"{where}.filters")
    clause_columns: dict[str, ColumnClause[Any]] = {
        column_name: column(column_name, COLUMN_TYPES.get((logical, logical_name)))
        for logical_name, column_name in physical.items()
        if column_name is not None
    }  # keyed by physical name: two logical names may share a column
    for column_name, _ in filters:
        clause_columns.setdefault(column_name, column(column_name))
    source = table(name, *clause_columns.values())
    return MappedTable(logical, name, physical, filters, source, source.alias(logical))


def _filters(value: object, where: str) -> tuple[tuple[str, FilterValue], ...]:
    entries = _object(value, where, None)
    filters = []
    for column_name, wanted in entries.items():
        place = f"{where}.{column_name}"
        _identifier(column_name, place)
        valid_text = isinstance(wanted, str) and len(wanted) <= MAX_FILTER_VALUE_LENGTH
        valid_number = isinstance(wanted, int) and not isinstance(wanted, bool)
        if not (valid_text or valid_number):
            raise MappingError(f"{place} must be a text or whole-number value")
        filters.append((column_name.strip(), wanted))
    return tuple(filters)


def _object(value: object, where: str, allowed: set[str] | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MappingError(f"{where} must be an object")
    unknown = sorted(set(value) - allowed) if allowed is not None else []
    if unknown:
        raise MappingError(f"{where} has unknown entries: {', '.join(unknown)}")
    return value


def _identifier(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_IDENTIFIER_LENGTH:
        raise MappingError(f"{where} must be a table or column name")
    return value.strip()
