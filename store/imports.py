"""Import claims, the contacts they created, and History. Each change is written together with
its audit event (the outbox) in one transaction.

An import writes here once before its contact creates (`claim_with_contacts`: the matter, the
contacts earlier attempts created, the claims of the others) and once after them (`contacts_exist`,
with `work_item_sent`), each the same few statements whatever the number of contacts: rows are
inserted and updated in bulk, not built as ORM objects one by one (51 contacts, the median of 55
calls in a row, in two runs: `claim_contacts` 3.7–4.2 → 1.2–1.6 ms on SQLite, 6.1–6.9 → 3.3–3.8 ms on
PostgreSQL; `contacts_exist` 5.7–6.7 → 1.5–2.1 ms and 8.5–9.4 → 4.2–5.0 ms).

A write whose outcome is unknown (its call timed out, or its process died while it was in
flight) is recorded as such: on the matter's claim (`write_sent_at`) and on the contact's claim
(`unknown`, or `creating` past its lease). It is not sent again before the settle window after it
was sent has passed, and then only once Clio Operate, asked again, shows nothing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, TypeVar

from sqlalchemy import Engine, and_, bindparam, delete, insert, update
from sqlalchemy import select as select_columns  # typed for more columns than sqlmodel's select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from store.models import AuditEvent, ContactClaim, ImportAttempt, ImportContact, MatterImport, Organisation, PartyLink, utcnow
from store.party_links import RememberedLink, remember_links, remembered_links
from store.required import required
from store.results import rows_changed

T = TypeVar("T")

IN_PROGRESS_MESSAGE = "An import of this matter is already in progress: wait a moment, then open it again."
DELETED_MESSAGE = (
    "The work item of this matter was deleted in Clio Operate. An administrator can release it in History "
    "for a fresh import."
)


def settling_message(what: str, retry_after: datetime) -> str:
    """What a user is told while a write may still land: plainly, with the time to come back."""
    return f"Clio Operate may still be creating {what}; try again after {retry_after:%H:%M:%S} UTC."


class ContactHolder(Protocol):
    """Who holds a contact's claim while creating it (an import attempt, or a change applied from
    drift), and the import its created contacts are recorded as made by."""

    @property
    def holder(self) -> str: ...

    @property
    def import_id(self) -> int | None: ...


@dataclass(frozen=True)
class Claim:
    kind: Literal["claimed", "imported", "in_progress", "settling", "deleted"]
    attempt_id: int
    import_id: int | None = None
    work_item_id: str | None = None
    resumed: bool = False  # an earlier attempt failed or died: some contacts may already exist
    started_at: datetime | None = None  # identifies this holding of the claim (heartbeat, release)
    retry_after: datetime | None = None  # settling: when a retry may send the write again
    message: str | None = None  # why it was refused

    @property
    def holder(self) -> str:
        return f"attempt:{self.attempt_id}"


@dataclass(frozen=True)
class ContactSlot:
    """Where the contact of one Aderant name stands, seen by one import attempt.

    `claimed`: this attempt creates it now. `created`: reuse `ods_id`. `busy`: another attempt is
    creating it (wait, then ask again). `unknown`: a create whose outcome is unknown was sent at
    `sent_at`: look for it by its Aderant reference before anything else.
    """

    kind: Literal["claimed", "created", "busy", "unknown"]
    ods_id: str | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True)
class ClaimedImport:
    """A claim on a matter and, when it was taken, the contacts of its import: those earlier
    attempts created (a resumed claim), by Aderant name, and the claims of the others to create."""

    claim: Claim
    recorded: dict[int, str]
    slots: dict[int, ContactSlot]


@dataclass(frozen=True)
class ExistingContact:
    """A contact of one Aderant name that an import attempt saw exist: `created` by it, or found."""

    name_uno: int
    ods_id: str
    kind: str
    created: bool


@dataclass(frozen=True)
class Attempt:
    """What an import is about, carried from claim to outcome."""

    organisation_id: int
    environment_id: int
    matter_uno: str | None
    matter_number: str
    user_name: str
    trigger: str = "manual"
    request_id: str | None = None
    """The request or run that made it (its trace id), kept on the History row."""


@dataclass(frozen=True)
class ImportedBaseline:
    """An imported matter and the baseline its import kept (None: imported before baselines were kept,
    or found already in Clio Operate)."""

    import_id: int
    matter_uno: str
    matter_number: str
    work_item_id: str
    baseline: dict[str, Any] | None


# Built once: a preview runs it, and building it each time cost more than running it.
_RECORD_AND_LINKS = (
    select(MatterImport, PartyLink)
    .select_from(Organisation)
    .outerjoin(MatterImport, and_(
        col(MatterImport.organisation_id) == col(Organisation.id),
        col(MatterImport.environment_id) == bindparam("environment_id"),
        col(MatterImport.matter_uno) == bindparam("matter_uno"),
    ))
    .outerjoin(PartyLink, and_(
        col(PartyLink.organisation_id) == col(Organisation.id),
        col(PartyLink.environment_id) == bindparam("environment_id"),
        col(PartyLink.party_reference).in_(bindparam("references", expanding=True)),
    ))
    .where(col(Organisation.id) == bindparam("organisation_id"))
)


class ImportStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, attempt: Attempt, lease: timedelta, settle: timedelta = timedelta(0)) -> Claim:
        """Claim the matter before any write, so a double click, a second user or a second replica
        cannot import it twice. A failed or abandoned (lease expired) import is taken over, and the
        abandoned attempt's History row ends as interrupted; but while a work item create it sent
        may still land (`settle` after it was sent), the claim is refused with the time to retry."""
        return self.claim_with_contacts(attempt, lease, settle, []).claim

    def claim_with_contacts(
        self, attempt: Attempt, lease: timedelta, settle: timedelta, name_unos: Sequence[int]
    ) -> ClaimedImport:
        """`claim` the matter and, only when the claim is taken, in the same transaction: read the
        contacts earlier attempts of this import created, and `claim_contacts` the others of
        `name_unos`. All an import writes before its first create, in one transaction."""

        def run() -> ClaimedImport:
            with Session(self.engine) as session:
                claim = _claim_matter(session, attempt, lease, settle)
                recorded: dict[int, str] = {}
                slots: dict[int, ContactSlot] = {}
                if claim.kind == "claimed":
                    if claim.resumed:
                        recorded = _recorded_contacts(session, required(claim.import_id, "the import of a taken claim"))
                    to_claim = [name_uno for name_uno in name_unos if name_uno not in recorded]
                    slots = _claim_contacts(session, attempt, claim, to_claim, lease)
                session.commit()  # IntegrityError: someone claimed the matter or a contact first; retried
                return ClaimedImport(claim, recorded, slots)

        return _retrying(run)

    def renew(self, claim: Claim, lease: timedelta) -> bool:
        """The heartbeat of a running import: push its claim's lease, and those of the contacts it
        is creating, further out. False when the claim is no longer this attempt's."""
        now = utcnow()
        with Session(self.engine) as session:
            renewed = session.execute(
                update(MatterImport)
                .where(
                    col(MatterImport.id) == claim.import_id,
                    col(MatterImport.status) == "in_progress",
                    col(MatterImport.started_at) == claim.started_at,
                )
                .values(lease_expires_at=now + lease)
            )
            session.execute(
                update(ContactClaim)
                .where(col(ContactClaim.holder) == claim.holder, col(ContactClaim.status) == "creating")
                .values(lease_expires_at=now + lease)
            )
            session.commit()
            return rows_changed(renewed) == 1

    def work_item_sent(self, claim: Claim) -> None:
        """Note, before the call, that the work item's create is being sent: from now on its
        outcome is unknown until Clio Operate answers."""
        with Session(self.engine) as session:
            _work_item_sent(session, claim)
            session.commit()

    # Contacts, one per Aderant name and environment -----------------------------------------

    def claim_contact(self, attempt: Attempt, claim: ContactHolder, name_uno: int, lease: timedelta) -> ContactSlot:
        """The contact of `name_uno` in the environment: claim it for this attempt to create, or
        say who has it. A unique key, so two imports (on any replica) never both create it."""
        return self.claim_contacts(attempt, claim, [name_uno], lease)[name_uno]

    def claim_contacts(
        self, attempt: Attempt, claim: ContactHolder, name_unos: Sequence[int], lease: timedelta
    ) -> dict[int, ContactSlot]:
        """`claim_contact` for every name in one transaction, so an import's contact creates all
        start at once instead of one claim after another."""

        def run() -> dict[int, ContactSlot]:
            with Session(self.engine) as session:
                slots = _claim_contacts(session, attempt, claim, name_unos, lease)
                session.commit()  # IntegrityError: another attempt claimed one first; retried
                return slots

        return _retrying(run) if name_unos else {}

    def retake_contact(self, attempt: Attempt, claim: ContactHolder, name_uno: int, sent_at: datetime, lease: timedelta) -> bool:
        """Take over a contact whose earlier create is known not to have happened (looked for after
        its settle window, not found); False when another attempt took it first."""
        now = utcnow()
        with Session(self.engine) as session:
            taken = session.execute(
                update(ContactClaim)
                .where(
                    col(ContactClaim.environment_id) == attempt.environment_id,
                    col(ContactClaim.name_uno) == name_uno,
                    col(ContactClaim.status) != "created",
                    col(ContactClaim.sent_at) == sent_at,
                )
                .values(status="creating", holder=claim.holder, sent_at=now, lease_expires_at=now + lease)
            )
            session.commit()
            return rows_changed(taken) == 1

    def contacts_exist(
        self, attempt: Attempt, claim: ContactHolder, contacts: Sequence[ExistingContact], *, work_item_sent: bool = False
    ) -> None:
        """The contacts exist (created by this attempt, or found by their Aderant reference): everyone
        reuses them from now on, and a retry of this import counts those it created as its own. One
        transaction for all of an import's contacts, written once every create has answered; with
        `work_item_sent`, the same transaction notes that the work item's create is being sent
        (`work_item_sent`), for an import that goes straight on to it."""

        def run() -> None:
            now = utcnow()
            with Session(self.engine) as session:
                if contacts:
                    _record_contacts(session, attempt, claim, contacts, now)
                if work_item_sent:
                    _work_item_sent(session, claim)
                session.commit()

        if contacts or work_item_sent:
            _retrying(run)

    def contact_unknown(self, attempt: Attempt, name_uno: int) -> None:
        """Its create timed out: it may still land."""
        with Session(self.engine) as session:
            session.execute(
                update(ContactClaim)
                .where(
                    col(ContactClaim.environment_id) == attempt.environment_id,
                    col(ContactClaim.name_uno) == name_uno,
                    col(ContactClaim.status) == "creating",
                )
                .values(status="unknown", lease_expires_at=None)
            )
            session.commit()

    def contacts_not_created(self, attempt: Attempt, claim: ContactHolder, name_unos: Sequence[int]) -> None:
        """Clio Operate refused the creates, or they were never sent (they did not happen): free
        the names for the next attempt."""
        with Session(self.engine) as session:
            session.execute(
                delete(ContactClaim).where(
                    col(ContactClaim.environment_id) == attempt.environment_id,
                    col(ContactClaim.name_uno).in_(name_unos),
                    col(ContactClaim.holder) == claim.holder,
                    col(ContactClaim.status) == "creating",
                )
            )
            session.commit()

    def records(self, organisation_id: int, environment_id: int, matter_unos: list[str]) -> dict[str, MatterImport]:
        """The claims on the given Aderant matter ids, whatever their state, in one query."""
        if not matter_unos:
            return {}
        with Session(self.engine) as session:
            rows = session.exec(
                select(MatterImport).where(
                    MatterImport.organisation_id == organisation_id,
                    MatterImport.environment_id == environment_id,
                    col(MatterImport.matter_uno).in_(sorted(set(matter_unos))),
                )
            ).all()
            return {row.matter_uno: row for row in rows}

    def record_and_links(
        self, organisation_id: int, environment_id: int, matter_uno: str, references: Sequence[str]
    ) -> tuple[MatterImport | None, dict[str, RememberedLink]]:
        """The claim on one matter, whatever its state, and the link last recorded for each of these
        party references, in one query: what a preview reads besides the (cached) settings. The
        claim's unique key keeps it to one row per link, or one row when no link is remembered."""
        parameters = {
            "organisation_id": organisation_id, "environment_id": environment_id, "matter_uno": matter_uno,
            "references": sorted(set(references)),
        }
        with Session(self.engine) as session:
            rows = session.execute(_RECORD_AND_LINKS, parameters).all()
            record = next((claim for claim, _ in rows if claim is not None), None)
            links = {
                link.party_reference: RememberedLink(link.party_reference, link.ods_id, link.linked_by, link.linked_at)
                for _, link in rows
                if link is not None
            }
            return record, links

    def links(self, organisation_id: int, environment_id: int, references: Sequence[str]) -> dict[str, RememberedLink]:
        """The link last recorded for each of these party references (`record_and_links` without a matter)."""
        with Session(self.engine) as session:
            return remembered_links(session, organisation_id, environment_id, list(references))

    def contacts(self, import_id: int) -> dict[int, str]:
        """The contacts the attempts of an import created: Aderant name → contact id."""
        with Session(self.engine) as session:
            return _recorded_contacts(session, import_id)

    def succeed(
        self,
        attempt: Attempt,
        claim: Claim,
        work_item_id: str,
        details: dict,
        links: Mapping[str, str] | None = None,
        baseline: dict[str, Any] | None = None,
    ) -> None:
        """Record the import as done, with the party links it made (party reference → contact id)
        and its baseline (digests of what it wrote, for drift)."""
        with Session(self.engine) as session:
            now = utcnow()
            session.execute(
                update(MatterImport)
                .where(col(MatterImport.id) == claim.import_id)
                .values(
                    status="imported", work_item_id=work_item_id, finished_at=now, lease_expires_at=None,
                    write_sent_at=None, closed_in_both_at=None,  # a new work item: close-sync looks at it afresh
                    baseline=baseline,
                )
            )
            _update_attempt(session, claim.attempt_id, "imported", work_item_id=work_item_id, details=details)
            _audit(session, attempt, "import.succeeded", claim.attempt_id, work_item_id=work_item_id)
            remember_links(session, attempt.organisation_id, attempt.environment_id, links or {}, attempt.user_name)
            session.commit()

    def baselines(
        self,
        organisation_id: int,
        environment_id: int,
        *,
        matter_numbers: Sequence[str] | None = None,
        after: int | None = None,
        limit: int = 200,
    ) -> list[ImportedBaseline]:
        """The next `limit` imported matters (of these matter numbers, or all), by import id after
        `after` (keyset paging), each with its baseline."""
        query = select(MatterImport).where(
            MatterImport.organisation_id == organisation_id,
            MatterImport.environment_id == environment_id,
            MatterImport.status == "imported",
            col(MatterImport.work_item_id).is_not(None),
        )
        if matter_numbers is not None:
            query = query.where(col(MatterImport.matter_number).in_(sorted(set(matter_numbers))))
        if after is not None:
            query = query.where(col(MatterImport.id) > after)
        with Session(self.engine) as session:
            rows = session.exec(query.order_by(col(MatterImport.id)).limit(limit)).all()
            return [
                ImportedBaseline(row.id, row.matter_uno, row.matter_number, row.work_item_id, row.baseline)
                for row in rows
                if row.id is not None and row.work_item_id is not None
            ]

    def fail(
        self, attempt: Attempt, claim: Claim | None, error: str, details: dict | None = None, *, unknown: bool = False
    ) -> int:
        """Record a failed attempt; a claim it held is released so a retry can take it over (as
        `unknown` when a write it sent may still land: see `claim`)."""
        with Session(self.engine) as session:
            if claim is not None:
                session.execute(
                    update(MatterImport)
                    .where(col(MatterImport.id) == claim.import_id)
                    .values(
                        status="unknown" if unknown else "failed", lease_expires_at=None,
                        # a write that was answered (refused, failed) did not happen: nothing to wait for
                        **({} if unknown else {"write_sent_at": None}),
                    )
                )
                _update_attempt(session, claim.attempt_id, "failed", error=error, details=details or {})
                attempt_id = claim.attempt_id
                _audit(session, attempt, "import.failed", attempt_id, error=error)
            else:
                attempt_id = _finish_attempt(session, attempt, "failed", error=error, details=details)
            session.commit()
            return attempt_id

    def refuse(self, attempt: Attempt, reason: str) -> int:
        with Session(self.engine) as session:
            attempt_id = _finish_attempt(session, attempt, "refused", error=reason)
            session.commit()
            return attempt_id

    def already_imported(self, attempt: Attempt, work_item_id: str) -> int:
        """A work item found in Clio Operate that this service has no completed claim for: record it,
        so searches show it as imported from now on. With no claim at all, something else put it
        there: it is recorded as adopted. After a failed claim, it is the failed attempt's own."""

        def run() -> int:
            with Session(self.engine) as session:
                row = session.exec(
                    select(MatterImport).where(
                        MatterImport.organisation_id == attempt.organisation_id,
                        MatterImport.environment_id == attempt.environment_id,
                        MatterImport.matter_uno == attempt.matter_uno,
                    )
                ).first()
                if row is None:
                    session.add(
                        MatterImport(
                            organisation_id=attempt.organisation_id,
                            environment_id=attempt.environment_id,
                            matter_uno=attempt.matter_uno or "",
                            matter_number=attempt.matter_number,
                            status="imported",
                            work_item_id=work_item_id,
                            imported_by=attempt.user_name,
                            finished_at=utcnow(),
                            adopted=True,
                        )
                    )
                elif row.status in ("failed", "unknown") or (row.status == "in_progress" and lease_expired(row.lease_expires_at)):
                    if row.status == "in_progress":
                        _interrupt(session, attempt)
                    row.status, row.work_item_id, row.finished_at = "imported", work_item_id, utcnow()
                    row.write_sent_at = row.lease_expires_at = None
                    session.add(row)
                attempt_id = _finish_attempt(session, attempt, "already_imported", work_item_id=work_item_id)
                session.commit()
                return attempt_id

        return _retrying(run)

    def mark_deleted(self, organisation_id: int, environment_id: int, work_item_id: str, seen_by: str) -> None:
        """Clio Operate answers 404 for the work item of an import: it was deleted there."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(MatterImport).where(
                    MatterImport.organisation_id == organisation_id,
                    MatterImport.environment_id == environment_id,
                    MatterImport.work_item_id == work_item_id,
                    MatterImport.status == "imported",
                )
            ).all()
            for row in rows:
                row.status = "deleted"
                session.add(row)
                _audit(
                    session, _about(row, seen_by), "import.work_item_deleted", None, work_item_id=work_item_id,
                )
            session.commit()

    def deleted(self, organisation_id: int, environment_id: int) -> list[MatterImport]:
        """Imports whose work item was deleted in Clio Operate, waiting for an administrator."""
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(MatterImport)
                    .where(
                        MatterImport.organisation_id == organisation_id,
                        MatterImport.environment_id == environment_id,
                        MatterImport.status == "deleted",
                    )
                    .order_by(col(MatterImport.matter_number))
                ).all()
            )

    def release(self, organisation_id: int, environment_id: int, import_id: int, actor: str) -> MatterImport | None:
        """Forget an import whose work item was deleted in Clio Operate, so the matter can be
        imported afresh (audited). None when there is no such deleted import."""
        with Session(self.engine) as session:
            row = session.exec(
                select(MatterImport).where(
                    MatterImport.id == import_id,
                    MatterImport.organisation_id == organisation_id,
                    MatterImport.environment_id == environment_id,
                    MatterImport.status == "deleted",
                )
            ).first()
            if row is None:
                return None
            session.execute(delete(ImportContact).where(col(ImportContact.matter_import_id) == row.id))
            session.delete(row)
            _audit(session, _about(row, actor), "import.released", None, work_item_id=row.work_item_id)
            session.commit()
            return row

    def history(
        self,
        organisation_id: int,
        *,
        environment_id: int | None = None,
        outcome: str | None = None,
        matter_number: str | None = None,
        user_name: str | None = None,
        started_from: datetime | None = None,
        started_before: datetime | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[ImportAttempt]:
        """Attempts of the organisation, newest first: of one environment, or of all when
        `environment_id` is None; started in [`started_from`, `started_before`) when given."""
        query = select(ImportAttempt).where(ImportAttempt.organisation_id == organisation_id)
        if environment_id is not None:
            query = query.where(ImportAttempt.environment_id == environment_id)
        if outcome:
            query = query.where(ImportAttempt.outcome == outcome)
        if matter_number:
            query = query.where(ImportAttempt.matter_number == matter_number)
        if user_name:
            query = query.where(ImportAttempt.user_name == user_name)
        if started_from is not None:
            query = query.where(col(ImportAttempt.started_at) >= started_from)
        if started_before is not None:
            query = query.where(col(ImportAttempt.started_at) < started_before)
        if before_id is not None:
            query = query.where(col(ImportAttempt.id) < before_id)
        with Session(self.engine) as session:
            return list(session.exec(query.order_by(col(ImportAttempt.id).desc()).limit(limit)).all())

    def history_users(self, organisation_id: int, environment_id: int | None = None) -> list[str]:
        """The user names that appear in the organisation's History (of one environment, or all)."""
        query = select(ImportAttempt.user_name).where(ImportAttempt.organisation_id == organisation_id)
        if environment_id is not None:
            query = query.where(ImportAttempt.environment_id == environment_id)
        with Session(self.engine) as session:
            return list(session.exec(query.distinct().order_by(col(ImportAttempt.user_name))).all())

    def attempt(self, organisation_id: int, attempt_id: int) -> ImportAttempt | None:
        with Session(self.engine) as session:
            return session.exec(
                select(ImportAttempt).where(
                    ImportAttempt.organisation_id == organisation_id, ImportAttempt.id == attempt_id
                )
            ).first()


