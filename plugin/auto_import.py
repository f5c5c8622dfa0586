"""Auto-import: new Aderant matters of nominated clients that are not imported yet.

The dry run is one batched agent query (matters of the client codes opened since the start
date) and one store query; applying imports each matter with the same engine as a manual
import, attributed to the administrator who approved it. Each party takes the preview's default
decision (plugin.matching.DEFAULT_RULE): it is linked to a contact with strong evidence (its
Aderant reference, a link an earlier import made, or the same e-mail or phone and a close name);
any other becomes a new contact. The plan shows each matter's parties with those decisions
before anything is applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from clients.aderant_models import MatterSummary
from clients.concurrency import gather_bounded
from clients.errors import RemoteError
from plugin.errors import UseCaseError
from plugin.importer import Actor, ImportResult, import_matter
from plugin.preview import PartyPreview, preview_matter
from plugin.services import Services
from store.repository import EnvironmentSettings

# Previews of a plan running at once (each one runs its own lookups concurrently too).
PLAN_PREVIEWS_AT_ONCE = 4


@dataclass(frozen=True)
class AutoImportOutcome:
    matter_number: str
    status: str  # imported | already_imported | failed
    message: str
    result: ImportResult | None = None


@dataclass(frozen=True)
class PlannedParty:
    name: str
    role: str
    link_to: str | None  # the name of the existing contact it will be linked to; None: created

    @property
    def decision(self) -> str:
        return f"Link to existing: {self.link_to}" if self.link_to is not None else "Create new"


@dataclass(frozen=True)
class PlannedImport:
    """What applying auto-import would do to one matter, as its preview says now."""

    matter: MatterSummary
    parties: tuple[PlannedParty, ...] = ()
    already_in_clio: bool = False  # found in Clio Operate: recorded as imported, not created again
    problem: str | None = None  # what the preview warns of, or why it could not be made

    @property
    def create(self) -> int:
        return sum(1 for p in self.parties if p.link_to is None)

    @property
    def link(self) -> int:
        return len(self.parties) - self.create


def clean_client_codes(codes: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c.strip().upper() for c in codes if c.strip()))


async def auto_import_dry_run(services: Services, env: EnvironmentSettings) -> list[MatterSummary]:
    schedule = await services.db(services.store.schedules.schedule, env.organisation_id, env.id)
    if not schedule.auto_import_clients:
        return []
    since = schedule.auto_import_since or date(1900, 1, 1)
    matters = await services.remotes.agent(env).matters_opened_since(schedule.auto_import_clients, since)
    imported = await services.db(
        services.store.imported_matters, env.organisation_id, env.id, [str(m.matter_uno) for m in matters]
    )
    return [m for m in matters if str(m.matter_uno) not in imported and not m.closed]


async def apply_auto_import(
    services: Services, env: EnvironmentSettings, actor: Actor, matter_numbers: Sequence[str] | None = None
) -> list[AutoImportOutcome]:
    """Import the chosen matters of the dry run (all when None), one after another so a slow or
    failing tenant is not flooded; each import runs its own lookups and creates concurrently."""
    candidates = await auto_import_dry_run(services, env)
    if matter_numbers is not None:
        wanted = set(matter_numbers)
        candidates = [m for m in candidates if m.matter_number in wanted]
    outcomes = []
    for matter in candidates:
        try:
            result = await import_matter(services, env, actor, matter.matter_number, trigger="auto-import")
        except UseCaseError as exc:
            outcomes.append(AutoImportOutcome(matter.matter_number, "failed", str(exc)))
            continue
        created, linked = len(result.contacts_created), len(result.contacts_linked)
        noun = "contact" if created == 1 else "contacts"
        message = f"{created} {noun} created, {linked} linked" if result.status == "imported" else "Matter was already imported"
        outcomes.append(AutoImportOutcome(matter.matter_number, result.status, message, result))
    return outcomes


async def auto_import_plan(services: Services, env: EnvironmentSettings, matters: Sequence[MatterSummary]) -> list[PlannedImport]:
    """Each matter's parties with the decision an auto-import would take for them. Writes nothing."""

    async def plan(matter: MatterSummary) -> PlannedImport:
        try:
            preview = await preview_matter(services, env, matter.matter_number)
        except (RemoteError, UseCaseError) as exc:
            return PlannedImport(matter, problem=f"Its parties could not be read: {str(exc).rstrip('.')}.")
        parties = tuple(_planned(p) for p in preview.parties)
        return PlannedImport(
            matter, parties, already_in_clio=preview.already_imported, problem=" ".join(preview.warnings) or None
        )

    return await gather_bounded(matters, plan, PLAN_PREVIEWS_AT_ONCE)


def _planned(party: PartyPreview) -> PlannedParty:
    decision = party.default_decision
    if decision == "create" or not isinstance(decision, dict):
        return PlannedParty(party.party.name, party.party.role, None)
    names = {c.ods_id: c.name for c in party.candidates}
    return PlannedParty(party.party.name, party.party.role, names.get(decision["link"], decision["link"]))
