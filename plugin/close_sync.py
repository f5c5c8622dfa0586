"""Close-sync: imported matters closed in Aderant but still open in Clio Operate.

The dry run reads in batches: the agent's many-statuses call (200 matters a call) and Clio
Operate searches by work item ids for open items only (100 a call), never one call per matter.
Applying walks each work item towards the configured closed phase along the transitions Clio
Operate offers it now (`GET …/workItem/{id}/phase`, then one `PUT …/phase` per step). It never
reopens anything, and never touches a matter that is already closed or that PMS Sync did not import.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

from clients.clio_models import PhaseRef
from clients.clio_operate import ClioOperateClient
from clients.errors import RemoteError, RemoteNotFound
from plugin.services import Services
from store.repository import EnvironmentSettings


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
    imported = await services.db(services.store.schedules.imported_matters, env.organisation_id, env.id)
    if not imported:
        return []
    statuses = await services.connections.agent(env).matter_statuses([int(m.matter_uno) for m in imported])
    closed = {str(s.matter_uno): s for s in statuses if s.closed}
    in_aderant = [m for m in imported if m.matter_uno in closed]
    if not in_aderant:
        return []
    work_items = await services.connections.clio(env).find_work_items(
        work_item_ids=[m.work_item_id for m in in_aderant], open_only=True, rows=100
    )
    open_items = {w.id: w for w in work_items}
    return [
        CloseCandidate(
            matter_number=m.matter_number,
            matter_uno=m.matter_uno,
            work_item_id=m.work_item_id,
            work_item_url=env.work_item_url(m.work_item_id),
            title=open_items[m.work_item_id].title,
            work_type=open_items[m.work_item_id].type_system_name,
            phase=open_items[m.work_item_id].phase_system_name,
            aderant_status=closed[m.matter_uno].status_description or closed[m.matter_uno].status,
            close_date=closed[m.matter_uno].close_date,
            phase_name=open_items[m.work_item_id].phase_name,
        )
        for m in sorted(in_aderant, key=lambda m: m.matter_number)
        if m.work_item_id in open_items
    ]


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
    clio = services.connections.clio(env)
    limit = asyncio.Semaphore(services.concurrency)

    async def close(candidate: CloseCandidate) -> CloseOutcome:
        description = f"Closed in Aderant (matter {candidate.matter_number}); close-sync by {actor}"
        async with limit:
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
             "phases": [p.system_name for p in path]},
        )
        return CloseOutcome(candidate.matter_number, candidate.work_item_id, True, f"Closed ({' → '.join(p.name for p in path)}).")

    return list(await asyncio.gather(*(close(c) for c in candidates)))


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