def _claim_matter(session: Session, attempt: Attempt, lease: timedelta, settle: timedelta) -> Claim:
    """`ImportStore.claim` within `session`, which the caller commits."""
    matter_uno = required(attempt.matter_uno, "the Aderant id of the matter an import claims")
    now = utcnow()
    row = session.exec(
        select(MatterImport)
        .where(
            MatterImport.organisation_id == attempt.organisation_id,
            MatterImport.environment_id == attempt.environment_id,
            MatterImport.matter_uno == matter_uno,
        )
        .with_for_update()
    ).first()
    if row is not None and row.status == "imported":
        attempt_id = _finish_attempt(session, attempt, "already_imported", work_item_id=row.work_item_id)
        return Claim("imported", attempt_id, row.id, row.work_item_id)
    if row is not None and row.status == "in_progress" and row.lease_expires_at and row.lease_expires_at > now:
        attempt_id = _finish_attempt(session, attempt, "refused", error=IN_PROGRESS_MESSAGE)
        return Claim("in_progress", attempt_id, row.id, message=IN_PROGRESS_MESSAGE)
    if row is not None and row.status == "deleted":
        attempt_id = _finish_attempt(session, attempt, "refused", error=DELETED_MESSAGE)
        return Claim("deleted", attempt_id, row.id, message=DELETED_MESSAGE)
    if row is not None and row.write_sent_at is not None and row.write_sent_at + settle > now:
        retry_after = row.write_sent_at + settle
        message = settling_message("this matter", retry_after)
        attempt_id = _finish_attempt(session, attempt, "refused", error=message)
        return Claim("settling", attempt_id, row.id, retry_after=retry_after, message=message)
    resumed = row is not None
    if row is not None and row.status == "in_progress":  # its holder is gone: it did not finish
        _interrupt(session, attempt)
    if row is None:
        row = MatterImport(
            organisation_id=attempt.organisation_id,
            environment_id=attempt.environment_id,
            matter_uno=matter_uno,
            matter_number=attempt.matter_number,
            status="in_progress",
            imported_by=attempt.user_name,
            started_at=now,
            lease_expires_at=now + lease,
        )
        session.add(row)
        session.flush()  # IntegrityError here: someone claimed it first; retried from the top
    else:
        taken = session.execute(
            update(MatterImport)
            .where(
                col(MatterImport.id) == row.id,
                col(MatterImport.status) == row.status,
                col(MatterImport.started_at) == row.started_at,
            )
            .values(
                status="in_progress", imported_by=attempt.user_name, started_at=now,
                lease_expires_at=now + lease, write_sent_at=None,
            )
        )
        if rows_changed(taken) != 1:
            raise _Conflict()
    attempt_id = _add_attempt(session, attempt, "in_progress", started_at=now)
    _audit(session, attempt, "import.started", attempt_id, resumed=resumed)
    return Claim("claimed", attempt_id, required(row.id, "a flushed import's id"), resumed=resumed, started_at=now)



