"""How an Aderant matter becomes a Clio Operate work item.

The mapping is data, so administrators can edit, version and share it as a JSON document
(``to_document`` / ``from_document``). ``apply_mapping`` is the one place that reads a mapping,
and ``from_document`` the one place that decides whether one is valid.
"""

from __future__ import annotations

import difflib
import json
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from typing import Any

from clients.aderant import MatterDetail, Party
from clients.clio_models import FormField, WorkType
from plugin.errors import InvalidInput

FORMAT = "pms-sync-mapping"
FORMAT_VERSION = 1
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
    kind: str  # person | organisation
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


def _placeholders(template: str) -> Iterator[tuple[str, str | None]]:
    """(literal, field name or None) pairs; ValueError for anything but plain ``{field}``."""
    for literal, name, spec, conversion in string.Formatter().parse(template):
        if name is not None and (not name.isidentifier() or spec or conversion):
            written = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise ValueError(f"only plain {{field}} placeholders are allowed, not {{{written}}}")
        yield literal, name


def render_template(template: str, fields: dict[str, Value]) -> str:
    """Fill ``{field}`` placeholders; only plain field names are allowed (no attribute access)."""
    out = []
    for literal, name in _placeholders(template):
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


# The JSON document ------------------------------------------------------------------------


class InvalidMapping(InvalidInput):
    """A mapping document that does not validate; ``problems`` each start with the path of the field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("The mapping is not valid: " + "; ".join(problems))


def to_document(mapping: Mapping) -> dict[str, Any]:
    """The mapping as one versioned JSON document (what is stored, exported and imported)."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "work_type_rules": [_rule_document(r) for r in mapping.work_type_rules],
        "default_work_type": mapping.default_work_type,
        "title_template": mapping.title_template,
        "reference_template": mapping.reference_template,
        "attributes": [_attribute_document(a) for a in mapping.attributes],
        "key_dates": [{"type": kind, "source": source} for kind, source in mapping.key_dates],
        "party_roles": [{"aderant_role": code, "role": role} for code, role in mapping.party_roles]
        + [{"aderant_role": code, "work_type": kind, "role": role} for kind, code, role in mapping.party_roles_by_work_type],
        "default_party_role": mapping.default_party_role,
        "contact_reference_template": mapping.contact_reference_template,
        "identity": {"form": mapping.identity.form, "field": mapping.identity.field},
    }


def _rule_document(rule: WorkTypeRule) -> dict[str, Any]:
    doc: dict[str, Any] = {"source": rule.source, "equals": rule.equals, "work_type": rule.work_type}
    if rule.also:
        doc["and"] = [{"source": source, "equals": value} for source, value in rule.also]
    return doc


def _attribute_document(item: AttributeMap) -> dict[str, Any]:
    doc: dict[str, Any] = {"source": item.source, "target": item.target, "transforms": list(item.transforms)}
    if item.lookup or "lookup" in item.transforms:
        doc["lookup"] = dict(item.lookup)
        doc["lookup_default"] = item.lookup_default
    return doc


