"""Import one Aderant matter into Clio Operate: exactly once, resumable, audited.

Order of work: the write gate; a fresh preview (the same reads the user saw, so decisions are
checked against real candidates, and Clio Operate is asked for a work item already carrying the
matter id); the claim in the store (a unique key on the Aderant matter id), in one transaction
with the claims of the contacts the user chose to create; those contacts, all at once, recorded in
one transaction once every create has answered, which also notes the work item's create as sent
(unless a create failed, or the import resumes one that may have created its work item: that one
looks for it first); then one call creating the work item with its attributes, key dates, parties,
the importing user (in the environment's role, contributor unless the administrator changed it)
and the valid default teams. So the store is written once between the contact searches and the
creates, and once between the creates and the work item (in the 50-party import of
`benchmarks/import_depth.py`, medians of 12 runs: 12.6 → 6.1 ms before the creates, where it took
three calls, and 9.4 → 5.5 ms after them, where it took two; benchmarks/README.md). A failure
releases the claim; a retry takes it over and reuses what exists. A success is recorded with its
baseline, which drift is measured from (plugin/drift.py): the contact each party became and
digests of the mapped values written, never the values themselves.

Exactly once, in every failure: the claim's lease is short and renewed by a heartbeat while the
import runs, so a dead holder's claim is taken over within `CLAIM_LEASE`; every contact is claimed
per (environment, Aderant name) before it is created, so imports sharing a party create it once; a
create that timed out is recorded as unknown and is not sent again until Clio Operate, asked again
by its Aderant id, shows nothing after the settle window (`Services.settle`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from clients.clio_models import NewParticipant, NewWorkItem
from clients.concurrency import settle_bounded
from clients.errors import RemoteError, RemoteTimeout
from clients.tracing import current_trace_id
from plugin.clio_settings import ClioShapeSettings
from plugin.contact_writes import create_contact, find_contact_by_reference
from plugin.drift import Baseline, baseline_of
from plugin.errors import Forbidden, InvalidInput, NotConfigured, NotFound, UseCaseError
from plugin.mapping import MappedParty
from plugin.preview import Preview, find_imported, preview_matter
from plugin.services import Services
from store.clock import utcnow
from store.imports import Attempt, Claim, ClaimedImport, ContactHolder, ContactSlot, ExistingContact, settling_message
from store.repository import EnvironmentSettings
from store.required import required

log = logging.getLogger("pms_sync.importer")

WRITES_DISABLED = "Import writes are not enabled"
# A running import renews its claim every HEARTBEAT; a claim not renewed for CLAIM_LEASE has lost
# its holder (a crashed or stopped process) and is taken over.
CLAIM_LEASE = timedelta(seconds=15)
HEARTBEAT = timedelta(seconds=5)
# How long an import waits for another one creating a contact it needs (one create call).
CONTACT_WAIT_SECONDS = 15.0
CONTACT_POLL_SECONDS = 0.1
RETRY_SAFE = "Nothing was lost: it is safe to import again."


class ImportInProgress(UseCaseError):
    """Not now: the matter (or a contact it needs) is being imported, or cannot be yet."""


class ImportSettling(ImportInProgress):
    """A write whose outcome is unknown may still land in Clio Operate: try again after `retry_after`."""

    def __init__(self, message: str, retry_after: datetime) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WorkItemDeleted(ImportInProgress):
    """The matter's work item was deleted in Clio Operate; an administrator releases it first."""


class OutcomeUnknown(Exception):
    """A create call timed out: Clio Operate may have applied it, or may still."""

    def __init__(self, what: str, cause: RemoteTimeout, *, work_item: bool) -> None:
        super().__init__(str(cause))
        self.what = what
        self.cause = cause
        self.work_item = work_item


class ImportFailed(UseCaseError):
    """The attempt failed and is in History; ``blocked`` when configuration, not a remote, is at fault."""

    def __init__(self, message: str, attempt_id: int, *, timed_out: bool = False, blocked: bool = False) -> None:
        super().__init__(message)
        self.attempt_id = attempt_id
        self.timed_out = timed_out
        self.blocked = blocked