def _claim_contacts(
    session: Session, attempt: Attempt, claim: ContactHolder, name_unos: Sequence[int], lease: timedelta
) -> dict[int, ContactSlot]:
    """`ImportStore.claim_contacts` within `session`, which the caller commits."""
    if not name_unos:
        return {}
    now = utcnow()
    rows = {
        row.name_uno: row
        for row in session.execute(
            select_columns(
                col(ContactClaim.name_uno), col(ContactClaim.status), col(ContactClaim.ods_id), col(ContactClaim.holder),
                col(ContactClaim.sent_at), col(ContactClaim.lease_expires_at),
            )
            .where(col(ContactClaim.environment_id) == attempt.environment_id, col(ContactClaim.name_uno).in_(name_unos))
            .with_for_update()
        )
    }
    slots: dict[int, ContactSlot] = {}
    new: list[dict[str, Any]] = []
    for name_uno in sorted(set(name_unos)):  # one order everywhere: two batches cannot deadlock
        row = rows.get(name_uno)
        if row is None:
            new.append({
                "organisation_id": attempt.organisation_id, "environment_id": attempt.environment_id,
                "name_uno": name_uno, "status": "creating", "holder": claim.holder, "sent_at": now,
                "lease_expires_at": now + lease,
            })
            slots[name_uno] = ContactSlot("claimed")
        elif row.status == "created":
            slots[name_uno] = ContactSlot("created", row.ods_id)
        elif row.status == "creating" and not lease_expired(row.lease_expires_at):
            slots[name_uno] = ContactSlot("claimed" if row.holder == claim.holder else "busy")
        else:
            slots[name_uno] = ContactSlot("unknown", sent_at=row.sent_at)
    if new:
        session.execute(insert(ContactClaim), new)
    return slots


