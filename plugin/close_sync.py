"""Close-sync: imported matters closed in Aderant but still open in Clio Operate.

The dry run reads in batches: the agent's many-statuses call (200 matters a call) and Clio
Operate searches by work item ids (100 a call), never one call per matter. Applying walks each
work item along its phase plan to the configured closed phase. It never reopens anything, and
never touches a matter that is already closed or that PMS Sync did not import.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from datetime import date

from clients.errors import RemoteError
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
        work_item_ids=[m.work_item_id for m in in_aderant], include_closed=True, rows=100
    )
    open_items = {w.id: w for w in work_items if w.phase_is_open}
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
    plans: dict[str, asyncio.Task[dict]] = {}
    limit = asyncio.Semaphore(services.concurrency)

    async def close(candidate: CloseCandidate) -> CloseOutcome:
        async with limit:
            try:
                work_type = candidate.work_type or "matter"
                if work_type not in plans:  # one read of each work type's plan
                    plans[work_type] = asyncio.ensure_future(clio.phase_plan(work_type))
                plan = await plans[work_type]
                current = candidate.phase  # as the dry run just read it, in one search for all
                path = phase_path(plan, current, schedule.closed_phase)
                if path is None:
                    return CloseOutcome(candidate.matter_number, candidate.work_item_id, False,
                                        f"No way from phase {current} to {schedule.closed_phase} in the phase plan: close it in Clio Operate.")
                for step in path:
                    await clio.set_phase(candidate.work_item_id, step, f"Closed in Aderant (matter {candidate.matter_number}); close-sync by {actor}")
            except RemoteError as exc:
                return CloseOutcome(candidate.matter_number, candidate.work_item_id, False, str(exc))
        await services.db(
            services.store.schedules.record_event, "close_sync.applied", env.organisation_id, env.id, actor,
            {"matter_number": candidate.matter_number, "work_item_id": candidate.work_item_id, "phases": path},
        )
        return CloseOutcome(candidate.matter_number, candidate.work_item_id, True, f"Closed ({' → '.join(path)}).")

    return list(await asyncio.gather(*(close(c) for c in candidates)))


def phase_path(plan: dict, start: str | None, target: str) -> list[str] | None:
    """The shortest walk of allowed transitions from ``start`` to ``target`` that passes only
    through open phases (so nothing is ever reopened); [] when already there, None when impossible."""
    phases = {p["systemName"]: p for p in plan.get("phases", [])}
    if start is None or start not in phases or target not in phases or phases[target].get("isOpen"):
        return None
    if start == target:
        return []
    if not phases[start].get("isOpen"):
        return None
    edges: dict[str, list[str]] = {}
    for t in plan.get("transitions", []):
        edges.setdefault(t["fromPhaseSystemName"], []).append(t["toPhaseSystemName"])
    queue: deque[list[str]] = deque([[start]])
    seen = {start}
    while queue:
        path = queue.popleft()
        for step in edges.get(path[-1], []):
            if step in seen or step not in phases:
                continue
            if step == target:
                return path[1:] + [step]
            if phases[step].get("isOpen"):
                seen.add(step)
                queue.append(path + [step])
    return None
