"""Drift: how an imported matter has changed since its import, in Aderant and in Clio Operate.

Three sides are compared: the baseline (what the import wrote, kept with the import record as
digests, see below), Aderant now (through the mapping in force) and Clio Operate now (the work
item's title, reference, attributes, key dates and participants). Each value that differs is
classified:

- ``aderant_only``: changed in Aderant, Clio Operate still holds what was written: safe to apply;
- ``clio_only``: someone edited it in Clio Operate, Aderant did not change: leave it, show it;
- ``both``: changed in both, to different values: a conflict, shown with both values now;
- ``party_added`` / ``party_removed``: a party joined or left the matter in Aderant (flagged only:
  a new party is resolved like at import, a removed one is never removed automatically).

A value changed in both to the same value is in step again and is not a difference. This module
is pure: the batched reads are in `plugin/drift_reads.py`.

The baseline keeps pointers, not contents (ARCHITECTURE.md, "Data at rest"): ids and configuration
as they are (the work type, each party's Aderant name id, participant role and contact id, the
attribute targets and key date types), each value written (title, reference, attribute and key
date values) only as a keyed digest (`store.secrets.Fingerprint`, HMAC-SHA256 under a key derived
from the first secret key, its key id kept with the baseline), and no party names. A side has
changed when the digest of its value now differs from the baseline's; the old value itself is
never shown, only whether each side is as imported or changed. A baseline whose key is no longer
configured (`pms-sync secrets rotate`, then the old key removed) cannot be checked and counts as
no baseline, as does one of version 1, which held the values themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from plugin.mapping import MappedMatter, MappedParty

BASELINE_VERSION = 2  # 1 held the values themselves: read as no baseline

Kind = Literal["aderant_only", "clio_only", "both", "party_added", "party_removed"]
# Differences that come from a change in Aderant (what "changes in Aderant since import" counts).
FROM_ADERANT: frozenset[Kind] = frozenset({"aderant_only", "both", "party_added", "party_removed"})


class Fingerprint(Protocol):
    """Keyed digests of values (`store.secrets.Fingerprint`)."""

    @property
    def key_id(self) -> str: ...

    def __call__(self, value: str | None) -> str | None: ...


@dataclass(frozen=True)
class BaselineParty:
    """A party the import wrote: its Aderant name id, its participant role, the contact it became."""

    name_uno: int
    kind: str
    role: str
    contact_id: str


@dataclass(frozen=True)
class Baseline:
    """What an import wrote to Clio Operate: each value as its digest under the key `key_id`
    (None: no value written)."""

    key_id: str
    work_type: str
    title: str | None
    reference: str | None
    attributes: dict[str, str | None]
    key_dates: dict[str, str | None]
    parties: tuple[BaselineParty, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": BASELINE_VERSION,
            "key_id": self.key_id,
            "work_type": self.work_type,
            "title": self.title,
            "reference": self.reference,
            "attributes": dict(self.attributes),
            "key_dates": dict(self.key_dates),
            "parties": [
                {"name_uno": p.name_uno, "kind": p.kind, "role": p.role, "contact_id": p.contact_id}
                for p in self.parties
            ],
        }

    def digest_of(self, field_name: str) -> str | None:
        """The digest kept for a value field (`Difference.field`: title, reference,
        attribute:<target>, key_date:<type>); None when no value was written."""
        kind, _, key = field_name.partition(":")
        if kind in ("title", "reference"):
            return getattr(self, kind)
        if kind == "attribute":
            return self.attributes.get(key)
        if kind == "key_date":
            return self.key_dates.get(key)
        raise ValueError(f"{field_name!r} is not a value field")

    def with_value(self, field_name: str, digest: str | None) -> Baseline:
        """This baseline once the value of `field_name` whose digest is `digest` was written."""
        kind, _, key = field_name.partition(":")
        if kind == "title":
            return replace(self, title=digest)
        if kind == "reference":
            return replace(self, reference=digest)
        if kind == "attribute":
            return replace(self, attributes={**self.attributes, key: digest})
        if kind == "key_date":
            return replace(self, key_dates={**self.key_dates, key: digest})
        raise ValueError(f"{field_name!r} is not a value field")

    def with_party(self, party: BaselineParty) -> Baseline:
        """This baseline once `party` was added to the work item."""
        return replace(self, parties=(*self.parties, party))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Baseline | None:
        """The baseline kept as `data` (None: a version this module cannot compare with)."""
        if data.get("version") != BASELINE_VERSION:
            return None
        return cls(
            key_id=str(data["key_id"]),
            work_type=str(data["work_type"]),
            title=_stored(data["title"]),
            reference=_stored(data["reference"]),
            attributes={str(k): _stored(v) for k, v in data["attributes"].items()},
            key_dates={str(k): _stored(v) for k, v in data["key_dates"].items()},
            parties=tuple(
                BaselineParty(int(p["name_uno"]), str(p["kind"]), str(p["role"]), str(p["contact_id"]))
                for p in data["parties"]
            ),
        )


def _stored(value: Any) -> str | None:
    return None if value is None else str(value)


def baseline_of(mapped: MappedMatter, contacts: Mapping[str, str], fingerprint: Fingerprint) -> Baseline:
    """The baseline of an import that wrote `mapped`, its parties being the contacts in `contacts`
    (party key → contact id), its values digested by `fingerprint`."""
    return Baseline(
        key_id=fingerprint.key_id,
        work_type=mapped.work_type,
        title=fingerprint(mapped.title),
        reference=fingerprint(mapped.reference),
        attributes={target: fingerprint(value) for target, value in mapped.attributes.items()},
        key_dates={kind: fingerprint(value) for kind, value in mapped.key_dates.items()},
        parties=tuple(
            BaselineParty(p.name_uno, p.kind, p.role, contacts[p.key]) for p in mapped.parties if p.key in contacts
        ),
    )


@dataclass(frozen=True)
class ClioNow:
    """The work item as Clio Operate holds it now. `attributes` holds the fields asked for (a field
    without a value is None or absent); `key_dates` and `participants` are None when not read."""

    title: str | None
    reference: str | None
    attributes: Mapping[str, Any]
    key_dates: Mapping[str, str | None] | None = None  # type → day (clients.clio_models.WorkItemKeyDates)
    participants: frozenset[tuple[str, str]] | None = None  # (role, contact id)


@dataclass(frozen=True)
class Difference:
    kind: Kind
    field: str  # title | reference | attribute:<target> | key_date:<type> | party:<name id>
    label: str
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
OTHER_KEY = (
    "No baseline to compare with: what this import wrote was kept under a secret key that is no "
    "longer configured (PMS_SYNC_SECRET_KEYS)."
)


def compare(baseline: Baseline, aderant: MappedMatter, clio: ClioNow, fingerprint: Fingerprint) -> tuple[Difference, ...]:
    """Every difference between the three sides, values first (title, reference, attributes,
    key dates, in that order), then parties. `fingerprint` is the baseline's own key."""
    found: list[Difference] = []
    found += _value(fingerprint, "title", "Title", baseline.title, aderant.title, clio.title)
    found += _value(fingerprint, "reference", "Reference", baseline.reference, aderant.reference, clio.reference)
    for target in _keys(baseline.attributes, aderant.attributes):
        found += _value(
            fingerprint, f"attribute:{target}", f"Attribute {target}", baseline.attributes.get(target),
            aderant.attributes.get(target), _text(clio.attributes.get(target)),
        )
    if clio.key_dates is not None:
        for kind in _keys(baseline.key_dates, aderant.key_dates):
            found += _value(
                fingerprint, f"key_date:{kind}", f"Key date {kind}", baseline.key_dates.get(kind),
                aderant.key_dates.get(kind), clio.key_dates.get(kind),
            )
    found += _parties(baseline, aderant, clio)
    return tuple(found)


