"""Settings → Mapping's form editor: the common changes (work type rules, party roles, also per
work type, and attributes) as rows of a form, beside the JSON document.

A form is turned into a whole mapping document: its rows replace those parts of the document it
was shown from (``base``), and everything else (templates, key dates, identity, an attribute's
lookup table, a rule's further conditions) is kept as it was. That document is then saved exactly
as a pasted one is (``mapping_admin.save_mapping``: the same checks, the same audit event).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from plugin.mapping import Mapping, role_anchor
from plugin.mapping_document import InvalidMapping, parse_document, to_document

BLANK_ROWS = 2  # empty rows offered under each list, to add to it
RELOAD = "(form): the form was changed outside PMS Sync and cannot be read: reload the page and make the change again"


@dataclass
class RuleRow:
    source: str = ""
    equals: str = ""
    work_type: str = ""
    also: str = ""  # the rule's further conditions as JSON ("" for none), kept as they are

    @property
    def conditions(self) -> list[Any]:
        """The further conditions, as shown (none when they cannot be read)."""
        try:
            found = _kept(self.also, [])
        except InvalidMapping:
            return []
        return found if isinstance(found, list) else []

    @property
    def blank(self) -> bool:
        return not (self.source or self.equals or self.work_type)


@dataclass
class RoleRow:
    aderant_role: str = ""
    role: str = ""
    work_type: str = ""  # "" for every work type

    @property
    def anchor(self) -> str:
        return role_anchor(self.aderant_role, self.work_type or None)

    @property
    def blank(self) -> bool:
        return not (self.aderant_role or self.role or self.work_type)


@dataclass
class AttributeRow:
    source: str = ""
    target: str = ""
    transforms: str = ""  # space-separated, in order
    lookup: str = ""  # {"lookup": {...}, "lookup_default": ...} as JSON ("" for none), kept as it is

    @property
    def blank(self) -> bool:
        return not (self.source or self.target or self.transforms)


@dataclass
class MappingForm:
    base: str  # the document the form was shown from, as JSON
    rules: list[RuleRow] = field(default_factory=list)
    default_work_type: str = ""
    roles: list[RoleRow] = field(default_factory=list)
    default_party_role: str = ""
    attributes: list[AttributeRow] = field(default_factory=list)

    def with_blank_rows(self) -> MappingForm:
        """The form with empty rows to add to each list (as it is shown)."""
        return MappingForm(
            self.base,
            [r for r in self.rules if not r.blank] + [RuleRow() for _ in range(BLANK_ROWS)],
            self.default_work_type,
            [r for r in self.roles if not r.blank] + [RoleRow() for _ in range(BLANK_ROWS)],
            self.default_party_role,
            [a for a in self.attributes if not a.blank] + [AttributeRow() for _ in range(BLANK_ROWS)],
        )

    def document(self) -> dict[str, Any]:
        """The mapping document this form describes: the base with the form's parts replaced.
        Rows left blank are dropped; InvalidMapping when the base is not a mapping document."""
        base = parse_document(self.base)
        if not isinstance(base, dict):
            raise InvalidMapping([RELOAD])
        rules = [r for r in self.rules if not r.blank]
        roles = [r for r in self.roles if not r.blank]
        attributes = [a for a in self.attributes if not a.blank]
        return {
            **base,
            "work_type_rules": [_rule_document(r) for r in rules],
            "default_work_type": self.default_work_type,
            "party_roles": [
                {"aderant_role": r.aderant_role, **({"work_type": r.work_type} if r.work_type else {}), "role": r.role}
                for r in roles
            ],
            "default_party_role": self.default_party_role,
            "attributes": [_attribute_document(a) for a in attributes],
        }

    def text(self) -> str:
        return json.dumps(self.document(), indent=2, ensure_ascii=False) + "\n"


def _kept(text: str, empty: Any) -> Any:
    """A part the form keeps as JSON in a hidden field, as it was."""
    if not text:
        return empty
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise InvalidMapping([RELOAD]) from None


def _rule_document(row: RuleRow) -> dict[str, Any]:
    doc: dict[str, Any] = {"source": row.source, "equals": row.equals, "work_type": row.work_type}
    also = _kept(row.also, [])
    if also:
        doc["and"] = also
    return doc


def _attribute_document(row: AttributeRow) -> dict[str, Any]:
    doc: dict[str, Any] = {"source": row.source, "target": row.target, "transforms": row.transforms.split()}
    kept = _kept(row.lookup, {})
    if isinstance(kept, dict):
        doc.update({k: v for k, v in kept.items() if k in ("lookup", "lookup_default")})
    return doc


def form_of(mapping: Mapping) -> MappingForm:
    """The mapping as the form editor shows it."""
    doc = to_document(mapping)
    return MappingForm(
        base=json.dumps(doc, ensure_ascii=False),
        rules=[
            RuleRow(r["source"], r["equals"], r["work_type"], json.dumps(r["and"], ensure_ascii=False) if "and" in r else "")
            for r in doc["work_type_rules"]
        ],
        default_work_type=mapping.default_work_type,
        roles=[RoleRow(r["aderant_role"], r["role"], r.get("work_type", "")) for r in doc["party_roles"]],
        default_party_role=mapping.default_party_role,
        attributes=[
            AttributeRow(
                a["source"], a["target"], " ".join(a["transforms"]),
                json.dumps({k: a[k] for k in ("lookup", "lookup_default") if k in a}, ensure_ascii=False) if "lookup" in a else "",
            )
            for a in doc["attributes"]
        ],
    ).with_blank_rows()
