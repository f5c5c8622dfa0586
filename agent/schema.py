"""The table/column mapping file, validated into SQLAlchemy Core constructs.

Queries use logical names (``schema.matter.col("title")``); the mapping file decides which
physical table and column each one reads, so a firm adapts the agent without code changes.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, FromClause, null, table
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import ColumnClause, column
from sqlalchemy.types import TypeEngine

DEFAULT_MAPPING_PATH = Path(__file__).with_name("mapping.json")

MATTER_NUMBER = "matter_number"
"""Logical matter column filled from the top-level ``matter_number_column`` entry."""

MAX_IDENTIFIER_LENGTH = 128


class MappingError(ValueError):
    """The mapping file is missing, malformed or incomplete."""


@dataclass(frozen=True)
class TableSpec:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


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
    "name": TableSpec(required=("name_uno", "name", "name_sort", "name_type", "address_uno")),
    "person": TableSpec(
        required=("name_uno", "first_name", "last_name"), optional=("middle_name",)
    ),
    "address": TableSpec(
        required=("address_uno", "line1", "city", "state", "post_code", "country"),
        optional=("email", "phone"),
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


@dataclass(frozen=True)
class MappedTable:
    logical_name: str
    name: str
    columns: dict[str, str | None]
    """Logical column name -> physical column name, ``None`` for an unmapped optional column."""
    clause: FromClause

    def col(self, logical: str) -> ColumnElement[Any]:
        """The physical column, or SQL ``NULL`` for an unmapped optional column."""
        physical = self.columns[logical]
        return null() if physical is None else self.clause.c[physical]

    def aliased(self, alias: str) -> MappedTable:
        return dataclasses.replace(self, clause=self.clause.alias(alias))


@dataclass(frozen=True)
class AgentSchema:
    matter: MappedTable
    client: MappedTable
    name: MappedTable
    person: MappedTable
    address: MappedTable
    employee: MappedTable
    status: MappedTable
    office: MappedTable
    department: MappedTable
    matter_type: MappedTable
    matter_party: MappedTable
    party_role: MappedTable
    closed_status_codes: frozenset[str]

    def tables(self) -> list[MappedTable]:
        return [getattr(self, name) for name in TABLE_SPECS]


def load_schema(path: str | Path | None = None) -> AgentSchema:
    mapping_path = Path(path) if path is not None else DEFAULT_MAPPING_PATH
    try:
        data = json.loads(mapping_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise MappingError(f"cannot read mapping file {mapping_path}: {exc}") from exc
    return parse_schema(data)


def parse_schema(data: object) -> AgentSchema:
    root = _object(data, "mapping", {"matter_number_column", "closed_status_codes", "tables"})
    matter_number_column = _identifier(root.get("matter_number_column"), "matter_number_column")
    closed = root.get("closed_status_codes")
    if not isinstance(closed, list) or not all(isinstance(code, str) for code in closed):
        raise MappingError("closed_status_codes must be a list of status codes")
    tables = _object(root.get("tables"), "tables", set(TABLE_SPECS))
    extra_columns = {"matter": {MATTER_NUMBER: matter_number_column}}
    mapped = {
        logical: _mapped_table(logical, tables.get(logical), spec, extra_columns.get(logical, {}))
        for logical, spec in TABLE_SPECS.items()
    }
    return AgentSchema(**mapped, closed_status_codes=frozenset(code.strip() for code in closed))


def _mapped_table(
    logical: str, data: object, spec: TableSpec, extra_columns: dict[str, str]
) -> MappedTable:
    where = f"tables.{logical}"
    entry = _object(data, where, {"name", "columns"})
    name = _identifier(entry.get("name"), f"{where}.name")
    columns = _object(entry.get("columns"), f"{where}.columns", {*spec.required, *spec.optional})
    physical: dict[str, str | None] = {
        column_name: _identifier(columns.get(column_name), f"{where}.columns.{column_name}")
        for column_name in spec.required
    }
    physical.update(extra_columns)
    for column_name in spec.optional:
        value = columns.get(column_name)
        physical[column_name] = (
            None if value is None else _identifier(value, f"{where}.columns.{column_name}")
        )
    clause_columns: dict[str, ColumnClause[Any]] = {
        column_name: column(column_name, COLUMN_TYPES.get((logical, logical_name)))
        for logical_name, column_name in physical.items()
        if column_name is not None
    }  # keyed by physical name: two logical names may share a column
    return MappedTable(logical, name, physical, table(name, *clause_columns.values()))


def _object(value: object, where: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MappingError(f"{where} must be an object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise MappingError(f"{where} has unknown entries: {', '.join(unknown)}")
    return value


def _identifier(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_IDENTIFIER_LENGTH:
        raise MappingError(f"{where} must be a table or column name")
    return value.strip()