@dataclass(frozen=True)
class Actor:
    """Who imports, in an organisation.

    `clio_user_id` is their Clio Operate user id (also their ODS person id) in the environment
    they signed in through; a member signed in outside Clio Operate has none.
    """

    user_id: str
    user_name: str
    organisation_id: int
    clio_user_id: str | None = None
    signed_in_environment_id: int | None = None


@dataclass
class ImportResult:
    status: str  # imported | already_imported
    attempt_id: int
    work_item_id: str
    work_item_url: str
    contacts_created: list[dict[str, str]] = field(default_factory=list)
    contacts_linked: list[dict[str, str]] = field(default_factory=list)
    teams_added: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    title: str | None = None  # the work item's, as created
    baseline: Baseline | None = None  # what the import wrote, kept for drift

    def details(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "contacts": {"created": self.contacts_created, "linked": self.contacts_linked},
            "teams_added": self.teams_added,
            "warnings": self.warnings,
        }


Decision = str | dict[str, str]  # "create" or {"link": ods id}


IMPORT_OUTCOMES: tuple[tuple[type[BaseException], str], ...] = (
    (ImportSettling, "settling"),
    (WorkItemDeleted, "deleted"),
    (ImportInProgress, "in_progress"),
    (Forbidden, "refused"),
    (InvalidInput, "refused"),
    (NotFound, "refused"),
    (NotConfigured, "refused"),
)


async def import_matter(
    services: Services,
    env: EnvironmentSettings,
    actor: Actor,
    matter_number: str,
    decisions: object = None,
    *,
    trigger: str = "manual",
) -> ImportResult:
    """Import one matter (module docstring); its outcome is reported to `services.telemetry`."""
    try:
        result = await _import_matter(services, env, actor, matter_number, decisions, trigger=trigger)
    except BaseException as exc:
        services.telemetry.import_finished(_outcome_of(exc))
        raise
    services.telemetry.import_finished(result.status)
    return result


def _outcome_of(exc: BaseException) -> str:
    """Most specific first: ImportSettling and WorkItemDeleted are kinds of ImportInProgress."""
    for kind, outcome in IMPORT_OUTCOMES:
        if isinstance(exc, kind):
            return outcome
    return "failed"