def _record_contacts(
    session: Session, attempt: Attempt, claim: ContactHolder, contacts: Sequence[ExistingContact], now: datetime
) -> None:
    """`ImportStore.contacts_exist` within `session`: each name's claim marked created (or added,
    when it has none), and the contacts this attempt created recorded as the import's; a few
    statements, whatever the number of contacts."""
    import_id = required(claim.import_id, "the import of a taken claim")
    ordered = sorted(contacts, key=lambda contact: contact.name_uno)  # the order the claims were taken in
    ids = dict(
        session.execute(
            select(ContactClaim.name_uno, ContactClaim.id).where(
                ContactClaim.environment_id == attempt.environment_id,
                col(ContactClaim.name_uno).in_([contact.name_uno for contact in ordered]),
            )
        ).all()
    )
    claimed = [
        {"id": ids[c.name_uno], "status": "created", "ods_id": c.ods_id, "lease_expires_at": None}
        for c in ordered if c.name_uno in ids
    ]
    unclaimed = [
        {
            "organisation_id": attempt.organisation_id, "environment_id": attempt.environment_id,
            "name_uno": c.name_uno, "status": "created", "ods_id": c.ods_id, "holder": "found", "sent_at": now,
        }
        for c in ordered if c.name_uno not in ids
    ]
    created = [
        {"matter_import_id": import_id, "name_uno": c.name_uno, "ods_id": c.ods_id, "kind": c.kind, "created_at": now}
        for c in ordered if c.created
    ]
    if claimed:
        session.execute(update(ContactClaim), claimed)  # by primary key, one executemany
    for table, rows in ((ContactClaim, unclaimed), (ImportContact, created)):
        if rows:
            session.execute(insert(table), rows)


