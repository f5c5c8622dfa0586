"""Drift: how an imported matter has changed since its import, in Aderant and in Clio Operate.

Three sides are compared: the baseline (what the import wrote, kept with the import record),
Aderant now (through the mapping in force) and Clio Operate now (the work item's title, reference,
attributes, key dates and participants). Each value that differs is classified:

- ``aderant_only``: changed in Aderant, Clio Operate still holds what was written: safe to apply;
- ``clio_only``: someone edited it in Clio Operate, Aderant did not change: leave it, show it;
- ``both``: changed in both, to different values: a conflict, shown with both values;
- ``party_added`` / ``party_removed``: a party joined or left the matter in Aderant (flagged only:
  a new party is resolved like at import, a removed one is never removed automatically).

A value changed in both to the same value is in step again and is not a difference. This module
is pure: the batched reads are in `plugin/drift_reads.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from plugin.mapping import MappedMatter, MappedParty

BASELINE_VERSION = 1

Kind = Literal["aderant_only", "clio_only", "both", "party_added", "party_removed"]
# Differences that come from a change in Aderant (what "changes in Aderant since import" counts).
FROM_ADERANT: frozenset[Kind] = frozenset({"aderant_only", "both", "party_added", "party_removed"})


@dataclass(frozen=True)
class BaselineParty:
    """A party the import wrote: its Aderant name id, its participant role, the contact it became."""

    name_uno: int
    name: str
    kind: str
    role: str
    contact_id: str


@dataclass(frozen=True)
class Baseline:
    """What an import wrote to Clio Operate, as mapped values."""

    work_type: str
    title: str
    reference: str
    attributes: dict[str, str]
    key_dates: dict[str, str]
    parties: tuple[BaselineParty, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": BASELINE_VERSION,
            "work_type": self.work_type,
            "title": self.title,
            "reference": self.reference,
            "attributes": dict(self.attributes),
            "key_dates": dict(self.key_dates),
            "parties": [
                {"name_uno": p.name_uno, "name": p.name, "kind": p.kind, "role": p.role, "contact_id": p.contact_id}
                for p in self.parties
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Baseline:
        return cls(
            work_type=str(data["work_type"]),
            title=str(data["title"]),
            reference=str(data["reference"]),
            attributes={str(k): str(v) for k, v in data["attributes"].items()},
            key_dates={str(k): str(v) for k, v in data["key_dates"].items()},
            parties=tuple(
                BaselineParty(int(p["name_uno"]), str(p["name"]), str(p["kind"]), str(p["role"]), str(p["contact_id"]))
                for p in data["parties"]
            ),
        )


def baseline_of(mapped: MappedMatter, contacts: Mapping[str, str]) -> Baseline:
    """The baseline of an import that wrote `mapped`, its parties being the contacts in `contacts`
    (party key → contact id)."""
    return Baseline(
        work_type=mapped.work_type,
        title=mapped.title,
        reference=mapped.reference,
        attributes=dict(mapped.attributes),
        key_dates=dict(mapped.key_dates),
        parties=tuple(
            BaselineParty(p.name_uno, p.name, p.kind, p.role, contacts[p.key]) for p in mapped.parties if p.key in contacts
        ),
    )


@dataclass(frozen=True)
class ClioNow:
    """The work item as Clio Operate holds it now. `attributes` holds the fields asked for (a field
    without a value is None or absent); `key_dates` and `participants` are None when not read."""

    title: str | None
    reference: str | None
    attributes: Mapping[str, Any]
    key_dates: Mapping[str, Any] | None = None
    participants: frozenset[tuple[str, str]] | None = None  # (role, contact id)


@dataclass(frozen=True)
class Difference:
    kind: Kind
    field: str  # title | reference | attribute:<target> | key_date:<type> | party:<name id>
    label: str
    baseline: str | None = None
    aderant: str | None = None
    clio: str | None = None


Status = Literal["compared", "no_baseline", "not_in_aderant", "not_in_clio", "unavailable"]


@dataclass(frozen=True)
class MatterDrift:
    matter_number: str
    work_item_id: str
    status: Status
    differences: tuple[Difference, ...] = ()
    message: str = ""  # why it was not compared

    @property
    def changes_in_aderant(self) -> int:
        return sum(1 for d in self.differences if d.kind in FROM_ADERANT)

    def count(self, kind: Kind) -> int:
        return sum(1 for d in self.differences if d.kind == kind)

    @property
    def summary(self) -> str:
        """One line for a person: how many changes in Aderant since import, and what else."""
        if self.status != "compared":
            return self.message
        changes = self.changes_in_aderant
        parts = [f"{changes} change{'s' if changes != 1 else ''} in Aderant since import" if changes else "No changes in Aderant since import"]
        if self.count("both"):
            parts.append(f"{self.count('both')} in conflict with Clio Operate")
        if self.count("clio_only"):
            parts.append(f"{self.count('clio_only')} edited in Clio Operate")
        return "; ".join(parts)


NO_BASELINE = "No baseline: this matter was imported before PMS Sync kept what an import wrote."


def compare(baseline: Baseline, aderant: MappedMatter, clio: ClioNow) -> tuple[Difference, ...]:
    """Every difference between the three sides, values first (title, reference, attributes,
    key dates, in that order), then parties."""
    found: list[Difference] = []
    found += _value("title", "Title", baseline.title, aderant.title, clio.title)
    found += _value("reference", "Reference", baseline.reference, aderant.reference, clio.reference)
    for target in _keys(baseline.attributes, aderant.attributes):
        found += _value(
            f"attribute:{target}", f"Attribute {target}", baseline.attributes.get(target),
            aderant.attributes.get(target), _text(clio.attributes.get(target)),
        )
    if clio.key_dates is not None:
        for kind in _keys(baseline.key_dates, aderant.key_dates):
            found += _value(
                f"key_date:{kind}", f"Key date {kind}", baseline.key_dates.get(kind),
                aderant.key_dates.get(kind), _date_text(clio.key_dates.get(kind)),
            )
    found += _parties(baseline, aderant, clio)
    return tuple(found)


def _value(field_name: str, label: str, base: str | None, aderant: str | None, clio: str | None) -> list[Difference]:
    base, aderant, clio = base or None, aderant or None, clio or None
    in_aderant, in_clio = aderant != base, clio != base
    if in_aderant and in_clio:
        if aderant == clio:  # both moved to the same value: in step again
            return []
        kind: Kind = "both"
    elif in_aderant:
        kind = "aderant_only"
    elif in_clio:
        kind = "clio_only"
    else:
        return []
    return [Difference(kind, field_name, label, base, aderant, clio)]


def _parties(baseline: Baseline, aderant: MappedMatter, clio: ClioNow) -> list[Difference]:
    """Parties by (Aderant name id, participant role): a party whose role changed in Aderant is
    removed in one role and added in the other."""
    written = {(p.name_uno, p.role): p for p in baseline.parties}
    now = {(p.name_uno, p.role): p for p in aderant.parties}
    found = []
    for key, party in now.items():
        if key not in written:
            found.append(Difference("party_added", f"party:{party.name_uno}", _label(party), aderant=party.role))
    for key, party in written.items():
        if key in now:
            continue
        if clio.participants is not None and (party.role, party.contact_id) not in clio.participants:
            continue  # gone from both: in step
        found.append(Difference("party_removed", f"party:{party.name_uno}", _label(party), baseline=party.role))
    if clio.participants is not None:  # removed in Clio Operate only: left as it is
        for key, party in written.items():
            if key in now and (party.role, party.contact_id) not in clio.participants:
                found.append(Difference("clio_only", f"party:{party.name_uno}", _label(party), baseline=party.role, aderant=party.role))
    return found


def _label(party: BaselineParty | MappedParty) -> str:
    return f"{party.name} ({party.role})"


def _keys(*sides: Mapping[str, Any]) -> list[str]:
    """The keys of every side, in first-seen order."""
    return list(dict.fromkeys(key for side in sides for key in side))


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _date_text(value: Any) -> str | None:
    """A key date as YYYY-MM-DD: Clio Operate may answer a date with a time (midnight)."""
    text = _text(value)
    if text is not None and len(text) > 10 and text[4] == "-" and text[10] in "T ":
        return text[:10]
    return text