async def _import_matter(
    services: Services,
    env: EnvironmentSettings,
    actor: Actor,
    matter_number: str,
    decisions: object,
    *,
    trigger: str,
) -> ImportResult:
    imports = services.store.imports
    attempt = Attempt(actor.organisation_id, env.id, None, matter_number, actor.user_name, trigger, current_trace_id())
    if not env.import_writes_enabled:
        await services.db(imports.refuse, attempt, WRITES_DISABLED)
        raise Forbidden(WRITES_DISABLED)
    try:
        preview = await preview_matter(services, env, matter_number)
    except (RemoteError, NotFound, NotConfigured) as exc:
        attempt_id = await services.db(imports.fail, attempt, None, str(exc))
        if not isinstance(exc, RemoteError):
            raise
        raise ImportFailed(_failure_message(exc), attempt_id, timed_out=isinstance(exc, RemoteTimeout)) from exc
    attempt = replace(attempt, matter_uno=preview.mapped.matter_uno)
    if preview.work_item_id is not None:  # already imported, whatever the decisions were: they may predate the import
        attempt_id = await services.db(imports.already_imported, attempt, preview.work_item_id)
        return _already(env, attempt_id, preview.work_item_id)
    try:
        chosen = resolve_decisions(preview, decisions)
    except InvalidInput as exc:
        await services.db(imports.refuse, attempt, str(exc))
        raise
    if not preview.existing_checked:
        error = preview.warnings[0] if preview.warnings else "Clio Operate could not be checked."
        attempt_id = await services.db(imports.fail, attempt, None, error)
        raise ImportFailed(f"{error} {RETRY_SAFE}", attempt_id)
    if preview.blocked:
        attempt_id = await services.db(imports.fail, attempt, None, preview.blocked)
        raise ImportFailed(preview.blocked, attempt_id, blocked=True)

    to_create = [p.party.name_uno for p in preview.parties if chosen[p.party.key] == "create"]
    taken = await services.db(imports.claim_with_contacts, attempt, CLAIM_LEASE, services.settle, to_create)
    claim = taken.claim
    if claim.kind == "imported":
        return _already(env, claim.attempt_id, required(claim.work_item_id, "an imported matter's work item"))
    if claim.kind == "settling":
        raise ImportSettling(
            required(claim.message, "why the import is settling"), required(claim.retry_after, "when it may be retried")
        )
    if claim.kind == "deleted":
        raise WorkItemDeleted(claim.message or "")
    if claim.kind == "in_progress":
        raise ImportInProgress(claim.message or "")
    heartbeat = asyncio.create_task(_heartbeat(services, claim))
    try:
        result = await _write(services, env, actor, preview, chosen, attempt, taken)
    except OutcomeUnknown as exc:
        message = f"The import did not complete: {exc.cause}. " + settling_message(exc.what, utcnow() + services.settle)
        await services.db(imports.fail, attempt, claim, message, unknown=exc.work_item)
        raise ImportFailed(message, claim.attempt_id, timed_out=True) from exc.cause
    except UseCaseError as exc:
        await services.db(imports.fail, attempt, claim, str(exc))
        raise
    except RemoteError as exc:
        await services.db(imports.fail, attempt, claim, str(exc))
        raise ImportFailed(_failure_message(exc), claim.attempt_id, timed_out=isinstance(exc, RemoteTimeout)) from exc
    except BaseException as exc:  # a cancelled import (the service stopping) may have sent its create
        unknown = not isinstance(exc, Exception)
        await services.db(imports.fail, attempt, claim, f"Unexpected error: {type(exc).__name__}", unknown=unknown)
        raise
    finally:
        heartbeat.cancel()
    baseline = result.baseline.to_json() if result.baseline is not None else None
    await services.db(
        imports.succeed, attempt, claim, result.work_item_id, result.details(), linked_parties(preview, chosen), baseline
    )
    return result


def linked_parties(preview: Preview, decisions: dict[str, Decision]) -> dict[str, str]:
    """Party reference → contact id of each party the import links to an existing contact; the
    next preview of a matter with that party links it again by default."""
    links = {}
    for party in preview.parties:
        decision = decisions[party.party.key]
        if isinstance(decision, dict):
            links[party.party.reference] = decision["link"]
    return links


async def _heartbeat(services: Services, claim: Claim) -> None:
    """Renew the claim (and the contacts it is creating) while the import runs."""
    while True:
        await asyncio.sleep(HEARTBEAT.total_seconds())
        try:
            if not await services.db(services.store.imports.renew, claim, CLAIM_LEASE):
                log.warning("the claim of import attempt %s is no longer held", claim.attempt_id)
        except Exception as exc:  # a database hiccup: the next beat tries again
            log.warning("could not renew the claim of import attempt %s: %s", claim.attempt_id, type(exc).__name__)


