"""The read-only statements the agent issues, built with SQLAlchemy Core over the mapped tables.

Core lets each database's dialect render them: SQL Server gets ``OFFSET … FETCH`` or ``TOP``
and ``[bracketed]`` names, SQLite ``LIMIT``. Paged selects always ORDER BY a unique key before
OFFSET, text matching uses ``ilike`` with an explicit escape character, and every table is
aliased (by its logical name) so one physical table may serve several logical ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import FromClause, Label, Select, func, literal, null, or_, select, union
from sqlalchemy.sql.elements import ColumnElement

from agent.schema import MATTER_NUMBER, AgentSchema, MappedTable

LIKE_ESCAPE = "/"
LIKE_SPECIAL = (LIKE_ESCAPE, "%", "_", "[")  # "[" opens a character class on SQL Server
AMBIGUITY_PROBE = 2
"""Rows read for a matter number: a second one means the number is not unique."""


def prefix_search_statement(schema: AgentSchema, query: str, *, offset: int, limit: int) -> Select[Any]:
    """Matters whose number or client code starts with ``query``: the common searches, answered
    from the indexes on those columns.

    Two selects joined by UNION, one per column, so each can seek its own index (an OR across
    two tables makes the database read every matter). Plain LIKE with a trailing wildcard,
    never on a function of the column: it is case-insensitive by the database's own rules (SQL
    Server's usual case-insensitive collation; SQLite's LIKE for ASCII, with NOCASE indexes).
    """
    m, c = schema.matter, schema.client
    prefix = f"{escape_like(query)}%"
    by_number = _summary_select(schema).where(m.col(MATTER_NUMBER).like(prefix, escape=LIKE_ESCAPE))
    by_client = _summary_select(schema, with_client=True).where(c.col("client_code").like(prefix, escape=LIKE_ESCAPE))
    found = union(by_number, by_client).subquery("prefix_match")  # paged outside: every dialect pages a plain select
    return _paged(select(*found.c), found.c.matter_number, found.c.matter_uno, offset, limit)


def contains_search_statement(schema: AgentSchema, query: str, *, offset: int, limit: int) -> Select[Any]:
    """Matters whose client name, title or party names contain ``query``, party names through a
    correlated EXISTS: the search when nothing starts with it, which reads every matter."""
    m, c = schema.matter, schema.client
    contains = f"%{escape_like(query)}%"
    matches: list[ColumnElement[bool]] = [
        c.col("client_name").ilike(contains, escape=LIKE_ESCAPE),
        m.col("title").ilike(contains, escape=LIKE_ESCAPE),
    ]
    link, name = schema.matter_party, schema.name
    if link is not None:
        matches.append(
            select(literal(1))
            .select_from(_linked_names(link, name))
            .where(
                link.col("matter_uno") == m.col("matter_uno"),
                name.col("name").ilike(contains, escape=LIKE_ESCAPE),
                *link.filter_conditions(),
            )
            .exists()
        )
    return _paged(
        _summary_select(schema).where(or_(*matches)), m.col(MATTER_NUMBER), m.col("matter_uno"), offset, limit
    )


def _paged(found: Select[Any], number: ColumnElement[Any], uno: ColumnElement[Any], offset: int, limit: int) -> Select[Any]:
    """By matter number, then id (unique), so every page of a search is stable."""
    return found.order_by(number, uno).offset(offset).limit(limit)


def matter_statement(schema: AgentSchema, matter_number: str) -> Select[Any]:
    """The matter with its client, client name record, lookups and employees."""
    m = schema.matter
    return (
        _detail_select(schema)
        .where(m.col(MATTER_NUMBER) == matter_number, *m.filter_conditions())
        .order_by(m.col("matter_uno"))
        .limit(AMBIGUITY_PROBE)
    )


def matter_details_statement(schema: AgentSchema, matter_unos: Sequence[int]) -> Select[Any]:
    """`matter_statement` for many matters at once, by id."""
    m = schema.matter
    return (
        _detail_select(schema)
        .where(m.col("matter_uno").in_(matter_unos), *m.filter_conditions())
        .order_by(m.col("matter_uno"))
    )


def _detail_select(schema: AgentSchema) -> Select[Any]:
    m, c = schema.matter, schema.client
    matter_type, office, department = schema.matter_type, schema.office, schema.department
    responsible = schema.employee.aliased("responsible_employee")
    billing = schema.employee.aliased("billing_employee")
    joined = _with_party_details(
        schema,
        _summary_from(schema)
        .outerjoin(matter_type.clause,
                   matter_type.on(matter_type.col("code") == m.col("matter_type_code")))
        .outerjoin(office.clause, office.on(office.col("code") == m.col("office_code")))
        .outerjoin(department.clause,
                   department.on(department.col("code") == m.col("department_code")))
        .outerjoin(responsible.clause,
                   responsible.on(responsible.col("empl_uno") == m.col("responsible_employee_uno")))
        .outerjoin(billing.clause,
                   billing.on(billing.col("empl_uno") == m.col("billing_employee_uno")))
        .outerjoin(schema.name.clause,
                   schema.name.on(schema.name.col("name_uno") == c.col("name_uno"))),
    )
    return (
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
    )


def matter_uno_statement(schema: AgentSchema, matter_number: str) -> Select[Any]:
    m = schema.matter
    return (
        select(m.col("matter_uno"))
        .select_from(m.clause)
        .where(m.col(MATTER_NUMBER) == matter_number, *m.filter_conditions())
        .order_by(m.col("matter_uno"))
        .limit(AMBIGUITY_PROBE)
    )


def parties_statement(
    schema: AgentSchema, link: MappedTable, matter_uno: int, *, offset: int, limit: int
) -> Select[Any]:
    """The linked parties of a matter (``link`` is the schema's matter_party table), ordered by
    sort name so pages are stable."""
    name, role = schema.name, schema.party_role
    joined = _with_party_details(schema, _linked_names(link, name))
    role_description: ColumnElement[Any] = null()
    if role is not None:
        joined = joined.outerjoin(role.clause, role.on(role.col("code") == link.col("role_code")))
        role_description = role.col("description")
    return (
        select(
            *_party_columns(schema),
            link.col("role_code").label("role_code"),
            role_description.label("role"),
        )
        .select_from(joined)
        .where(link.col("matter_uno") == matter_uno, *link.filter_conditions())
        .order_by(name.col("name_sort"), name.col("name_uno"), link.col("role_code"))
        .offset(offset)
        .limit(limit)
    )


def parties_of_matters_statement(
    schema: AgentSchema, link: MappedTable, matter_unos: Sequence[int], *, per_matter: int
) -> Select[Any]:
    """The first ``per_matter`` linked parties of each of the matters, in the order of
    `parties_statement` (a window per matter), by matter."""
    name, role = schema.name, schema.party_role
    joined = _with_party_details(schema, _linked_names(link, name))
    role_description: ColumnElement[Any] = null()
    if role is not None:
        joined = joined.outerjoin(role.clause, role.on(role.col("code") == link.col("role_code")))
        role_description = role.col("description")
    place = func.row_number().over(
        partition_by=link.col("matter_uno"),
        order_by=(name.col("name_sort"), name.col("name_uno"), link.col("role_code")),
    )
    ranked = (
        select(
            *_party_columns(schema),
            link.col("role_code").label("role_code"),
            role_description.label("role"),
            link.col("matter_uno").label("matter_uno"),
            place.label("place"),
        )
        .select_from(joined)
        .where(link.col("matter_uno").in_(matter_unos), *link.filter_conditions())
        .subquery("ranked")
    )
    return (
        select(ranked)
        .where(ranked.c.place <= per_matter)
        .order_by(ranked.c.matter_uno, ranked.c.place)
    )


def statuses_statement(schema: AgentSchema, matter_unos: Sequence[int]) -> Select[Any]:
    m = schema.matter
    return (
        _summary_select(schema)
        .where(m.col("matter_uno").in_(matter_unos))
        .order_by(m.col("matter_uno"))
    )


def opened_statement(
    schema: AgentSchema, client_codes: Sequence[str], since: date, *, offset: int, limit: int
) -> Select[Any]:
    m, c = schema.matter, schema.client
    return (
        _summary_select(schema)
        .where(c.col("client_code").in_(client_codes), m.col("open_date") >= since)
        .order_by(m.col("open_date"), m.col(MATTER_NUMBER), m.col("matter_uno"))
        .offset(offset)
        .limit(limit)
    )


def escape_like(value: str) -> str:
    """``value`` as literal text inside a LIKE pattern escaped with ``LIKE_ESCAPE``."""
    for special in LIKE_SPECIAL:
        value = value.replace(special, LIKE_ESCAPE + special)
    return value


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


def _summary_from(schema: AgentSchema, *, with_client: bool = False) -> FromClause:
    """Matters, their client (only those with one when ``with_client``, which lets the database
    start from the client table) and their status."""
    m, c, status = schema.matter, schema.client, schema.status
    join = m.clause.join if with_client else m.clause.outerjoin
    return join(
        c.clause, c.on(c.col("client_uno") == m.col("client_uno"))
    ).outerjoin(status.clause, status.on(status.col("code") == m.col("status_code")))


def _summary_select(schema: AgentSchema, *, with_client: bool = False) -> Select[Any]:
    return (
        select(*_summary_columns(schema))
        .select_from(_summary_from(schema, with_client=with_client))
        .where(*schema.matter.filter_conditions())
    )


def _linked_names(link: MappedTable, name: MappedTable) -> FromClause:
    return link.clause.join(name.clause, name.on(name.col("name_uno") == link.col("name_uno")))


def _with_party_details(schema: AgentSchema, joined: FromClause) -> FromClause:
    """``joined`` (which contains the name table) plus the address and contact rows of the
    name: the contact table is joined on the name's address or on the name itself."""
    name, address, contact = schema.name, schema.address, schema.contact
    joined = joined.outerjoin(
        address.clause, address.on(address.col("address_uno") == name.col("address_uno"))
    )
    if contact is None:
        return joined
    key = "address_uno" if contact.mapped("address_uno") else "name_uno"
    return joined.outerjoin(contact.clause, contact.on(contact.col(key) == name.col(key)))


def _party_columns(schema: AgentSchema) -> list[Label[Any]]:
    name, address, contact = schema.name, schema.address, schema.contact
    return [
        name.col("name_uno").label("name_uno"),
        name.col("name_type").label("name_type"),
        name.col("name").label("display_name"),
        name.col("first_name").label("first_name"),
        name.col("middle_name").label("middle_name"),
        name.col("last_name").label("last_name"),
        address.col("line1").label("line1"),
        address.col("city").label("city"),
        address.col("state").label("state"),
        address.col("post_code").label("post_code"),
        address.col("country").label("country"),
        (contact.col("email") if contact else null()).label("email"),
        (contact.col("phone") if contact else null()).label("phone"),
    ]


def _employee_columns(employee: MappedTable, prefix: str) -> list[Label[Any]]:
    return [
        employee.col("empl_uno").label(f"{prefix}_empl_uno"),
        employee.col("employee_code").label(f"{prefix}_employee_code"),
        employee.col("employee_name").label(f"{prefix}_employee_name"),
    ]
