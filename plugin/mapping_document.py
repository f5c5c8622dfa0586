"""The mapping as one versioned JSON document: what is stored, exported and imported.

``from_document`` is the one place that decides whether a mapping is valid; it reports every
problem at once, each with the path of the field.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from typing import Any

from clients.clio_models import FormField
from plugin.errors import InvalidDocument
from plugin.mapping import (
    DATE_FIELDS,
    DATE_PREFIX,
    DEFAULT_MAPPING,
    FIELDS,
    TEXT_TRANSFORMS,
    TRANSFORM_NAMES,
    AttributeMap,
    Mapping,
    WorkTypeRule,
    placeholders,
)

FORMAT = "pms-sync-mapping"
FORMAT_VERSION = 1


class InvalidMapping(InvalidDocument):
    """A mapping document that does not validate; ``problems`` each start with the path of the field."""

    refusal = "The mapping is not valid"


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
            return {name for _, name in placeholders(template) if name is not None}
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
