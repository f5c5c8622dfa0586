"""How an Aderant matter becomes a Clio Operate work item.

The mapping is data (``Mapping``), so administrators can edit, version and share it as a JSON
document (``plugin.mapping_document``). ``apply_mapping`` is the one place that reads a mapping.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter

from clients.aderant import MatterDetail, Party
from clients.aderant_models import PartyKind
from clients.clio_models import FormField, WorkType

DATE_PREFIX = "date:"


@dataclass(frozen=True)
class WorkTypeRule:
    """Matters whose ``source`` field equals ``equals`` (and each ``also`` field its value) become
    ``work_type``; the first rule that matches wins. Values compare exactly (dates as YYYY-MM-DD)."""

    source: str
    equals: str
    work_type: str
    also: tuple[tuple[str, str], ...] = ()  # (field, value): further conditions, all of which must hold

    def matches(self, fields: dict[str, Value]) -> bool:
        return all(_text(fields.get(source)) == value for source, value in ((self.source, self.equals), *self.also))


@dataclass(frozen=True)
class AttributeMap:
    """An Aderant field copied to a Clio Operate attribute through ``transforms``, in order:

    ``trim``, ``upper``, ``lower``; ``lookup`` replaces the value through the ``lookup`` table
    (exact match, after the transforms before it); a value not in the table becomes
    ``lookup_default``, or passes through unchanged when there is no default;
    ``date:<strftime format>`` writes a date field in that format, e.g. ``date:%d/%m/%Y``.
    An empty field gives no attribute, whatever the transforms.
    """

    source: str
    target: str
    transforms: tuple[str, ...] = ()
    lookup: tuple[tuple[str, str], ...] = ()
    lookup_default: str | None = None


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
    # (work type, Aderant role code, participant role): for that work type, before ``party_roles``
    party_roles_by_work_type: tuple[tuple[str, str, str], ...] = ()
    contact_reference_template: str = "ADERANT:{name_uno}"
    # The form field holding the Aderant matter id: how an import finds a work item created before.
    identity: FormField = FormField("aderant", "aderant-matter-id")


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

TEXT_TRANSFORMS: dict[str, Callable[[str], str]] = {
    "trim": str.strip,
    "upper": str.upper,
    "lower": str.lower,
}
TRANSFORM_NAMES = (*TEXT_TRANSFORMS, "lookup", DATE_PREFIX + "<format>")


@dataclass(frozen=True)
class MappedParty:
    key: str
    name_uno: int
    name: str
    kind: PartyKind
    aderant_role: str
    role: str
    reference: str
    party: Party = field(repr=False, compare=False)
    role_code: str = ""  # the Aderant role code the mapping read ("" when the party has none)
    role_rule: str = "default"  # which mapping rule chose ``role``: work_type | aderant_role | default


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
    identity: dict[FormField, str]  # the form field that marks a work item in Clio Operate as this matter


def _part(part: str, attr: str) -> Callable[[MatterDetail], Value]:
    def get(matter: MatterDetail) -> Value:
        item = getattr(matter, part)
        return getattr(item, attr) if item is not None else None

    return get


# The Aderant fields a mapping may read, by name.
FIELDS: dict[str, Callable[[MatterDetail], Value]] = {
    "matter_uno": lambda m: str(m.matter_uno),
    "matter_number": attrgetter("matter_number"),
    "title": attrgetter("title"),
    "long_title": attrgetter("long_title"),
    "client_uno": lambda m: str(m.client_uno),
    "client_code": attrgetter("client_code"),
    "client_name": attrgetter("client_name"),
    "status": attrgetter("status"),
    "status_description": attrgetter("status_description"),
    "open_date": attrgetter("open_date"),
    "close_date": attrgetter("close_date"),
    "matter_type_code": _part("matter_type", "code"),
    "matter_type": _part("matter_type", "description"),
    "office_code": _part("office", "code"),
    "office": _part("office", "description"),
    "department_code": _part("department", "code"),
    "department": _part("department", "description"),
    "responsible_employee_code": _part("responsible_employee", "employee_code"),
    "responsible_employee": _part("responsible_employee", "name"),
    "billing_employee_code": _part("billing_employee", "employee_code"),
    "billing_employee": _part("billing_employee", "name"),
}
DATE_FIELDS = frozenset({"open_date", "close_date"})


def matter_fields(matter: MatterDetail) -> dict[str, Value]:
    """The Aderant fields a mapping may read, by name."""
    return {name: get(matter) for name, get in FIELDS.items()}


def concrete_work_types(tree: list[WorkType]) -> list[WorkType]:
    """The work types a matter can be created as (not abstract), from a work type tree, in tree order."""
    found: list[WorkType] = []
    for node in tree:
        if not node.is_abstract:
            found.append(node)
        found += concrete_work_types(list(node.children))
    return found


def placeholders(template: str) -> Iterator[tuple[str, str | None]]:
    """(literal, field name or None) pairs; ValueError for anything but plain ``{field}``."""
    for literal, name, spec, conversion in string.Formatter().parse(template):
        if name is not None and (not name.isidentifier() or spec or conversion):
            written = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise ValueError(f"only plain {{field}} placeholders are allowed, not {{{written}}}")
        yield literal, name


def render_template(template: str, fields: dict[str, Value]) -> str:
    """Fill ``{field}`` placeholders; only plain field names are allowed (no attribute access)."""
    out = []
    for literal, name in placeholders(template):
        out.append(literal)
        if name is None:
            continue
        if name not in fields:
            raise ValueError(f"unknown field {{{name}}} in template {template!r}")
        out.append(_text(fields[name]))
    return "".join(out)


def _text(value: Value) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else value


def _transform(value: str, name: str, item: AttributeMap) -> str:
    if name == "lookup":
        return dict(item.lookup).get(value, value if item.lookup_default is None else item.lookup_default)
    if name.startswith(DATE_PREFIX):
        try:
            return date.fromisoformat(value).strftime(name.removeprefix(DATE_PREFIX))
        except ValueError:  # an earlier lookup turned it into text: keep that text
            return value
    return TEXT_TRANSFORMS[name](value)


def apply_mapping(matter: MatterDetail, mapping: Mapping = DEFAULT_MAPPING) -> MappedMatter:
    fields = matter_fields(matter)
    work_type = next(
        (rule.work_type for rule in mapping.work_type_rules if rule.matches(fields)),
        mapping.default_work_type,
    )
    attributes = {}
    for item in mapping.attributes:
        value = _text(fields.get(item.source))
        if not value:
            continue
        for name in item.transforms:
            value = _transform(value, name, item)
        if value:
            attributes[item.target] = value
    key_dates = {target: _text(fields[source]) for target, source in mapping.key_dates if fields.get(source)}
    parties = tuple(
        MappedParty(
            key=f"{(party.role_code or 'party').lower()}-{party.name_uno}",
            name_uno=party.name_uno,
            name=party.display_name,
            kind=party.kind,
            aderant_role=party.role or party.role_code or "",
            role=role,
            reference=mapping.contact_reference_template.format(name_uno=party.name_uno),
            party=party,
            role_code=party.role_code or "",
            role_rule=rule,
        )
        for party in (matter.client_party, *matter.parties)
        if party is not None
        for role, rule in [party_role(mapping, work_type, party.role_code or "")]
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
        identity={mapping.identity: str(matter.matter_uno)},
    )


def party_role(mapping: Mapping, work_type: str, code: str) -> tuple[str, str]:
    """The participant role of an Aderant role code in a work type, and the rule that chose it:
    the work type's own rule, else the general one, else the default."""
    for kind, role_code, role in mapping.party_roles_by_work_type:
        if (kind, role_code) == (work_type, code):
            return role, "work_type"
    general = dict(mapping.party_roles)
    if code in general:
        return general[code], "aderant_role"
    return mapping.default_party_role, "default"


def role_anchor(code: str, work_type: str | None = None) -> str:
    """The id of a party role rule on Settings → Mapping's form editor, to link to it."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", code) or "_"
    return f"role-{slug}-in-{work_type}" if work_type else f"role-{slug}"


def rule_anchor(party: MappedParty, work_type: str) -> str:
    """Where on Settings → Mapping the rule that chose the party's role is edited."""
    if party.role_rule == "work_type":
        return role_anchor(party.role_code, work_type)
    if party.role_rule == "aderant_role":
        return role_anchor(party.role_code)
    return "default-party-role"
