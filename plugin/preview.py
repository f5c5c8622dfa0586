"""Preview: what an import of one matter would create. Reads only; writes nothing anywhere.

Round trips: one agent call for the matter and its parties, then, all at once, the contact
candidates of every party, the Clio Operate check for a work item already carrying the matter id,
and the store reads.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Awaitable, TypeVar

from clients.aderant import MatterDetail
from clients.clio_operate import OdsContact
from clients.errors import RemoteError, RemoteNotFound
from plugin.errors import NotFound
from plugin.mapping import MappedMatter, MappedParty, apply_mapping
from plugin.services import Services
from store.repository import EnvironmentSettings

T = TypeVar("T")


@dataclass(frozen=True)
class Candidate:
    ods_id: str
    name: str
    exact: bool


@dataclass(frozen=True)
class PartyPreview:
    party: MappedParty
    candidates: tuple[Candidate, ...]

    @property
    def default_decision(self) -> str | dict[str, str]:
        exact = next((c for c in self.candidates if c.exact), None)
        return {"link": exact.ods_id} if exact else "create"


@dataclass(frozen=True)
class TeamPreview:
    id: str
    name: str
    role: str


@dataclass
class Preview:
    environment: EnvironmentSettings
    matter: MatterDetail
    mapped: MappedMatter
    parties: list[PartyPreview]
    teams: list[TeamPreview]
    work_item_id: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def already_imported(self) -> bool:
        return self.work_item_id is not None

    @property
    def work_item_url(self) -> str | None:
        return self.environment.work_item_url(self.work_item_id) if self.work_item_id else None

    @property
    def summary(self) -> dict[str, int]:
        links = sum(1 for p in self.parties if p.default_decision != "create")
        return {"create": len(self.parties) - links, "link": links}


async def preview_matter(services: Services, env: EnvironmentSettings, matter_number: str) -> Preview:
    agent = services.connections.agent(env)
    clio = services.connections.clio(env)
    try:
        matter = await agent.get_matter(matter_number)
    except RemoteNotFound:
        raise NotFound(
            f"Matter {matter_number} was not found in Aderant ({env.name}). Check the number and the environment."
        ) from None
    mapping = services.mapping(env)
    mapped = apply_mapping(matter, mapping)

    limit = asyncio.Semaphore(services.concurrency)

    async def bounded(call: Awaitable[T]) -> T:
        async with limit:
            return await call

    names = sorted({search_text(p) for p in mapped.parties})
    results = await asyncio.gather(
        services.db(services.store.imported_matters, env.organisation_id, env.id, [mapped.matter_uno]),
        services.db(services.store.default_teams, env.organisation_id, env.id, mapped.work_type),
        bounded(clio.find_work_items(attributes={mapping.matter_id_attribute: mapped.matter_uno})),
        *(bounded(clio.search_contacts(name)) for name in names),
        return_exceptions=True,
    )
    imported, teams, existing, *found = results
    for result in (imported, teams):
        if isinstance(result, BaseException):
            raise result

    preview = Preview(
        environment=env,
        matter=matter,
        mapped=mapped,
        parties=[],
        teams=[TeamPreview(t.team_id, t.team_name, t.role) for t in teams],  # type: ignore[union-attr]
    )
    record = imported.get(mapped.matter_uno)  # type: ignore[union-attr]
    if record is not None:
        preview.work_item_id = record.work_item_id
    elif isinstance(existing, list) and existing:
        preview.work_item_id = existing[0].id

    failures = [r for r in (existing, *found) if isinstance(r, BaseException)]
    for failure in failures:
        if not isinstance(failure, RemoteError):
            raise failure
    if failures:
        preview.warnings.append(
            f"Candidate contacts could not be looked up: {failures[0]}. "
            "Every party would be created as a new contact; try the preview again to see candidates."
        )
    contacts_by_text = {text: r for text, r in zip(names, found) if isinstance(r, list)}
    preview.parties = [
        PartyPreview(party, _candidates(party, contacts_by_text.get(search_text(party), []))) for party in mapped.parties
    ]
    return preview


LEGAL_FORMS = frozenset({"pty", "ltd", "limited", "proprietary", "inc", "incorporated", "llc", "llp", "plc", "corp", "corporation", "co", "company"})


def search_text(party: MappedParty) -> str:
    """What to search Clio Operate for: an organisation's name without its legal form, so
    "Coastal Freight Pty Ltd" also finds "Coastal Freight Ltd"."""
    if party.kind != "organisation":
        return party.name
    words = party.name.replace(".", " ").replace(",", " ").split()
    kept = [w for w in words if w.lower() not in LEGAL_FORMS]
    return " ".join(kept or words)


def _candidates(party: MappedParty, contacts: list[OdsContact]) -> tuple[Candidate, ...]:
    """Contacts of the party's kind, exact matches (stamped with its Aderant reference) first."""
    same_kind = [c for c in contacts if c.kind == party.kind]
    candidates = [
        Candidate(c.id, c.name, party.reference in (c.reference, c.external_reference)) for c in same_kind
    ]
    return tuple(sorted(candidates, key=lambda c: not c.exact))
