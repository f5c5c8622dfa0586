"""Preview: what an import of one matter would create. It writes nothing in Clio Operate; what it
learns about a matter's work item it records, so search, preview, History and close-sync agree:
a work item found in Clio Operate without a completed import of ours (adopted, or an earlier
attempt's whose answer was lost), and an imported work item Clio Operate no longer has (deleted).

Round trips: one agent call for the matter and its parties, then, all at once, the contact
candidates of every party, the Clio Operate check for a work item already carrying the matter id,
one store read (the matter's import record and the links earlier imports made for these parties)
and the work type names (read at most every few minutes: plugin/display_names.py). The mapping,
default teams and loaded roles come from the settings cache (plugin/settings_cache.py), which
reads nothing when the settings did not change. Candidates are scored with reasons (plugin/matching.py), and the
Aderant data gets data-quality notes (plugin/data_quality.py); neither writes anything.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from clients.aderant import MatterDetail
from clients.clio_models import OdsContact, ParticipantRole, WorkItemRef
from clients.clio_operate import ClioOperateClient
from clients.concurrency import gather_bounded
from clients.errors import RemoteError, RemoteNotFound, answer_or_error
from clients.tracing import current_trace_id
from plugin.data_quality import Note, matter_notes, party_notes
from plugin.display_names import key_date_name, known_work_type_names, readable, work_type_name
from plugin.errors import NotFound
from plugin.mapping import MappedMatter, MappedParty, apply_mapping, rule_anchor
from plugin.matching import DEFAULT_RULE, LEGAL_FORMS, PartyFacts, PreviousLink, match
from plugin.remote_waits import WaitingFor
from plugin.services import Services
from plugin.work_type_roles import not_loaded
from store.imports import Attempt
from store.party_links import RememberedLink
from store.repository import EnvironmentSettings


@dataclass(frozen=True)
class Candidate:
    """An existing contact the party could be linked to, with what tells it apart."""

    ods_id: str
    name: str
    exact: bool  # stamped with the party's Aderant reference
    score: int = 0
    reasons: tuple[str, ...] = ()
    strong: bool = False  # evidence enough to link by default (plugin.matching.DEFAULT_RULE)
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    address: str | None = None
    reference: str | None = None  # its external reference (an import stamps the Aderant one), else its reference
    created: datetime | None = None
    url: str | None = None  # its page in Clio Operate


@dataclass(frozen=True)
class PartyPreview:
    party: MappedParty
    candidates: tuple[Candidate, ...]
    role_problem: str | None = None
    work_type: str = ""
    notes: tuple[str, ...] = ()  # data-quality notes: they inform, never block
    role_name: str = ""  # the role as Clio Operate names it

    @property
    def mapping_anchor(self) -> str:
        """Where on Settings → Mapping the rule that gave the party its role is edited."""
        return rule_anchor(self.party, self.work_type)

    @property
    def default_decision(self) -> str | dict[str, str]:
        """Link the best candidate with strong evidence, else create (candidates are sorted by score)."""
        strong = next((c for c in self.candidates if c.strong), None)
        return {"link": strong.ods_id} if strong else "create"


@dataclass(frozen=True)
class TeamPreview:
    id: str
    name: str
    role: str
    problem: str | None = None  # why it would not be added
    role_name: str = ""


@dataclass
class Preview:
    environment: EnvironmentSettings
    matter: MatterDetail
    mapped: MappedMatter
    parties: list[PartyPreview]
    teams: list[TeamPreview]
    work_item_id: str | None = None
    warnings: list[str] = field(default_factory=list)
    existing_checked: bool = False
    deleted_work_item_id: str | None = None  # imported, then deleted in Clio Operate
    notes: list[Note] = field(default_factory=list)  # data-quality notes on the matter and its key dates
    rule: str = DEFAULT_RULE
    work_type_name: str = ""  # as Clio Operate names it
    baseline: dict[str, Any] | None = None  # what our import of it wrote (plugin/drift.py), when kept

    @property
    def key_date_names(self) -> dict[str, str]:
        return {kind: key_date_name(kind) for kind in self.mapped.key_dates}

    @property
    def deleted(self) -> bool:
        return self.deleted_work_item_id is not None

    @property
    def already_imported(self) -> bool:
        return self.work_item_id is not None

    @property
    def work_item_url(self) -> str | None:
        return self.environment.work_item_url(self.work_item_id) if self.work_item_id else None

    @property
    def role_problems(self) -> list[PartyPreview]:
        return [p for p in self.parties if p.role_problem]

    @property
    def blocked(self) -> str | None:
        """Why an import of this preview would be refused (a party's role its work type does not
        allow), in the words the import refuses it with; None when nothing blocks it."""
        problems = [f"{p.party.name}: {p.role_problem}" for p in self.role_problems]
        if not problems:
            return None
        return (
            "The mapping gives a party a role this work type does not allow (" + "; ".join(problems) + ") "
            "Ask your administrator to fix the mapping, then import again."
        )

    @property
    def summary(self) -> dict[str, int]:
        links = sum(1 for p in self.parties if p.default_decision != "create")
        return {"create": len(self.parties) - links, "link": links}


async def preview_matter(
    services: Services,
    env: EnvironmentSettings,
    matter_number: str,
    *,
    seen_by: str | None = None,
    waiting_for: WaitingFor | None = None,
) -> Preview:
    """`seen_by` (who looks) records a work item found in Clio Operate without our completed
    import as imported; without it (the import itself) the caller records it. `waiting_for` is
    told each remote system as the preview starts asking it: Aderant, then Clio Operate."""
    agent = services.remotes.agent(env)
    clio = services.remotes.clio(env)
    if waiting_for is not None:
        waiting_for("Aderant")
    try:
        matter = await agent.get_matter(matter_number)
    except RemoteNotFound:
        raise NotFound(
            f"Matter {matter_number} was not found in Aderant ({env.name}). Check the number and the environment."
        ) from None
    configuration = await services.configuration(env)
    mapped = apply_mapping(matter, configuration.mapping)

    if waiting_for is not None:
        waiting_for("Clio Operate")
    texts = sorted({search_text(p) for p in mapped.parties})
    references = sorted({p.reference for p in mapped.parties})
    (record, linked_before), existing, type_names, found = await asyncio.gather(
        services.db(services.store.imports.record_and_links, env.organisation_id, env.id, mapped.matter_uno, references),
        answer_or_error(find_imported(clio, mapped)),
        known_work_type_names(clio, configuration.work_type_names),
        # The work item check beside them takes one of the bound's places.
        gather_bounded(texts, lambda text: answer_or_error(clio.search_contacts(text)), max(1, services.concurrency - 1)),
    )
    allowed = configuration.roles.get(mapped.work_type)

    preview = Preview(environment=env, matter=matter, mapped=mapped, parties=[], teams=[])
    preview.work_type_name = work_type_name(type_names, mapped.work_type)
    found_ids = [w.id for w in existing] if isinstance(existing, list) else None
    if record is not None and record.status == "imported" and record.work_item_id is not None:
        preview.work_item_id, preview.baseline = record.work_item_id, record.baseline
        if found_ids is not None and record.work_item_id not in found_ids and await _deleted(clio, record.work_item_id):
            await services.db(services.store.imports.mark_deleted, env.organisation_id, env.id, record.work_item_id, seen_by or "PMS Sync")
            preview.work_item_id, preview.deleted_work_item_id, preview.baseline = None, record.work_item_id, None
    elif record is not None and record.status == "deleted":
        preview.deleted_work_item_id = record.work_item_id
    elif found_ids:
        preview.work_item_id = found_ids[0]
        if seen_by is not None:
            seen = Attempt(env.organisation_id, env.id, mapped.matter_uno, mapped.matter_number, seen_by, "preview", current_trace_id())
            await services.db(services.store.imports.already_imported, seen, found_ids[0])
    preview.existing_checked = isinstance(existing, list)

    failures = [r for r in (existing, *found) if isinstance(r, RemoteError)]
    if failures:
        preview.warnings.append(
            f"Clio Operate could not be asked about contacts or existing work items: {failures[0]}. "
            "Candidates could not be looked up, and the import cannot go ahead until it answers: try again shortly."
        )
    if allowed is None:
        preview.warnings.append(not_loaded(mapped.work_type))
    by_text = {text: r for text, r in zip(texts, found, strict=True) if isinstance(r, list)}
    preview.parties = [
        PartyPreview(
            party,
            candidates_of(env, party, by_text.get(search_text(party), []), linked_before.get(party.reference)),
            _role_problem(party, allowed, mapped.work_type),
            work_type=mapped.work_type,
            notes=tuple(party_notes(party, mapped.parties)),
            role_name=role_name(party.role, allowed),
        )
        for party in mapped.parties
    ]
    preview.notes = matter_notes(matter, mapped, datetime.now(UTC).date())
    preview.teams = [
        TeamPreview(t.team_id, t.team_name, t.role, _team_problem(t.role, allowed, mapped.work_type), role_name(t.role, allowed))
        for t in configuration.teams_for(mapped.work_type)
    ]
    preview.warnings += [
        f"{p.party.name}: {p.role_problem} The import will fail until your administrator fixes the mapping."
        for p in preview.parties
        if p.role_problem
    ]
    preview.warnings += [f"Default team {t.name} will not be added: {t.problem}" for t in preview.teams if t.problem]
    return preview


async def _deleted(clio: ClioOperateClient, work_item_id: str) -> bool:
    """Clio Operate answers 404 for the work item (a deleted one is not found: reference/sharedo-api.md
    §2.2); any other failure proves nothing."""
    try:
        await clio.phase(work_item_id)
    except RemoteNotFound:
        return True
    except RemoteError:
        return False
    return False


async def find_imported(clio: ClioOperateClient, mapped: MappedMatter) -> list[WorkItemRef]:
    """Work items already carrying the matter id in its identity field. A hit whose value, read
    back, is another id is not this matter; one whose value could not be read back is kept, so a
    matter is never imported twice on a guess."""
    found = await clio.find_work_items(attributes=mapped.identity)
    return [w for w in found if all(w.attributes.get(f) in (None, value) for f, value in mapped.identity.items())]


def search_text(party: MappedParty) -> str:
    """What to search Clio Operate for: an organisation's name without its legal form, so
    "Coastal Freight Pty Ltd" also finds "Coastal Freight Ltd"."""
    if party.kind != "organisation":
        return party.name
    words = party.name.replace(".", " ").replace(",", " ").split()
    kept = [w for w in words if w.lower() not in LEGAL_FORMS]
    return " ".join(kept or words)


def candidates_of(
    env: EnvironmentSettings, party: MappedParty, contacts: list[OdsContact], linked_before: RememberedLink | None
) -> tuple[Candidate, ...]:
    """Contacts of the party's kind, best match first."""
    facts = PartyFacts.of(party.party, party.reference)
    previous = PreviousLink(linked_before.ods_id, linked_before.linked_by, linked_before.linked_at) if linked_before else None
    candidates = []
    for contact in contacts:
        if contact.kind != party.kind:
            continue
        found = match(facts, contact, previous)
        candidates.append(Candidate(
            ods_id=contact.id,
            name=contact.name,
            exact=party.reference in (contact.reference, contact.external_reference),
            score=found.score,
            reasons=found.reasons,
            strong=found.strong,
            emails=contact.emails,
            phones=contact.phones,
            address=contact.addresses[0].text if contact.addresses else None,
            reference=contact.external_reference or contact.reference,
            created=contact.created,
            url=env.contact_url(contact.kind, contact.id),
        ))
    return tuple(sorted(candidates, key=lambda c: (-c.score, c.name.casefold(), c.ods_id)))


def role_name(role: str | None, roles: dict[str, ParticipantRole] | None) -> str:
    """The role's name as loaded for the work type, else its system name made readable."""
    if not role:
        return ""
    loaded = (roles or {}).get(role)
    return loaded.name if loaded is not None and loaded.name != role else readable(role)


def _role_problem(party: MappedParty, roles: dict[str, ParticipantRole] | None, work_type: str) -> str | None:
    return _problem(party.role, party.kind, roles, work_type)


def _team_problem(role: str, roles: dict[str, ParticipantRole] | None, work_type: str) -> str | None:
    return _problem(role, "team", roles, work_type)


def _problem(role: str, kind: str, roles: dict[str, ParticipantRole] | None, work_type: str) -> str | None:
    if roles is None:
        return None
    found = roles.get(role)
    if found is None:
        return f"the role {role} is not valid for work type {work_type}."
    if not found.takes(kind):
        return f"the role {role} of work type {work_type} does not take a {kind}."
    return None