def _recorded_contacts(session: Session, import_id: int) -> dict[int, str]:
    rows = session.execute(
        select(ImportContact.name_uno, ImportContact.ods_id).where(ImportContact.matter_import_id == import_id)
    )
    return dict(rows.all())


def _work_item_sent(session: Session, claim: ContactHolder) -> None:
    session.execute(update(MatterImport).where(col(MatterImport.id) == claim.import_id).values(write_sent_at=utcnow()))


class _Conflict(Exception):
    """Another writer changed the claim between our read and our write."""


def _retrying(action: Callable[[], T], tries: int = 20) -> T:
    """Run a claim transaction again when a concurrent writer got there first (unique key,
    compare-and-set miss, or SQLite's single writer being busy)."""
    for attempt in range(tries):
        try:
            return action()
        except (IntegrityError, OperationalError, _Conflict):
            if attempt == tries - 1:
                raise
            time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
    raise AssertionError("unreachable")


def _finish_attempt(
    session: Session,
    attempt: Attempt,
    outcome: str,
    *,
    work_item_id: str | None = None,
    error: str | None = None,
    details: dict | None = None,
) -> int:
    now = utcnow()
    attempt_id = _add_attempt(
        session, attempt, outcome, work_item_id=work_item_id, error=error, details=details or {}, started_at=now, finished_at=now
    )
    event = {"already_imported": "import.already_imported", "refused": "import.refused", "failed": "import.failed"}[outcome]
    _audit(session, attempt, event, attempt_id, work_item_id=work_item_id, error=error)
    return attempt_id