def parse_document(text: str) -> object:
    """JSON text as pasted or uploaded; refuses what is not JSON, and keys given twice in one object."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in items:
            if key in seen:
                raise InvalidMapping([f'(document): the key "{key}" appears twice in one object'])
            seen[key] = value
        return seen

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise InvalidMapping([f"(document): not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]) from None
    except RecursionError:
        raise InvalidMapping(["(document): nested too deeply to be a mapping"]) from None


def from_document(doc: object) -> Mapping:
    """The mapping a document describes; InvalidMapping listing every problem, each with its path."""
    check = _Check()
    top = check.object_at(doc, "", required=_TOP_REQUIRED, optional=_TOP_OPTIONAL)
    if top is None:
        raise InvalidMapping(check.problems)
    if "format" in top and top["format"] != FORMAT:
        check.problem("format", f'must be "{FORMAT}"')
    if "version" in top and (type(top["version"]) is not int or top["version"] != FORMAT_VERSION):
        check.problem("version", f"unsupported version {json.dumps(top['version'])}: this PMS Sync reads version {FORMAT_VERSION}")
    rules = [(p, check.rule(r, p)) for p, r in check.items(top, "work_type_rules", ("source", "equals", "work_type"), ("and",))]
    check.unique(
        [(p, frozenset(((r.source, r.equals), *r.also))) for p, r in rules if r.source], "has the same conditions as"
    )
    attributes = [
        (p, check.attribute(a, p))
        for p, a in check.items(top, "attributes", ("source", "target"), ("transforms", "lookup", "lookup_default"))
    ]
    check.unique([(f"{p}.target", a.target) for p, a in attributes if a.target], "is already the target of")
    key_dates = [
        (p, (check.name(k, p, "type"), check.field(k, p, "source", dates_only=True)))
        for p, k in check.items(top, "key_dates", ("type", "source"))
    ]
    check.unique([(f"{p}.type", kind) for p, (kind, _) in key_dates if kind], "is already the type of")
    party_roles = [
        (p, (check.name(r, p, "aderant_role"), check.name(r, p, "role"), check.name(r, p, "work_type") if "work_type" in r else None))
        for p, r in check.items(top, "party_roles", ("aderant_role", "role"), ("work_type",))
    ]
    check.unique([(f"{p}.aderant_role", code) for p, (code, _, kind) in party_roles if code and kind is None], "is already the Aderant role of")
    check.unique(
        [(f"{p}.aderant_role", (code, kind)) for p, (code, _, kind) in party_roles if code and kind],
        "is already the Aderant role, for the same work type, of",
    )
    mapping = Mapping(
        work_type_rules=tuple(r for _, r in rules),
        default_work_type=check.name(top, "", "default_work_type"),
        title_template=check.template(top, "title_template"),
        reference_template=check.template(top, "reference_template"),
        attributes=tuple(a for _, a in attributes),
        key_dates=tuple(k for _, k in key_dates),
        party_roles=tuple((code, role) for _, (code, role, kind) in party_roles if kind is None),
        default_party_role=check.name(top, "", "default_party_role"),
        party_roles_by_work_type=tuple((kind, code, role) for _, (code, role, kind) in party_roles if kind is not None),
        contact_reference_template=check.contact_reference(top),
        identity=check.identity(top),
    )
    field = mapping.identity.field
    if field and not any(a.target == field and a.source == "matter_uno" and not a.transforms for a in mapping.attributes):
        check.problem(
            "attributes",
            f'needs matter_uno mapped unchanged to "{field}" (the identity field): '
            "it is how an import finds a work item created before",
        )
    if check.problems:
        raise InvalidMapping(check.problems)
    return mapping


_TOP_REQUIRED = (
    "format", "version", "work_type_rules", "default_work_type", "title_template", "reference_template",
    "attributes", "key_dates", "party_roles", "default_party_role",
)
_TOP_OPTIONAL = ("contact_reference_template", "identity", "matter_id_attribute")
_STRFTIME = re.compile(r"%(.?)")
_STRFTIME_CODES = frozenset("aAbBcdfGHIjmMpSuUVwWxXyYzZ%")
MAX_NAME = 200
MAX_TEXT = 1000


def _suggest(name: str) -> str:
    close = difflib.get_close_matches(name, FIELDS, n=1)
    return f' (did you mean "{close[0]}"?)' if close else f"; the fields are {', '.join(FIELDS)}"


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Check:
    """Reads a document and gathers every problem, each as ``path: what is wrong``.

    Readers take the object, its path and the key to read; they return a harmless value ("")
    after reporting a problem, so reading goes on and every problem is found in one pass.
    """

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path or '(document)'}: {message}")

    def object_at(self, value: object, path: str, *, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict | None:
        if not isinstance(value, dict):
            self.problem(path, "must be an object")
            return None
        for key in value:
            if key not in required and key not in optional:
                self.problem(_at(path, key), "unknown field")
        for key in required:
            if key not in value:
                self.problem(_at(path, key), "is missing")
        return value

    def items(
        self, top: dict, key: str, required: tuple[str, ...], optional: tuple[str, ...] = (), *, path: str = ""
    ) -> Iterator[tuple[str, dict]]:
        """(path, object) for each item of the list ``top[key]`` (``top`` being at ``path``) that is an object."""
        value, where = top.get(key, []), _at(path, key)
        if not isinstance(value, list):
            self.problem(where, "must be a list")
            return
        for index, item in enumerate(value):
            at = f"{where}[{index}]"
            if self.object_at(item, at, required=required, optional=optional) is not None:
                yield at, item

    def text(self, obj: dict, path: str, key: str, *, blank_ok: bool = False, default: str | None = None, limit: int = MAX_TEXT) -> str:
        if key not in obj and default is None:
            return ""  # reported as missing already
        value = obj.get(key, default)
        if not isinstance(value, str):
            self.problem(_at(path, key), "must be text")
            return ""
        if not blank_ok and not value.strip():
            self.problem(_at(path, key), "must not be blank")
        elif len(value) > limit:
            self.problem(_at(path, key), f"is longer than {limit} characters")
        return value

    def name(self, obj: dict, path: str, key: str, *, default: str | None = None) -> str:
        """A system name or code: not blank, no spaces around it, not too long."""
        value = self.text(obj, path, key, default=default, limit=MAX_NAME)
        if value.strip() and value != value.strip():
            self.problem(_at(path, key), f'"{value}" must not start or end with spaces')
        return value

    def rule(self, obj: dict, path: str) -> WorkTypeRule:
        also = tuple(
            (self.field(condition, at, "source"), self.text(condition, at, "equals", blank_ok=True))
            for at, condition in self.items(obj, "and", ("source", "equals"), path=path)
        )
        return WorkTypeRule(
            self.field(obj, path, "source"), self.text(obj, path, "equals", blank_ok=True), self.name(obj, path, "work_type"), also
        )

    def field(self, obj: dict, path: str, key: str, *, dates_only: bool = False) -> str:
        value = self.text(obj, path, key)
        if value and value not in FIELDS:
            self.problem(_at(path, key), f'unknown Aderant field "{value}"{_suggest(value)}')
        elif value and dates_only and value not in DATE_FIELDS:
            self.problem(_at(path, key), f'"{value}" is not a date field; use {" or ".join(sorted(DATE_FIELDS))}')
        return value

    def _names(self, template: str, path: str) -> set[str] | None:
        try:
            return {name for _, name in _placeholders(template) if name is not None}
        except ValueError as exc:
            self.problem(path, f"is not a valid template ({exc}); write fields as {{field}}, a literal brace as {{{{ or }}}}")
            return None

    def template(self, obj: dict, key: str) -> str:
        value = self.text(obj, "", key)
        for name in sorted((self._names(value, key) or set()) - set(FIELDS)):
            self.problem(key, f'unknown Aderant field "{{{name}}}"{_suggest(name)}')
        return value

    def contact_reference(self, obj: dict) -> str:
        key = "contact_reference_template"
        value = self.text(obj, "", key, default=DEFAULT_MAPPING.contact_reference_template)
        names = self._names(value, key)
        if names is not None and names != {"name_uno"}:
            self.problem(key, "must contain {name_uno} and no other field: it stamps each contact with its Aderant name id")
        return value

    def identity(self, top: dict) -> FormField:
        """``identity`` ({"form", "field"}: the form field holding the matter id), or the older
        ``matter_id_attribute`` (the field alone, on the default form), or the default."""
        default = DEFAULT_MAPPING.identity
        if "identity" in top and "matter_id_attribute" in top:
            self.problem("matter_id_attribute", 'give "identity" only: "matter_id_attribute" is its older spelling')
            return default
        if "matter_id_attribute" in top:
            return FormField(default.form, self.name(top, "", "matter_id_attribute"))
        if "identity" not in top:
            return default
        found = self.object_at(top["identity"], "identity", required=("form", "field"))
        if found is None:
            return default
        return FormField(self.name(found, "identity", "form"), self.name(found, "identity", "field"))

    def attribute(self, item: dict, path: str) -> AttributeMap:
        source = self.field(item, path, "source")
        target = self.name(item, path, "target")
        transforms = item.get("transforms", [])
        if not isinstance(transforms, list):
            self.problem(f"{path}.transforms", "must be a list")
            transforms = []
        for index, name in enumerate(transforms):
            self.transform(name, f"{path}.transforms[{index}]", source)
        lookup = item.get("lookup", {})
        if not isinstance(lookup, dict) or not all(isinstance(v, str) for v in lookup.values()):
            self.problem(f"{path}.lookup", 'must be an object of Aderant value to text, e.g. {"SYD": "Sydney"}')
            lookup = {}
        default = item.get("lookup_default")
        if default is not None and not isinstance(default, str):
            self.problem(f"{path}.lookup_default", "must be text, or null to pass unmatched values through")
            default = None
        if "lookup" in transforms and not lookup:
            self.problem(f"{path}.lookup", 'the "lookup" transform needs a table of values')
        if "lookup" not in transforms and (lookup or default is not None):
            self.problem(f"{path}.lookup", 'a table is given but "lookup" is not among the transforms')
        return AttributeMap(source, target, tuple(t for t in transforms if isinstance(t, str)), tuple(lookup.items()), default)

    def transform(self, name: object, path: str, source: str) -> None:
        if not isinstance(name, str):
            self.problem(path, "must be text")
        elif name.startswith(DATE_PREFIX):
            fmt = name.removeprefix(DATE_PREFIX)
            if "%" not in fmt or any(code not in _STRFTIME_CODES for code in _STRFTIME.findall(fmt)):
                self.problem(path, f'"{name}" needs a strftime format such as "date:%d/%m/%Y"')
            elif source in FIELDS and source not in DATE_FIELDS:
                self.problem(path, f'"{name}" formats dates, but "{source}" is not a date field')
        elif name not in TEXT_TRANSFORMS and name != "lookup":
            self.problem(path, f'unknown transform "{name}"; use {", ".join(TRANSFORM_NAMES)}')

    def unique(self, keyed: list[tuple[str, object]], what: str) -> None:
        """Flags each (path, key) whose key an earlier item already has."""
        first: dict[object, str] = {}
        for path, key in keyed:
            if key in first:
                self.problem(path, f"{what} {first[key].rsplit('.', 1)[0]}")
            else:
                first[key] = path