def _value(
    fingerprint: Fingerprint, field_name: str, label: str, base: str | None, aderant: str | None, clio: str | None,
) -> list[Difference]:
    """`base` is the digest written (None: no value); a side has changed when its value's digest
    differs from it."""
    aderant, clio = aderant or None, clio or None
    in_aderant, in_clio = fingerprint(aderant) != base, fingerprint(clio) != base
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
    return [Difference(kind, field_name, label, aderant, clio)]


def _parties(baseline: Baseline, aderant: MappedMatter, clio: ClioNow) -> list[Difference]:
    """Parties by (Aderant name id, participant role): a party whose role changed in Aderant is
    removed in one role and added in the other. A party Aderant still has is labelled with its
    name there; one it no longer has, by its name id and the contact it became (no name is kept)."""
    written = {(p.name_uno, p.role): p for p in baseline.parties}
    now = {(p.name_uno, p.role): p for p in aderant.parties}
    found = []
    for key, party in now.items():
        if key not in written:
            found.append(Difference("party_added", f"party:{party.name_uno}", _label(party), aderant=party.role))
    for key, written_party in written.items():
        if key in now:
            continue
        if clio.participants is not None and (written_party.role, written_party.contact_id) not in clio.participants:
            continue  # gone from both: in step
        found.append(Difference("party_removed", f"party:{written_party.name_uno}", _label(written_party)))
    if clio.participants is not None:  # removed in Clio Operate only: left as it is
        for key, written_party in written.items():
            if key in now and (written_party.role, written_party.contact_id) not in clio.participants:
                found.append(Difference("clio_only", f"party:{written_party.name_uno}", _label(now[key]), aderant=written_party.role))
    return found


def _label(party: BaselineParty | MappedParty) -> str:
    if isinstance(party, BaselineParty):
        return f"Aderant name {party.name_uno} ({party.role}), contact {party.contact_id}"
    return f"{party.name} ({party.role})"


def _keys(*sides: Mapping[str, Any]) -> list[str]:
    """The keys of every side, in first-seen order."""
    return list(dict.fromkeys(key for side in sides for key in side))


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)
