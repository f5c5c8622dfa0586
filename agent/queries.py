"""Run the agent's statements (agent/statements.py) and turn their rows into JSON payloads.

Codes are trimmed here rather than in SQL (Aderant codes are char(n)), so SQL Server can still
use its indexes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import partial

from sqlalchemy import Connection, RowMapping, text

from agent import statements
from agent.payloads import (
    Address,
    Employee,
    Lookup,
    MatterDetail,
    MatterStatus,
    MatterSummary,
    Party,
)
from agent.schema import AgentSchema

CLIENT_ROLE_CODE = "CLIENT"
CLIENT_ROLE = "Client"


class AmbiguousMatterNumber(Exception):
    """The configured matter number column is not unique for this number."""


def ping(conn: Connection) -> None:
    conn.execute(text("SELECT 1"))


def search_matters(
    conn: Connection, schema: AgentSchema, query: str, *, offset: int, limit: int
) -> list[MatterSummary]:
    """Matters whose number or client code starts with ``query`` (through indexes); only when
    none does, those whose client name, title or party names contain it (a full read).

    Every page of one search comes from the same statement: a later page first asks whether
    anything starts with ``query``. At most two statements either way.
    """
    prefix = partial(statements.prefix_search_statement, schema, query)
    contains = partial(statements.contains_search_statement, schema, query)
    if offset == 0:
        rows = conn.execute(prefix(offset=0, limit=limit)).mappings().all()
        chosen = None if rows else contains
    else:
        chosen = prefix if conn.execute(prefix(offset=0, limit=1)).first() is not None else contains
    if chosen is not None:
        rows = conn.execute(chosen(offset=offset, limit=limit)).mappings().all()
    return [_summary(row, schema) for row in rows]


def find_matter(conn: Connection, schema: AgentSchema, matter_number: str) -> MatterDetail | None:
    """The matter with its client, client name record, lookups and employees in one statement."""
    rows = conn.execute(statements.matter_statement(schema, matter_number)).mappings().all()
    if len(rows) > 1:
        raise AmbiguousMatterNumber(matter_number)
    if not rows:
        return None
    return _detail(rows[0], schema)


def matter_details(
    conn: Connection, schema: AgentSchema, matter_unos: Sequence[int], *, parties_per_matter: int
) -> list[tuple[MatterDetail, list[Party]]]:
    """Many matters, by id, each with up to ``parties_per_matter`` of its linked parties: two
    statements whatever the number of matters. Unknown ids are left out."""
    matters = [
        _detail(row, schema)
        for row in conn.execute(statements.matter_details_statement(schema, matter_unos)).mappings()
    ]
    parties: dict[int, list[Party]] = {matter["matter_uno"]: [] for matter in matters}
    if schema.matter_party is not None and matters:
        statement = statements.parties_of_matters_statement(
            schema, schema.matter_party, list(parties), per_matter=parties_per_matter
        )
        for row in conn.execute(statement).mappings():
            parties[row["matter_uno"]].append(_party(row, schema, _text(row["role_code"]), _text(row["role"])))
    return [(matter, parties[matter["matter_uno"]]) for matter in matters]


def _detail(row: RowMapping, schema: AgentSchema) -> MatterDetail:
    return MatterDetail(
        **_summary(row, schema),
        long_title=_text(row["long_title"]),
        matter_type=_lookup(row, "matter_type"),
        office=_lookup(row, "office"),
        department=_lookup(row, "department"),
        responsible_employee=_employee(row, "responsible"),
        billing_employee=_employee(row, "billing"),
        client_party=(
            _party(row, schema, CLIENT_ROLE_CODE, CLIENT_ROLE)
            if row["name_uno"] is not None
            else None
        ),
    )


def find_matter_uno(conn: Connection, schema: AgentSchema, matter_number: str) -> int | None:
    unos = conn.execute(statements.matter_uno_statement(schema, matter_number)).scalars().all()
    if len(unos) > 1:
        raise AmbiguousMatterNumber(matter_number)
    return unos[0] if unos else None


def list_parties(
    conn: Connection, schema: AgentSchema, matter_uno: int, *, offset: int, limit: int
) -> list[Party]:
    """The matter's linked parties; none, without asking the database, when the firm's mapping
    has no matter-party link table."""
    if schema.matter_party is None:
        return []
    statement = statements.parties_statement(
        schema, schema.matter_party, matter_uno, offset=offset, limit=limit
    )
    return [
        _party(row, schema, _text(row["role_code"]), _text(row["role"]))
        for row in conn.execute(statement).mappings()
    ]


def matter_statuses(
    conn: Connection, schema: AgentSchema, matter_unos: Sequence[int]
) -> list[MatterStatus]:
    statement = statements.statuses_statement(schema, matter_unos)
    summaries = [_summary(row, schema) for row in conn.execute(statement).mappings()]
    return [
        MatterStatus(
            matter_uno=summary["matter_uno"],
            matter_number=summary["matter_number"],
            status=summary["status"],
            status_description=summary["status_description"],
            closed=summary["closed"],
            close_date=summary["close_date"],
        )
        for summary in summaries
    ]


def matters_opened(
    conn: Connection,
    schema: AgentSchema,
    client_codes: Sequence[str],
    since: date,
    *,
    offset: int,
    limit: int,
) -> list[MatterSummary]:
    statement = statements.opened_statement(
        schema, client_codes, since, offset=offset, limit=limit
    )
    return [_summary(row, schema) for row in conn.execute(statement).mappings()]


def _summary(row: RowMapping, schema: AgentSchema) -> MatterSummary:
    status = _text(row["status"])
    closed = (
        status in schema.closed_status_codes
        or row["close_date"] is not None
        or _text(row["inactive"]) == "Y"
    )
    return MatterSummary(
        matter_uno=row["matter_uno"],
        matter_number=_text(row["matter_number"]),
        title=_text(row["title"]),
        client_uno=row["client_uno"],
        client_code=_text(row["client_code"]),
        client_name=_text(row["client_name"]),
        status=status,
        status_description=_text(row["status_description"]),
        closed=closed,
        open_date=_iso_date(row["open_date"]),
        close_date=_iso_date(row["close_date"]),
    )


def _party(
    row: RowMapping, schema: AgentSchema, role_code: str | None, role: str | None
) -> Party:
    is_person = _is_person(row, schema)
    display_name = _text(row["display_name"])
    return Party(
        name_uno=row["name_uno"],
        kind="person" if is_person else "organisation",
        display_name=display_name,
        first_name=_text(row["first_name"]) if is_person else None,
        middle_name=_text(row["middle_name"]) if is_person else None,
        last_name=_text(row["last_name"]) if is_person else None,
        organisation_name=None if is_person else display_name,
        role_code=role_code,
        role=role,
        email=_text(row["email"]),
        phone=_text(row["phone"]),
        address=_address(row),
    )


def _is_person(row: RowMapping, schema: AgentSchema) -> bool:
    """By the name's type code; a code the mapping does not list is a person when the name
    has a first or last name."""
    name_type = _text(row["name_type"])
    if name_type in schema.person_name_types:
        return True
    if name_type in schema.organisation_name_types:
        return False
    return _text(row["first_name"]) is not None or _text(row["last_name"]) is not None


def _address(row: RowMapping) -> Address | None:
    """The postal address, or ``None`` when the name has none (its address row may hold only
    contact details)."""
    address = Address(
        line1=_text(row["line1"]),
        city=_text(row["city"]),
        state=_text(row["state"]),
        post_code=_text(row["post_code"]),
        country=_text(row["country"]),
    )
    return address if any(address.values()) else None


def _employee(row: RowMapping, prefix: str) -> Employee | None:
    empl_uno = row[f"{prefix}_empl_uno"]
    if empl_uno is None:
        return None
    return Employee(
        empl_uno=empl_uno,
        employee_code=_text(row[f"{prefix}_employee_code"]),
        name=_text(row[f"{prefix}_employee_name"]),
    )


def _lookup(row: RowMapping, prefix: str) -> Lookup | None:
    code = _text(row[f"{prefix}_code"])
    if code is None:
        return None
    return Lookup(code=code, description=_text(row[f"{prefix}_description"]))


def _text(value: object) -> str | None:
    """Right-trimmed text (Aderant codes are char(n)); blank becomes ``None``."""
    if value is None:
        return None
    trimmed = str(value).rstrip()
    return trimmed or None


def _iso_date(value: date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value.isoformat()
