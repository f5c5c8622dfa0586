"""Parameterised, read-only selects over the mapped Aderant tables.

Every statement is built with SQLAlchemy Core so it renders correctly on SQL Server and SQLite:
paged selects always ORDER BY a unique key before OFFSET/LIMIT, text matching uses ``ilike``
with an explicit escape character, and char(n) codes are trimmed here rather than in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, FromClause, Label, RowMapping, Select, literal, or_, select, text

from agent.payloads import (
    Address,
    Employee,
    Lookup,
    MatterDetail,
    MatterStatus,
    MatterSummary,
    Party,
)
from agent.schema import MATTER_NUMBER, AgentSchema, MappedTable

LIKE_ESCAPE = "/"
LIKE_SPECIAL = (LIKE_ESCAPE, "%", "_", "[")  # "[" opens a character class on SQL Server
CLIENT_ROLE_CODE = "CLIENT"
CLIENT_ROLE = "Client"


class AmbiguousMatterNumber(Exception):
    """The configured matter number column is not unique for this number."""


def ping(conn: Connection) -> None:
    conn.execute(text("SELECT 1"))


def search_matters(
    conn: Connection, schema: AgentSchema, query: str, *, offset: int, limit: int
) -> list[MatterSummary]:
    """Matters whose number or client code starts with ``query``, or whose client name, title
    or party names contain it; one statement, party names through a correlated EXISTS."""
    m, c, link, name = schema.matter, schema.client, schema.matter_party, schema.name
    escaped = escape_like(query)
    prefix, contains = f"{escaped}%", f"%{escaped}%"
    party_name_matches = (
        select(literal(1))
        .select_from(link.clause.join(name.clause, name.col("name_uno") == link.col("name_uno")))
        .where(
            link.col("matter_uno") == m.col("matter_uno"),
            name.col("name").ilike(contains, escape=LIKE_ESCAPE),
        )
        .exists()
    )
    statement = (
        _summary_select(schema)
        .where(
            or_(
                m.col(MATTER_NUMBER).ilike(prefix, escape=LIKE_ESCAPE),
                c.col("client_code").ilike(prefix, escape=LIKE_ESCAPE),
                c.col("client_name").ilike(contains, escape=LIKE_ESCAPE),
                m.col("title").ilike(contains, escape=LIKE_ESCAPE),
                party_name_matches,
            )
        )
        .order_by(m.col(MATTER_NUMBER), m.col("matter_uno"))
        .offset(offset)
        .limit(limit)
    )
    return [_summary(row, schema) for row in conn.execute(statement).mappings()]


def find_matter(conn: Connection, schema: AgentSchema, matter_number: str) -> MatterDetail | None:
    """The matter with its client, client name record, lookups and employees in one statement."""
    m, c = schema.matter, schema.client
    matter_type, office, department = schema.matter_type, schema.office, schema.department
    responsible = schema.employee.aliased("responsible_employee")
    billing = schema.employee.aliased("billing_employee")
    joined = _with_party_details(
        schema,
        _summary_from(schema)
        .outerjoin(matter_type.clause, matter_type.col("code") == m.col("matter_type_code"))
        .outerjoin(office.clause, office.col("code") == m.col("office_code"))
        .outerjoin(department.clause, department.col("code") == m.col("department_code"))
        .outerjoin(responsible.clause,
                   responsible.col("empl_uno") == m.col("responsible_employee_uno"))
        .outerjoin(billing.clause, billing.col("empl_uno") == m.col("billing_employee_uno"))
        .outerjoin(schema.name.clause, schema.name.col("name_uno") == c.col("name_uno")),
    )
    statement = (
        select(
            *_summary_columns(schema),
            m.col("long_title").label("long_title"),
            m.col("matter_type_code").label("matter_type_code"),
            matter_type.col("description").label("matter_type_description"),
            m.col("office_code").label("office_code"),
            office.col("description").label("office_description"),
            m.col("department_code").label("department_code"),
            department.col("description").label("department_description"),
            *_employee_columns(responsible, "responsible"),
            *_employee_columns(billing, "billing"),
            *_party_columns(schema),
        )
        .select_from(joined)
        .where(m.col(MATTER_NUMBER) == matter_number)
        .order_by(m.col("matter_uno"))
        .limit(2)
    )
    rows = conn.execute(statement).mappings().all()
    if len(rows) > 1:
        raise AmbiguousMatterNumber(matter_number)
    if not rows:
        return None
    row = rows[0]
    return MatterDetail(
        **_summary(row, schema),
        long_title=_text(row["long_title"]),
        matter_type=_lookup(row, "matter_type"),
        office=_lookup(row, "office"),
        department=_lookup(row, "department"),
        responsible_employee=_employee(row, "responsible"),
        billing_employee=_employee(row, "billing"),
        client_party=(
            _party(row, CLIENT_ROLE_CODE, CLIENT_ROLE) if row["name_uno"] is not None else None
        ),
    )


def find_matter_uno(conn: Connection, schema: AgentSchema, matter_number: str) -> int | None:
    m = schema.matter
    statement = (
        select(m.col("matter_uno"))
        .where(m.col(MATTER_NUMBER) == matter_number)
        .order_by(m.col("matter_uno"))
        .limit(2)
    )
    unos = conn.execute(statement).scalars().all()
    if len(unos) > 1:
        raise AmbiguousMatterNumber(matter_number)
    return unos[0] if unos else None


def list_parties(
    conn: Connection, schema: AgentSchema, matter_uno: int, *, offset: int, limit: int
) -> list[Party]:
    link, name, role = schema.matter_party, schema.name, schema.party_role
    joined = _with_party_details(
        schema, link.clause.join(name.clause, name.col("name_uno") == link.col("name_uno"))
    ).outerjoin(role.clause, role.col("code") == link.col("role_code"))
    statement = (
        select(
            *_party_columns(schema),
            link.col("role_code").label("role_code"),
            role.col("description").label("role"),
        )
        .select_from(joined)
        .where(link.col("matter_uno") == matter_uno)
        .order_by(name.col("name_sort"), name.col("name_uno"), link.col("role_code"))
        .offset(offset)
        .limit(limit)
    )
    return [
        _party(row, _text(row["role_code"]), _text(row["role"]))
        for row in conn.execute(statement).mappings()
    ]


def matter_statuses(
    conn: Connection, schema: AgentSchema, matter_unos: Sequence[int]
) -> list[MatterStatus]:
    m = schema.matter
    statement = (
        _summary_select(schema)
        .where(m.col("matter_uno").in_(matter_unos))
        .order_by(m.col("matter_uno"))
    )
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
    m, c = schema.matter, schema.client
    statement = (
        _summary_select(schema)
        .where(c.col("client_code").in_(client_codes), m.col("open_date") >= since)
        .order_by(m.col("open_date"), m.col(MATTER_NUMBER), m.col("matter_uno"))
        .offset(offset)
        .limit(limit)
    )
    return [_summary(row, schema) for row in conn.execute(statement).mappings()]


def escape_like(value: str) -> str:
    """``value`` as literal text inside a LIKE pattern escaped with ``LIKE_ESCAPE``."""
    for special in LIKE_SPECIAL:
        value = value.replace(special, LIKE_ESCAPE + special)
    return value


def _summary_from(schema: AgentSchema) -> FromClause:
    m, c, status = schema.matter, schema.client, schema.status
    return m.clause.outerjoin(c.clause, c.col("client_uno") == m.col("client_uno")).outerjoin(
        status.clause, status.col("code") == m.col("status_code")
    )


def _summary_columns(schema: AgentSchema) -> list[Label[Any]]:
    m, c, status = schema.matter, schema.client, schema.status
    return [
        m.col("matter_uno").label("matter_uno"),
        m.col(MATTER_NUMBER).label("matter_number"),
        m.col("title").label("title"),
        m.col("client_uno").label("client_uno"),
        c.col("client_code").label("client_code"),
        c.col("client_name").label("client_name"),
        m.col("status_code").label("status"),
        status.col("description").label("status_description"),
        m.col("open_date").label("open_date"),
        m.col("close_date").label("close_date"),
        m.col("inactive").label("inactive"),
    ]


def _summary_select(schema: AgentSchema) -> Select[Any]:
    return select(*_summary_columns(schema)).select_from(_summary_from(schema))


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


def _with_party_details(schema: AgentSchema, joined: FromClause) -> FromClause:
    """``joined`` (which contains the name table) plus the person and address rows of the name."""
    name, person, address = schema.name, schema.person, schema.address
    return joined.outerjoin(
        person.clause, person.col("name_uno") == name.col("name_uno")
    ).outerjoin(address.clause, address.col("address_uno") == name.col("address_uno"))


def _party_columns(schema: AgentSchema) -> list[Label[Any]]:
    name, person, address = schema.name, schema.person, schema.address
    return [
        name.col("name_uno").label("name_uno"),
        name.col("name_type").label("name_type"),
        name.col("name").label("display_name"),
        person.col("first_name").label("first_name"),
        person.col("middle_name").label("middle_name"),
        person.col("last_name").label("last_name"),
        address.col("line1").label("line1"),
        address.col("city").label("city"),
        address.col("state").label("state"),
        address.col("post_code").label("post_code"),
        address.col("country").label("country"),
        address.col("email").label("email"),
        address.col("phone").label("phone"),
    ]


def _party(row: RowMapping, role_code: str | None, role: str | None) -> Party:
    is_person = _text(row["name_type"]) == "P"
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


def _employee_columns(employee: MappedTable, prefix: str) -> list[Label[Any]]:
    return [
        employee.col("empl_uno").label(f"{prefix}_empl_uno"),
        employee.col("employee_code").label(f"{prefix}_employee_code"),
        employee.col("employee_name").label(f"{prefix}_employee_name"),
    ]


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
