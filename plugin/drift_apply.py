"""Apply changes from Aderant to imported matters' work items (History → Drift).

A change is named `"{matter_number}|{field}"` (`plugin.drift.Difference.field`). What may be
applied: a value changed in Aderant only (`aderant_only`), and a party added in Aderant
(`party_added`), added as a participant with its contact chosen as at import: a candidate of the
preview's linked (by default the one with strong evidence), else the one contact of its Aderant name
in the environment, claimed in the store as an import claims it, so requests or replicas adding it
to several matters at once create it once. A conflict (`both`) is applied only when the person chose
the Aderant value for it; an edit in Clio Operate (`clio_only`) never, nor a party removed in
Aderant (flagged only: never removed).

Drift is read again (batched, `drift_for`) just before applying, so a change that is no longer what
the person saw (now in conflict, or in step again) is not applied and they are told. Each change is
claimed in the store before it is written (`store.drift_changes`): a double click or a second
replica writes it once. Once written, the matter's baseline moves on to the digest of the value
written (or the party added), so the change no longer shows, and the change is in History (outcome
updated, trigger drift, with the values before and after) and the audit trail (`drift.applied`,
with their digests).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from clients.clio_models import NewParticipant, WorkItemChanges
from clients.concurrency import settle_bounded
from clients.errors import RemoteError
from clients.tracing import current_trace_id
from plugin.drift import Baseline, BaselineParty, Difference, Fingerprint, Kind, MatterDrift
from plugin.drift_reads import drift_for
from plugin.errors import InvalidInput, UseCaseError
from plugin.importer import CLAIM_LEASE, Contacts, Decision, OutcomeUnknown
from plugin.mapping import MappedParty
from plugin.preview import PartyPreview, Preview, preview_matter
from plugin.services import Services
from store.clock import utcnow
from store.drift_changes import TRIGGER, ChangeClaim, ChangeToApply
from store.imports import Attempt, ImportedBaseline, settling_message
from store.repository import EnvironmentSettings
from store.required import required

log = logging.getLogger("pms_sync.drift_apply")

SEPARATOR = "|"
APPLICABLE: frozenset[Kind] = frozenset({"aderant_only", "party_added"})
# A request that died while writing a change holds it this long; then a retry takes it over.
CHANGE_LEASE = timedelta(seconds=60)
REFUSED: dict[Kind, str] = {
    "both": "In conflict with an edit in Clio Operate: choose the Aderant value for it to overwrite that edit.",
    "clio_only": "Edited in Clio Operate only: PMS Sync leaves it as it is.",
    "party_removed": "Removed in Aderant: PMS Sync never removes a participant; remove it in Clio Operate if it should go.",
}
NO_LONGER = "No longer differs from Aderant: nothing to apply."
ALREADY = "Already applied."
BEING_APPLIED = "Being applied by another request: open the page again in a moment."
NOT_IMPORTED = "Not an imported matter of this environment."
NOT_A_CANDIDATE = "The contact chosen is not one of the party's candidates now: open the page again and choose again."


def change_id(matter_number: str, difference: Difference) -> str:
    return f"{matter_number}{SEPARATOR}{difference.field}"


@dataclass(frozen=True)
class Selection:
    """What a person chose: `changes` by id, `conflicts` (ids) whose Aderant value they chose, and
    every applicable change of the matters in `whole_matters`, or of all when `everything`;
    `contacts`: for a party added, by change id, "create" or {"link": contact id} (else the
    import's default decision)."""

    changes: frozenset[str] = frozenset()
    conflicts: frozenset[str] = frozenset()
    whole_matters: frozenset[str] = frozenset()
    everything: bool = False
    contacts: Mapping[str, Decision] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for chosen in (*self.changes, *self.conflicts):
            number, _, field_name = chosen.partition(SEPARATOR)
            if not number or not field_name:
                raise InvalidInput(f"{chosen!r} is not a change: expected matter number|field.")
        if not (self.changes or self.conflicts or self.whole_matters or self.everything):
            raise InvalidInput("Tick the changes to apply first: nothing was applied.")

    @property
    def matter_numbers(self) -> list[str] | None:
        """The matters concerned (None: all)."""
        if self.everything:
            return None
        return sorted({c.partition(SEPARATOR)[0] for c in (*self.changes, *self.conflicts)} | self.whole_matters)

    def wants(self, matter_number: str, difference: Difference) -> bool:
        chosen = change_id(matter_number, difference)
        whole = self.everything or matter_number in self.whole_matters
        return chosen in self.changes or chosen in self.conflicts or (whole and difference.kind in APPLICABLE)

    def allows(self, matter_number: str, difference: Difference) -> str | None:
        """Why the chosen `difference` is not applied (None: it is)."""
        if difference.kind in APPLICABLE:
            return None
        if difference.kind == "both" and change_id(matter_number, difference) in self.conflicts:
            return None
        return REFUSED[difference.kind]

    def gone(self, found: Iterable[str]) -> list[str]:
        """Chosen ids among the matters read that no longer differ."""
        return sorted((self.changes | self.conflicts) - set(found))


@dataclass(frozen=True)
class ApplyOutcome:
    change_id: str
    label: str
    applied: bool
    message: str


async def apply_drift_changes(
    services: Services, env: EnvironmentSettings, user_name: str, selection: Selection
) -> list[ApplyOutcome]:
    """Apply the changes chosen (module docstring), each matter at once up to the services' bound."""
    drifts = await drift_for(services, env, selection.matter_numbers)
    records = {r.matter_number: r for r in await _records(services, env, [d.matter_number for d in drifts])}

    async def one(drift: MatterDrift) -> list[ApplyOutcome]:
        return await _Matter(services, env, user_name, drift, records.get(drift.matter_number)).apply(selection)

    # Every matter's writes run to their end (each is claimed and recorded), then a failure is raised.
    settled = await settle_bounded(drifts, one, services.concurrency)
    failures = [s for s in settled if isinstance(s, Exception)]
    for other in failures[1:]:
        log.error("applying changes since import to another matter failed too: %s", type(other).__name__, exc_info=other)
    if failures:
        raise failures[0]
    outcomes = [o for matter in settled if not isinstance(matter, Exception) for o in matter]
    read = {d.matter_number: d for d in drifts}
    seen = [change_id(d.matter_number, x) for d in drifts for x in d.differences]
    return outcomes + [_gone(gone, read.get(gone.partition(SEPARATOR)[0])) for gone in selection.gone(seen)]


def _gone(chosen: str, drift: MatterDrift | None) -> ApplyOutcome:
    """A change chosen that drift no longer shows: in step again, or its matter not compared now."""
    if drift is None:
        why = NOT_IMPORTED
    elif drift.status != "compared":
        why = drift.message
    else:
        why = NO_LONGER
    return ApplyOutcome(chosen, chosen.partition(SEPARATOR)[2], False, why)


async def _records(services: Services, env: EnvironmentSettings, numbers: Sequence[str]) -> list[ImportedBaseline]:
    if not numbers:
        return []
    return await services.db(
        services.store.imports.baselines, env.organisation_id, env.id, matter_numbers=numbers, limit=len(numbers)
    )


@dataclass
class _Matter:
    """The changes chosen of one imported matter."""

    services: Services
    env: EnvironmentSettings
    user_name: str
    drift: MatterDrift
    record: ImportedBaseline | None

    async def apply(self, selection: Selection) -> list[ApplyOutcome]:
        number = self.drift.matter_number
        chosen = [d for d in self.drift.differences if selection.wants(number, d)]  # none unless compared
        if not chosen:
            return []
        baseline, fingerprint = self._baseline()
        refused = [(d, selection.allows(number, d)) for d in chosen]
        outcomes = [self._outcome(d, False, why) for d, why in refused if why]
        allowed = [d for d, why in refused if not why]
        values = [d for d in allowed if not d.field.startswith("party:")]
        parties = [d for d in allowed if d.field.startswith("party:")]
        if values:
            outcomes += await self._values(values, baseline, fingerprint)
        if parties:
            outcomes += await self._parties(parties, baseline, fingerprint, selection.contacts)
        return outcomes

    @property
    def _record(self) -> ImportedBaseline:
        """The import drift compared against: there whenever a change of the matter was chosen."""
        return required(self.record, f"the import of matter {self.drift.matter_number}")

    def _baseline(self) -> tuple[Baseline, Fingerprint]:
        """The matter's baseline and its key (drift compared it: both are there)."""
        number = self.drift.matter_number
        kept = required(self._record.baseline, f"the baseline of matter {number}")
        baseline = required(Baseline.from_json(kept), f"a baseline of matter {number} in the version compared")
        key = self.services.store.secrets.fingerprint_for(baseline.key_id)
        fingerprint = required(key, f"the key {baseline.key_id} of matter {number}'s baseline")
        return baseline, fingerprint

    def _change(self, difference: Difference, before: str | None, after: str | None, key_id: str) -> ChangeToApply:
        record = self._record
        return ChangeToApply(
            self.env.organisation_id, self.env.id, record.import_id, record.matter_uno,
            self.drift.matter_number, self.drift.work_item_id, difference.field, before or "", after or "", key_id,
            self.user_name, current_trace_id(),
        )

    async def _claim(self, change: ChangeToApply, still_before: Callable[[Baseline], bool]) -> ChangeClaim:
        def holds(data: dict[str, Any] | None) -> bool:
            kept = Baseline.from_json(data) if data is not None else None
            return kept is not None and still_before(kept)

        return await self.services.db(self.services.store.drift_changes.claim, change, CHANGE_LEASE, holds)

    async def _values(self, differences: list[Difference], baseline: Baseline, fingerprint: Fingerprint) -> list[ApplyOutcome]:
        """Title, reference and key dates in one update of the work item, each attribute on its own."""
        claimed: list[tuple[Difference, ChangeToApply, ChangeClaim]] = []
        outcomes = []
        for d in differences:
            before, after = baseline.digest_of(d.field), fingerprint(d.aderant)
            if before == after:  # written by another request since this one read drift
                outcomes.append(self._outcome(d, True, ALREADY))
                continue
            change = self._change(d, before, after, fingerprint.key_id)
            claim = await self._claim(change, partial(_still_holds, d.field, before))
            if claim.kind == "claimed":
                claimed.append((d, change, claim))
            else:
                outcomes.append(self._outcome(d, claim.kind == "applied", _not_claimed(claim)))
        clio = self.services.remotes.clio(self.env)
        work_item = [entry for entry in claimed if not entry[0].field.startswith("attribute:")]
        if work_item:
            changes = _work_item_changes([d for d, _, _ in work_item])
            outcomes += await self._write(work_item, clio.update_work_item(self.drift.work_item_id, changes))
        for entry in claimed:
            d = entry[0]
            if d.field.startswith("attribute:"):
                target = d.field.partition(":")[2]
                outcomes += await self._write([entry], clio.set_attribute(self.drift.work_item_id, target, d.aderant))
        return outcomes

    async def _write(
        self, entries: list[tuple[Difference, ChangeToApply, ChangeClaim]], write: Awaitable[None]
    ) -> list[ApplyOutcome]:
        """Send one write covering `entries`, then record each change's outcome."""
        store = self.services.store.drift_changes
        try:
            await write
        except RemoteError as exc:
            for d, change, claim in entries:
                await self.services.db(store.failed, change, claim, str(exc), _details(d))
            return [self._outcome(d, False, f"Not applied: {exc}. It is safe to apply again.") for d, _, _ in entries]
        for d, change, claim in entries:
            digest = change.after_digest or None

            def moved_on(data: dict[str, Any] | None, field: str = d.field, digest: str | None = digest) -> dict[str, Any]:
                return _kept(data).with_value(field, digest).to_json()

            await self.services.db(store.applied, change, claim, moved_on, _details(d))
        return [self._outcome(d, True, "Applied in Clio Operate.") for d, _, _ in entries]

    async def _parties(
        self, differences: list[Difference], baseline: Baseline, fingerprint: Fingerprint, contacts: Mapping[str, Decision]
    ) -> list[ApplyOutcome]:
        """Each party added as a participant, its contact the one chosen among the preview's
        candidates, or created; else as an import decides by default."""
        preview = await preview_matter(self.services, self.env, self.drift.matter_number)
        found = {(p.party.name_uno, p.party.role): p for p in preview.parties}
        clio = self.services.remotes.clio(self.env)
        present = {(p.role, p.ods_id) for p in await clio.participants(self.drift.work_item_id)}
        outcomes = []
        for d in differences:
            party = found.get((int(d.field.partition(":")[2]), d.aderant or ""))
            if party is None:
                outcomes.append(self._outcome(d, False, NO_LONGER))
                continue
            decision = contacts.get(change_id(self.drift.matter_number, d), party.default_decision)
            if isinstance(decision, dict) and decision["link"] not in {c.ods_id for c in party.candidates}:
                outcomes.append(self._outcome(d, False, NOT_A_CANDIDATE))
                continue
            outcomes.append(await self._party(d, preview, party, decision, present, baseline, fingerprint))
        return outcomes

    async def _party(
        self, d: Difference, preview: Preview, chosen: PartyPreview, decision: Decision, present: set[tuple[str, str]],
        baseline: Baseline, fingerprint: Fingerprint,
    ) -> ApplyOutcome:
        party = chosen.party
        if any((p.name_uno, p.role) == (party.name_uno, party.role) for p in baseline.parties):
            return self._outcome(d, True, ALREADY)  # added by another request since this one read drift
        change = self._change(d, None, fingerprint(party.role), fingerprint.key_id)
        claim = await self._claim(change, lambda kept: all((p.name_uno, p.role) != (party.name_uno, party.role) for p in kept.parties))
        if claim.kind != "claimed":
            return self._outcome(d, claim.kind == "applied", _not_claimed(claim))
        store = self.services.store.drift_changes
        clio = self.services.remotes.clio(self.env)
        try:
            contact_id = decision["link"] if isinstance(decision, dict) else await self._created(preview, party, change, claim)
            if (party.role, contact_id) not in present:  # a retry after a lost answer adds it once
                await clio.add_participant(self.drift.work_item_id, NewParticipant(party.role, contact_id, party.kind, party.name))
        except (RemoteError, UseCaseError) as exc:
            await self.services.db(store.failed, change, claim, str(exc), _details(d))
            return self._outcome(d, False, f"Not applied: {exc}. It is safe to apply again.")
        except OutcomeUnknown as exc:
            message = f"Not applied: {exc.cause}. " + settling_message(exc.what, utcnow() + self.services.settle)
            await self.services.db(store.failed, change, claim, message, _details(d))
            return self._outcome(d, False, message)
        added = BaselineParty(party.name_uno, party.kind, party.role, contact_id)

        def moved_on(data: dict[str, Any] | None) -> dict[str, Any]:
            return _kept(data).with_party(added).to_json()

        details = {**_details(d), "contact_id": contact_id, "role": party.role}
        await self.services.db(store.applied, change, claim, moved_on, details, contact_id)
        return self._outcome(d, True, f"Added in Clio Operate as {chosen.role_name or party.role}.")

    async def _created(self, preview: Preview, party: MappedParty, change: ChangeToApply, claim: ChangeClaim) -> str:
        """The one contact of the party's Aderant name in the environment, claimed in the store as an
        import claims it (`plugin.importer.Contacts`): requests or replicas adding the party to
        different matters at once create it once, and one whose create lost its answer finds it."""
        attempt = Attempt(
            self.env.organisation_id, self.env.id, change.matter_uno, change.matter_number, self.user_name, TRIGGER,
            change.request_id,
        )
        imports = self.services.store.imports
        slots = await self.services.db(imports.claim_contacts, attempt, claim, [party.name_uno], CLAIM_LEASE)
        contacts = Contacts(self.services, self.services.remotes.clio(self.env), attempt, claim, recorded={}, slots=slots)
        made = await contacts.make(preview, {p.party.key: "create" for p in preview.parties}, work_item_next=False)
        return made.ids[party.name_uno]

    def _outcome(self, d: Difference, applied: bool, message: str) -> ApplyOutcome:
        return ApplyOutcome(change_id(self.drift.matter_number, d), d.label, applied, message)


def _work_item_changes(differences: list[Difference]) -> WorkItemChanges:
    values = {d.field: d.aderant for d in differences}
    return WorkItemChanges(
        title=values.get("title"),
        reference=values.get("reference"),
        key_dates={f.partition(":")[2]: v for f, v in values.items() if f.startswith("key_date:")},
    )


def _still_holds(field_name: str, digest: str | None, kept: Baseline) -> bool:
    """Whether the stored baseline still holds `digest` for `field_name`: nobody applied it meanwhile."""
    return kept.digest_of(field_name) == digest


def _kept(data: dict[str, Any] | None) -> Baseline:
    baseline = Baseline.from_json(data) if data is not None else None
    if baseline is None:
        raise ValueError("the matter's baseline changed version while a change was applied")
    return baseline


def _details(d: Difference) -> dict[str, Any]:
    """What History keeps of a change: which field, what kind, and its values before (Clio Operate's,
    as the write found it; none for a party added) and after (Aderant's, as written). The audit
    event carries their digests only, so no client data leaves for the SIEM."""
    before = None if d.kind == "party_added" else d.clio
    return {"drift": {"field": d.field, "kind": d.kind, "label": d.label, "before": before, "after": d.aderant}}


def _not_claimed(claim: ChangeClaim) -> str:
    if claim.kind == "applied":
        return ALREADY
    return BEING_APPLIED