def resolve_decisions(preview: Preview, raw: object) -> dict[str, Decision]:
    """The decision for every party: what the caller sent, else the preview's default.
    A link must name one of the party's candidates."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidInput('"decisions" must be an object of party key to "create" or {"link": "<ods id>"}.')
    parties = {p.party.key: p for p in preview.parties}
    unknown = sorted(set(raw) - set(parties))
    if unknown:
        raise InvalidInput(f"Unknown party key {unknown[0]!r}: the parties of this matter are {', '.join(parties)}.")
    chosen: dict[str, Decision] = {}
    for key, party in parties.items():
        decision = raw.get(key, party.default_decision)
        if decision == "create":
            chosen[key] = "create"
        elif isinstance(decision, dict) and set(decision) == {"link"} and isinstance(decision["link"], str):
            if decision["link"] not in {c.ods_id for c in party.candidates}:
                raise InvalidInput(
                    f"Party {key!r} cannot be linked to {decision['link']!r}: it is not one of its candidate contacts."
                )
            chosen[key] = {"link": decision["link"]}
        else:
            raise InvalidInput(f'The decision for party {key!r} must be "create" or {{"link": "<ods id>"}}.')
    return chosen


async def _write(
    services: Services,
    env: EnvironmentSettings,
    actor: Actor,
    preview: Preview,
    decisions: dict[str, Decision],
    attempt: Attempt,
    taken: ClaimedImport,
) -> ImportResult:
    """The import's writes once its claim is held: the contacts to create, then the work item."""
    claim = taken.claim
    clio = services.remotes.clio(env)
    result = ImportResult("imported", claim.attempt_id, "", "", title=preview.mapped.title)
    making = Contacts(services, clio, attempt, taken.claim, recorded=taken.recorded, slots=taken.slots)
    try:
        user = await _importing_user(clio, env, actor, result.warnings)
    except BaseException:
        await making.release()
        raise
    # A resumed import looks for a work item an earlier attempt may have created before it notes
    # its own create as sent; a fresh one notes it with its contacts.
    contacts = await making.make(preview, decisions, work_item_next=not claim.resumed)
    participants = _party_participants(preview, decisions, contacts, result)
    result.baseline = baseline_of(
        preview.mapped, {c["key"]: c["ods_id"] for c in (*result.contacts_created, *result.contacts_linked)},
        services.store.secrets.fingerprint(),
    )
    if user is not None:
        participants.append(user)
    participants.extend(_team_participants(preview, result))
    if claim.resumed:  # an earlier attempt may have created it and lost the answer after our preview
        existing = await find_imported(clio, preview.mapped)
        if existing:
            return _with_work_item(result, env, existing[0].id)
        await services.db(services.store.imports.work_item_sent, claim)
    try:
        work_item_id = await clio.create_work_item(_new_work_item(preview, participants))
    except RemoteTimeout as exc:
        raise OutcomeUnknown("this matter", exc, work_item=True) from exc
    return _with_work_item(result, env, work_item_id)


@dataclass
class _MadeContacts:
    """The contact of each party the import creates (by Aderant name), and those that are its own:
    created by this attempt or by an earlier one of the same import."""

    ids: dict[int, str]
    ours: set[str]


