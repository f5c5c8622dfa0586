"""History: every import attempt, newest first, for one organisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plugin.errors import InvalidInput, NotFound
from plugin.services import Services
from store.repository import EnvironmentSettings

OUTCOMES = ("imported", "already_imported", "failed", "refused", "in_progress", "interrupted")
PAGE_SIZE = 50


@dataclass(frozen=True)
class HistoryFilter:
    outcome: str | None = None
    matter_number: str | None = None
    before: int | None = None
    limit: int = PAGE_SIZE

    def __post_init__(self) -> None:
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise InvalidInput(f"Unknown outcome {self.outcome!r}: use one of {', '.join(OUTCOMES)}.")
        if not 1 <= self.limit <= 200:
            raise InvalidInput("limit must be between 1 and 200.")


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    matter_number: str
    work_item_id: str | None
    work_item_url: str | None
    user: str
    environment: str
    trigger: str
    environment_id: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    error: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class HistoryPage:
    items: list[HistoryEntry]
    next_before: int | None  # pass as `before` for the next (older) page


async def history_page(services: Services, env: EnvironmentSettings, query: HistoryFilter) -> HistoryPage:
    rows = await services.db(
        services.store.imports.history,
        env.organisation_id,
        environment_id=env.id,
        outcome=query.outcome,
        matter_number=query.matter_number,
        before_id=query.before,
        limit=query.limit + 1,
    )
    items = [_entry(row, env) for row in rows[: query.limit]]
    return HistoryPage(items, items[-1].id if len(rows) > query.limit else None)


async def history_entry(services: Services, organisation_id: int, attempt_id: int) -> HistoryEntry:
    row = await services.db(services.store.imports.attempt, organisation_id, attempt_id)
    if row is None:
        raise NotFound("There is no such import attempt in your organisation's History.")
    env = await services.db(services.store.environment, organisation_id, row.environment_id, include_removed=True)
    if env is None:
        raise NotFound("There is no such import attempt in your organisation's History.")
    return _entry(row, env)


def _entry(row: Any, env: EnvironmentSettings) -> HistoryEntry:
    return HistoryEntry(
        id=row.id,
        matter_number=row.matter_number,
        work_item_id=row.work_item_id,
        work_item_url=env.work_item_url(row.work_item_id) if row.work_item_id else None,
        user=row.user_name,
        environment=env.name,
        trigger=row.trigger,
        environment_id=row.environment_id,
        started_at=row.started_at,
        finished_at=row.finished_at,
        outcome=row.outcome,
        error=row.error,
        details=row.details or {},
    )