def _add_attempt(session: Session, attempt: Attempt, outcome: str, **values: Any) -> int:
    """The id of a new attempt row for ``attempt``, flushed so it has one."""
    record = ImportAttempt(
        organisation_id=attempt.organisation_id,
        environment_id=attempt.environment_id,
        matter_uno=attempt.matter_uno,
        matter_number=attempt.matter_number,
        user_name=attempt.user_name,
        trigger=attempt.trigger,
        outcome=outcome,
        request_id=attempt.request_id,
        **values,
    )
    session.add(record)
    session.flush()
    return required(record.id, "a flushed import attempt's id")


def _update_attempt(session: Session, attempt_id: int, outcome: str, **values: object) -> None:
    session.execute(
        update(ImportAttempt)
        .where(col(ImportAttempt.id) == attempt_id)
        .values(outcome=outcome, finished_at=utcnow(), **values)
    )


def _audit(session: Session, attempt: Attempt, type: str, attempt_id: int | None, **data: object) -> None:
    session.add(
        AuditEvent(
            type=type,
            organisation_id=attempt.organisation_id,
            environment_id=attempt.environment_id,
            actor=attempt.user_name,
            data={
                "attempt_id": attempt_id,
                "matter_number": attempt.matter_number,
                "matter_uno": attempt.matter_uno,
                "trigger": attempt.trigger,
                **{k: v for k, v in data.items() if v is not None},
            },
        )
    )


def _about(row: MatterImport, actor: str) -> Attempt:
    return Attempt(row.organisation_id, row.environment_id, row.matter_uno, row.matter_number, actor)


def _interrupt(session: Session, attempt: Attempt) -> None:
    """End the History rows of attempts on this matter whose process died mid-import."""
    session.execute(
        update(ImportAttempt)
        .where(
            col(ImportAttempt.organisation_id) == attempt.organisation_id,
            col(ImportAttempt.environment_id) == attempt.environment_id,
            col(ImportAttempt.matter_uno) == attempt.matter_uno,
            col(ImportAttempt.outcome) == "in_progress",
        )
        .values(
            outcome="interrupted", finished_at=utcnow(),
            error="The import stopped before it finished (its process ended); a later attempt took it over.",
        )
    )


def lease_expired(expires_at: datetime | None) -> bool:
    return expires_at is None or expires_at <= utcnow()