class Contacts:
    """The contacts one import attempt (or a change applied from drift: `holder`) creates, all at once.

    Each contact is claimed per (environment, Aderant name) before it is created, so imports sharing
    a party create it once: in the transaction that claims the matter (`ClaimedImport`), so nothing
    is written between the claim and the creates. Those that come to exist (created, or found by
    their Aderant reference after a create whose outcome was unknown) are noted the moment they do,
    and recorded together in one transaction once every create has answered, whatever the outcome
    (a failure, a cancelled import): should the process die before that, the claims run out and the
    next attempt finds the contacts by the Aderant reference stamped on each, as after a lost answer.
    """

    def __init__(
        self, services: Services, clio: Any, attempt: Attempt, holder: ContactHolder, *,
        recorded: dict[int, str], slots: dict[int, ContactSlot],
    ) -> None:
        """`slots`: the claims of the contacts to create, taken by `holder`; `recorded`: those an
        earlier attempt of the same import created."""
        self.services = services
        self.clio = clio
        self.attempt = attempt
        self.claim = holder
        self.recorded = recorded
        self.slots = slots
        self.imports = services.store.imports
        self.exist: dict[int, ExistingContact] = {}

    async def release(self) -> None:
        """Free the contacts claimed with the matter: the import stopped before creating any."""
        claimed = [uno for uno, slot in self.slots.items() if slot.kind == "claimed"]
        if claimed:
            await self.services.db(self.imports.contacts_not_created, self.attempt, self.claim, claimed)

    async def make(self, preview: Preview, decisions: dict[str, Decision], *, work_item_next: bool) -> _MadeContacts:
        """The contacts to create, created at once. With `work_item_next`, when every create
        succeeded, the transaction that records them also notes the work item's create as sent."""
        recorded, slots = self.recorded, self.slots
        to_create = {
            p.party.name_uno: p.party
            for p in preview.parties
            if decisions[p.party.key] == "create" and p.party.name_uno in slots
        }
        every_made = False  # every create answered, and none failed
        try:
            outcomes = await settle_bounded(
                list(to_create), lambda uno: self._contact(to_create[uno], slots[uno]), self.services.concurrency
            )
            every_made = not any(isinstance(outcome, Exception) for outcome in outcomes)
        finally:
            sending = work_item_next and every_made
            if self.exist or sending:
                await self.services.db(
                    self.imports.contacts_exist, self.attempt, self.claim, list(self.exist.values()), work_item_sent=sending
                )
        made: dict[int, tuple[str, bool]] = {}
        for uno, outcome in zip(to_create, outcomes, strict=True):
            if isinstance(outcome, Exception):
                raise outcome
            made[uno] = outcome
        # A retry's preview offers them as exact matches: still ours. Another import's are linked.
        return _MadeContacts(
            ids={**recorded, **{uno: ods_id for uno, (ods_id, _) in made.items()}},
            ours=set(recorded.values()) | {ods_id for ods_id, by_us in made.values() if by_us},
        )

    async def _contact(self, party: MappedParty, slot: ContactSlot) -> tuple[str, bool]:
        """The party's contact and whether this attempt created it: the one contact of its Aderant
        name in the environment (another import's, or found by its reference), else a new one.
        `slot` is the party's first claim, made with the others'."""
        deadline = asyncio.get_running_loop().time() + CONTACT_WAIT_SECONDS
        while True:
            if slot.kind == "created":
                return required(slot.ods_id, "a created contact's id"), False
            if slot.kind == "busy":
                if asyncio.get_running_loop().time() > deadline:
                    raise ImportInProgress(f"Another import is creating the contact {party.name}: try again in a moment.")
                await asyncio.sleep(CONTACT_POLL_SECONDS)
                slot = await self._claim(party)
                continue
            if slot.kind == "unknown":
                sent_at = required(slot.sent_at, "when the contact's create was sent")
                found = await find_contact_by_reference(self.clio, party)
                if found is not None:
                    return self._exists(party, found, created=False)
                retry_after = sent_at + self.services.settle
                if utcnow() < retry_after:
                    raise ImportSettling(settling_message(f"the contact {party.name}", retry_after), retry_after)
                if not await self.services.db(
                    self.imports.retake_contact, self.attempt, self.claim, party.name_uno, sent_at, CLAIM_LEASE
                ):
                    slot = await self._claim(party)
                    continue  # another attempt took it first
            return await self._create(party)

    async def _claim(self, party: MappedParty) -> ContactSlot:
        return await self.services.db(self.imports.claim_contact, self.attempt, self.claim, party.name_uno, CLAIM_LEASE)

    async def _create(self, party: MappedParty) -> tuple[str, bool]:
        """Create the contact this attempt holds the claim of; a create that may have happened
        without an answer is recorded as unknown at once, one that was refused frees the name."""
        try:
            ods_id = await create_contact(self.clio, party)
        except RemoteTimeout as exc:
            await self.services.db(self.imports.contact_unknown, self.attempt, party.name_uno)
            raise OutcomeUnknown(f"the contact {party.name}", exc, work_item=False) from exc
        except RemoteError:  # Clio Operate answered: it did not create it
            await self.services.db(self.imports.contacts_not_created, self.attempt, self.claim, [party.name_uno])
            raise
        except BaseException:  # cut short (the service stopping): it may have been sent
            await self.services.db(self.imports.contact_unknown, self.attempt, party.name_uno)
            raise
        return self._exists(party, ods_id, created=True)

    def _exists(self, party: MappedParty, ods_id: str, *, created: bool) -> tuple[str, bool]:
        self.exist[party.name_uno] = ExistingContact(party.name_uno, ods_id, party.kind, created)
        return ods_id, created


