"""Close-sync: imported matters closed in Aderant but still open in Clio Operate.

The dry run reads in batches: the agent's many-statuses call (200 matters a call) and Clio
Operate searches by work item ids for open items only (100 a call), never one call per matter,
as a pipeline (`find_close_candidates`) that skips the matters an earlier run found closed in both.
Applying walks each work item towards the configured closed phase along the transitions Clio
Operate offers it now (`GET …/workItem/{id}/phase`, then one `PUT …/phase` per step). It never
reopens anything, and never touches a matter that is already closed or that PMS Sync did not import.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from clients.aderant import STATUS_IDS_PER_CALL
from clients.aderant_models import MatterStatus
from clients.clio_models import PhaseRef, WorkItemRef
from clients.clio_operate import WORK_ITEM_IDS_PER_QUERY, ClioOperateClient
from clients.concurrency import gather_bounded
from clients.errors import RemoteError, RemoteNotFound
from plugin.services import Services
from store.repository import EnvironmentSettings
from store.schedules import ImportedMatter

Batched = TypeVar("Batched")


@dataclass(frozen=True)
class CloseCandidate:
    matter_number: str
    matter_uno: str
    work_item_id: str
    work_item_url: str
    title: str | None
    work_type: str | None
    phase: str | None
    aderant_status: str | None
    close_date: date | None
    phase_name: str | None = None  # as Clio Operate shows it


@dataclass(frozen=True)
class CloseOutcome:
    matter_number: str
    work_item_id: str
    closed: bool
    message: str


async def close_sync_dry_run(services: Services, env: EnvironmentSettings) -> list[CloseCandidate]:
    """Every candidate, by matter number."""
    candidates: list[CloseCandidate] = []
    await find_close_candidates(services, env, candidates.append)
    return sorted(candidates, key=lambda c: c.matter_number)


async def find_close_candidates(
    services: Services, env: EnvironmentSettings, found: Callable[[CloseCandidate], None]
) -> None:
    """Hand each candidate to ``found`` as soon as it is known, holding only the batches in flight.

    A pipeline: the store's imported matters are read a page of `STATUS_IDS_PER_CALL` at a time
    (keyset paging), each page is one agent call, and as soon as `WORK_ITEM_IDS_PER_QUERY` matters
    closed in Aderant have gathered, one Clio Operate search for the open ones among them starts,
    while the agent goes on with the next pages. Each system has at most its client's concurrency
    in flight; a page is read only when an agent call may start, and a full batch waits for a free
    Clio Operate call before its page's agent slot is given back, so memory stays bounded however
    many matters were imported.

    Matters closed in Aderant that the open search did not return are searched again among
    closed work items (a deleted one is neither), in batches as well; those found are recorded as
    closed in both systems, and later runs skip them. A matter reopened in Aderant after that is
    left alone either way; one reopened only in Clio Operate is no longer offered for closing.
    """
    try:
        await _Pipeline(services, env, found).run()
    except ExceptionGroup as failures:  # the first failure, as a plain call would raise it
        while isinstance(failures, ExceptionGroup):
            failures = failures.exceptions[0]
        raise failures from None


class _Pipeline:
    searches: asyncio.TaskGroup  # Clio Operate searches for open work items, opened by run()
    confirms: asyncio.TaskGroup  # and for closed ones

    def __init__(self, services: Services, env: EnvironmentSettings, found: Callable[[CloseCandidate], None]) -> None:
        self.services, self.env, self.found = services, env, found
        self.agent = services.remotes.agent(env)
        self.clio = services.remotes.clio(env)
        self.agent_slots = asyncio.Semaphore(self.agent.concurrency)
        self.clio_slots = asyncio.Semaphore(self.clio.concurrency)
        self.closed: list[tuple[ImportedMatter, MatterStatus]] = []  # closed in Aderant, to search for open
        self.not_open: list[ImportedMatter] = []  # closed in Aderant, not open in Clio Operate: closed or deleted

    async def run(self) -> None:
        async with asyncio.TaskGroup() as self.confirms:
            async with asyncio.TaskGroup() as self.searches:
                async with asyncio.TaskGroup() as reads:
                    after: int | None = None
                    while True:
                        await self.agent_slots.acquire()
                        try:
                            page = await self.services.db(
                                self.services.store.schedules.imported_page,
                                self.env.organisation_id, self.env.id, after=after, limit=STATUS_IDS_PER_CALL,
                            )
                        except BaseException:
                            self.agent_slots.release()
                            raise
                        if not page:
                            self.agent_slots.release()
                            break
                        after = page[-1].import_id
                        reads.create_task(self._statuses(page))
                await self._hand_over(self.closed, self.searches, self._search_open, final=True)
            await self._hand_over(self.not_open, self.confirms, self._confirm_closed, final=True)

    async def _statuses(self, page: list[ImportedMatter]) -> None:
        """One agent call for the page; its agent slot is given back once its closed matters are handed on."""
        try:
            statuses = await self.agent.matter_statuses([int(m.matter_uno) for m in page])
            closed = {str(s.matter_uno): s for s in statuses if s.closed}
            self.closed.extend((m, closed[m.matter_uno]) for m in page if m.matter_uno in closed)
            await self._hand_over(self.closed, self.searches, self._search_open, final=False)
        finally:
            self.agent_slots.release()

    async def _search_open(self, batch: list[tuple[ImportedMatter, MatterStatus]]) -> None:
        try:
            items = await self.clio.find_work_items(
                work_item_ids=[m.work_item_id for m, _ in batch], open_only=True, rows=WORK_ITEM_IDS_PER_QUERY
            )
        finally:
            self.clio_slots.release()
        open_items = {w.id: w for w in items}
        for matter, status in batch:
            item = open_items.get(matter.work_item_id)
            if item is None:
                self.not_open.append(matter)
            else:
                self.found(self._candidate(matter, status, item))
        await self._hand_over(self.not_open, self.confirms, self._confirm_closed, final=False)

    async def _confirm_closed(self, batch: list[ImportedMatter]) -> None:
        try:
            items = await self.clio.find_work_items(
                work_item_ids=[m.work_item_id for m in batch], closed_only=True, rows=WORK_ITEM_IDS_PER_QUERY
            )
        finally:
            self.clio_slots.release()
        closed = {w.id for w in items}
        await self.services.db(
            self.services.store.schedules.mark_closed_in_both, self.env.organisation_id, self.env.id,
            [m.import_id for m in batch if m.work_item_id in closed],
        )

    async def _hand_over(
        self,
        waiting: list[Batched],
        group: asyncio.TaskGroup,
        work: Callable[[list[Batched]], Coroutine[Any, Any, None]],
        *,
        final: bool,
    ) -> None:
        """Start ``work`` on each full batch of ``waiting`` (and on what is left when ``final``), each
        once a Clio Operate call may start; ``work`` gives the slot back when its call returns."""
        while len(waiting) >= WORK_ITEM_IDS_PER_QUERY or (final and waiting):
            batch = waiting[:WORK_ITEM_IDS_PER_QUERY]
            del waiting[:WORK_ITEM_IDS_PER_QUERY]
            await self.clio_slots.acquire()
            job = work(batch)
            try:
                group.create_task(job)
            except RuntimeError:  # the group is shutting down after a failure, which it raises itself
                job.close()
                self.clio_slots.release()
                return

    def _candidate(self, matter: ImportedMatter, status: MatterStatus, item: WorkItemRef) -> CloseCandidate:
        return CloseCandidate(
            matter_number=matter.matter_number,
            matter_uno=matter.matter_uno,
            work_item_id=matter.work_item_id,
            work_item_url=self.env.work_item_url(matter.work_item_id),
            title=item.title,
            work_type=item.type_system_name,
            phase=item.phase_system_name,
            aderant_status=status.status_description or status.status,
            close_date=status.close_date,
            phase_name=item.phase_name,
        )


async def apply_close_sync(
    services: Services, env: EnvironmentSettings, actor: str, work_item_ids: list[str] | None = None
) -> list[CloseOutcome]:
    """Close the chosen candidates (all when None). The dry run is repeated first, so only matters
    that are still closed in Aderant and open in Clio Operate are touched."""
    schedule = await services.db(services.store.schedules.schedule, env.organisation_id, env.id)
    candidates = await close_sync_dry_run(services, env)
    if work_item_ids is not None:
        wanted = set(work_item_ids)
        candidates = [c for c in candidates if c.work_item_id in wanted]
    clio = services.remotes.clio(env)

    async def close(candidate: CloseCandidate) -> CloseOutcome:
        description = f"Closed in Aderant (matter {candidate.matter_number}); close-sync by {actor}"
        try:
            path = await walk_to_phase(clio, candidate.work_item_id, candidate.phase, schedule.closed_phase, description)
        except RemoteNotFound:
            await services.db(services.store.imports.mark_deleted, env.organisation_id, env.id, candidate.work_item_id, actor)
            return CloseOutcome(candidate.matter_number, candidate.work_item_id, False, DELETED)
        except (NoPath, RemoteError) as exc:
            return CloseOutcome(candidate.matter_number, candidate.work_item_id, False, str(exc))
        await services.db(
            services.store.schedules.record_event, "close_sync.applied", env.organisation_id, env.id, actor,
            {"matter_number": candidate.matter_number, "work_item_id": candidate.work_item_id,
             "phases": [p.system_name for p in path], "phase_names": [p.name for p in path]},
        )
        return CloseOutcome(candidate.matter_number, candidate.work_item_id, True, f"Closed ({' → '.join(p.name for p in path)}).")

    return await gather_bounded(candidates, close, services.concurrency)


MAX_STEPS = 10
DELETED = "Deleted in Clio Operate: left as it is (an administrator can release it in History for a fresh import)."


class NoPath(Exception):
    """The work item cannot be walked to the closed phase; the message says where it stopped."""


async def walk_to_phase(
    clio: ClioOperateClient, work_item_id: str, start: str | None, target: str, description: str
) -> list[PhaseRef]:
    """Move a work item to ``target`` one available transition at a time; the phases passed through.

    At each step the transition to ``target`` is taken when Clio Operate offers it, else the
    optimum-path transition to a phase not yet visited (the way the work type's designers mean
    a matter to progress, which does not reopen or abandon it). Stops with NoPath when neither is
    offered, or after MAX_STEPS moves.
    """
    current, path = start, list[PhaseRef]()
    visited = {start} if start else set()
    while current != target:
        if len(path) >= MAX_STEPS:
            raise NoPath(f"{target} was not reached in {MAX_STEPS} phase changes ({_walked(start, path)}): close it in Clio Operate.")
        phase = await clio.phase(work_item_id)
        current = phase.system_name or current
        if current == target:
            break
        offered = phase.available_transitions
        step = next((t for t in offered if t.to_phase == target), None) or next(
            (t for t in offered if t.is_optimum_path and t.to_phase not in visited), None
        )
        if step is None:
            where = f"phase {current}" if current else "its phase"
            moves = ", ".join(t.to_phase for t in offered) or "none"
            done = f" after {_walked(start, path)}" if path else ""
            raise NoPath(f"No way from {where} to {target}{done} (moves offered: {moves}): close it in Clio Operate.")
        moved = await clio.set_phase(work_item_id, step.to_phase, description)
        current = moved.system_name
        visited.add(current)
        path.append(moved)
    return path


def _walked(start: str | None, path: list[PhaseRef]) -> str:
    return " → ".join([start or "?", *(p.system_name for p in path)])
