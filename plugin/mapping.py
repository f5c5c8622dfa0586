"""How an Aderant matter becomes a Clio Operate work item.

The mapping is data (so the administrators' mapping screen can edit, version and export it);
``apply_mapping`` is the one place that reads it.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from clients.aderant import MatterDetail, Party


@dataclass(frozen=True)
class WorkTypeRule:
    """Matters whose ``source`` field equals ``equals`` become ``work_type``."""

    source: str
    equals: str
    work_type: str


@dataclass(frozen=True)
class AttributeMap:
    source: str
    target: str
    transforms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mapping:
    work_type_rules: tuple[WorkTypeRule, ...]
    default_work_type: str
    title_template: str
    reference_template: str
    attributes: tuple[AttributeMap, ...]
    key_dates: tuple[tuple[str, str], ...]  # (key-date type, source field)
    party_roles: tuple[tuple[str, str], ...]  # (Aderant role code, participant role)
    default_party_role: str
    contact_reference_template: str = "ADERANT:{name_uno}"
    matter_id_attribute: str = "aderant-matter-id"


DEFAULT_MAPPING = Mapping(
    work_type_rules=(
        WorkTypeRule("department_code", "LIT", "matter-litigation"),
        WorkTypeRule("department_code", "COM", "matter-commercial"),
        WorkTypeRule("department_code", "PRO", "matter-property"),
        WorkTypeRule("department_code", "PC", "matter-private-client-general"),
    ),
    default_work_type="matter-commercial",
    title_template="{title}",
    reference_template="{client_code}/{matter_number}",
    attributes=(
        AttributeMap("matter_uno", "aderant-matter-id"),
        AttributeMap("matter_number", "aderant-matter-code"),
        AttributeMap("client_uno", "aderant-client-id"),
        AttributeMap("client_code", "aderant-client-code", ("trim", "upper")),
        AttributeMap("office", "aderant-office"),
        AttributeMap("department", "aderant-department"),
        AttributeMap("responsible_employee_code", "aderant-responsible-employee"),
        AttributeMap("billing_employee_code", "aderant-billing-employee"),
        AttributeMap("status", "aderant-status"),
    ),
    key_dates=(("kd-instruction-date", "open_date"),),
    party_roles=(
        ("CLIENT", "client"),
        ("ADV", "other-side"),
        ("SOL", "other-side-solicitor"),
        ("WIT", "witness"),
        ("INT", "interested-party"),
    ),
    default_party_role="interested-party",
)

Value = str | date | None

TRANSFORMS: dict[str, Callable[[str], str]] = {
    "trim": str.strip,
    "upper": str.upper,
    "lower": str.lower,
}


@dataclass(frozen=True)
class MappedParty:
    key: str
    name_uno: int
    name: str
    kind: str  # person | organisation
    aderant_role: str
    role: str
    reference: str
    party: Party = field(repr=False, compare=False)


@dataclass(frozen=True)
class MappedMatter:
    matter_uno: str
    matter_number: str
    work_type: str
    title: str
    reference: str
    key_dates: dict[str, str]
    attributes: dict[str, str]
    parties: tuple[MappedParty, ...]
    source: dict[str, Value]


def matter_fields(matter: MatterDetail) -> dict[str, Value]:
    """The Aderant fields a mapping may read, by name."""

    def code(item: object | None, attr: str) -> str | None:
        return getattr(item, attr) if item is not None else None

    return {
        "matter_uno": str(matter.matter_uno),
        "matter_number": matter.matter_number,
        "title": matter.title,
        "long_title": matter.long_title,
        "client_uno": str(matter.client_uno),
        "client_code": matter.client_code,
        "client_name": matter.client_name,
        "status": matter.status,
        "status_description": matter.status_description,
        "open_date": matter.open_date,
        "close_date": matter.close_date,
        "matter_type_code": code(matter.matter_type, "code"),
        "matter_type": code(matter.matter_type, "description"),
        "office_code": code(matter.office, "code"),
        "office": code(matter.office, "description"),
        "department_code": code(matter.department, "code"),
        "department": code(matter.department, "description"),
        "responsible_employee_code": code(matter.responsible_employee, "employee_code"),
        "responsible_employee": code(matter.responsible_employee, "name"),
        "billing_employee_code": code(matter.billing_employee, "employee_code"),
        "billing_employee": code(matter.billing_employee, "name"),
    }


def render_template(template: str, fields: dict[str, Value]) -> str:
    """Fill ``{field}`` placeholders; only plain field names are allowed (no attribute access)."""
    out = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        out.append(literal)
        if name is None:
            continue
        if name not in fields or spec or conversion:
            raise ValueError(f"unknown field {{{name}}} in template {template!r}")
        out.append(_text(fields[name]))
    return "".join(out)


def _text(value: Value) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else value


def apply_mapping(matter: MatterDetail, mapping: Mapping = DEFAULT_MAPPING) -> MappedMatter:
    fields = matter_fields(matter)
    work_type = next(
        (rule.work_type for rule in mapping.work_type_rules if _text(fields.get(rule.source)) == rule.equals),
        mapping.default_work_type,
    )
    attributes = {}
    for item in mapping.attributes:
        value = _text(fields.get(item.source))
        for name in item.transforms:
            value = TRANSFORMS[name](value)
        if value:
            attributes[item.target] = value
    key_dates = {target: _text(fields[source]) for target, source in mapping.key_dates if fields.get(source)}
    roles = dict(mapping.party_roles)
    parties = tuple(
        MappedParty(
            key=f"{(party.role_code or 'party').lower()}-{party.name_uno}",
            name_uno=party.name_uno,
            name=party.display_name,
            kind=party.kind,
            aderant_role=party.role or party.role_code or "",
            role=roles.get(party.role_code or "", mapping.default_party_role),
            reference=mapping.contact_reference_template.format(name_uno=party.name_uno),
            party=party,
        )
        for party in (matter.client_party, *matter.parties)
        if party is not None
    )
    return MappedMatter(
        matter_uno=str(matter.matter_uno),
        matter_number=matter.matter_number,
        work_type=work_type,
        title=render_template(mapping.title_template, fields),
        reference=render_template(mapping.reference_template, fields),
        key_dates=key_dates,
        attributes=attributes,
        parties=parties,
        source=fields,
    )