def _party_participants(
    preview: Preview, decisions: dict[str, Decision], contacts: _MadeContacts, result: ImportResult
) -> list[NewParticipant]:
    """Every party in its role, each listed in `result` as a contact created or linked."""
    participants = []
    for p in preview.parties:
        party, decision = p.party, decisions[p.party.key]
        ods_id = decision["link"] if isinstance(decision, dict) else contacts.ids[party.name_uno]
        listed = result.contacts_created if ods_id in contacts.ours else result.contacts_linked
        listed.append({"key": party.key, "name": party.name, "ods_id": ods_id})
        participants.append(NewParticipant(party.role, ods_id, party.kind, party.name))
    return participants


def _team_participants(preview: Preview, result: ImportResult) -> list[NewParticipant]:
    """The valid default teams (listed in `result`); the others are left out with a warning."""
    participants = []
    for team in preview.teams:
        if team.problem:
            result.warnings.append(f"Default team {team.name} was not added: {team.problem} Ask your administrator to check Settings → Default Teams.")
            continue
        participants.append(NewParticipant(team.role, team.id, "team", team.name))
        result.teams_added.append({"id": team.id, "name": team.name, "role": team.role, "role_name": team.role_name})
    return participants


def _new_work_item(preview: Preview, participants: list[NewParticipant]) -> NewWorkItem:
    mapped = preview.mapped
    return NewWorkItem(
        work_type=mapped.work_type,
        title=mapped.title,
        reference=mapped.reference,
        description=preview.matter.long_title or "",
        attributes=mapped.attributes,
        key_dates=mapped.key_dates,
        participants=_unique(participants),
    )


def _with_work_item(result: ImportResult, env: EnvironmentSettings, work_item_id: str) -> ImportResult:
    result.work_item_id = work_item_id
    result.work_item_url = env.work_item_url(work_item_id)
    return result


def _unique(participants: list[NewParticipant]) -> tuple[NewParticipant, ...]:
    """One entry per contact and role (the same Aderant name may hold a role twice)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for item in participants:
        key = (item.role, item.ods_id)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return tuple(out)


async def _importing_user(clio: Any, env: EnvironmentSettings, actor: Actor, warnings: list[str]) -> NewParticipant | None:
    """The importing user as a participant in the environment's role (None when the role is off).

    Their Clio Operate id when they signed in through this environment; otherwise (a member signed
    in outside Clio Operate, or through another environment) the one Clio Operate user the ODS
    search finds with their e-mail. An e-mail is never sent as an id: without exactly one match
    they are left out, and `warnings` says why.
    """
    role = ClioShapeSettings.of(env.clio_settings).user_participant_role
    if role is None:
        return None
    if actor.clio_user_id and actor.signed_in_environment_id == env.id:
        return NewParticipant(role, actor.clio_user_id, "person", actor.user_name)
    where = (
        "outside Clio Operate" if actor.signed_in_environment_id is None
        else f"through another Clio Operate environment than {env.name}"
    )
    email = actor.user_name.strip()
    if "@" not in email:
        warnings.append(f"You signed in {where}, so you were not added as {role}: your user name {email} is not an e-mail address to look you up by.")
        return None
    found = [c for c in await clio.search_contacts(email, kinds=("person",)) if c.is_user and c.has_email(email)]
    if len(found) == 1:
        return NewParticipant(role, found[0].id, "person", found[0].name or actor.user_name)
    reason = f"no Clio Operate user has the e-mail {email}" if not found else f"{len(found)} Clio Operate users have the e-mail {email}"
    warnings.append(f"You signed in {where}, so you were not added as {role}: {reason}.")
    return None


def _already(env: EnvironmentSettings, attempt_id: int, work_item_id: str) -> ImportResult:
    return ImportResult("already_imported", attempt_id, work_item_id, env.work_item_url(work_item_id))


def _failure_message(exc: RemoteError) -> str:
    return f"The import did not complete: {exc}. {RETRY_SAFE}"
