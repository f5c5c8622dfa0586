"""History: every import attempt, newest first, for one organisation: of one environment, or of
all of them for its administrators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from plugin.errors import Forbidden, InvalidInput, NotFound
from plugin.services import Services
from plugin.time_zone import days_between, organisation_zone
from store.repository import EnvironmentSettings
from store.required import required

OUTCOMES = ("imported", "already_imported", "updated", "failed", "refused", "in_progress", "interrupted")  # updated: a change from Aderant applied
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
ALL_ENVIRONMENTS_ADMIN_ONLY = (
    "Only administrators can see History across all environments: choose one environment instead."
)


@dataclass(frozen=True)
class HistoryFilter:
    outcome: str | None = None
    matter_number: str | None = None
    user_name: str | None = None
    first_day: date | None = None  # days in the organisation's time zone, both included
    last_day: date | None = None
    all_environments: bool = False
    before: int | None = None
    limit: int = PAGE_SIZE

    def __post_init__(self) -> None:
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise InvalidInput(f"Unknown outcome {self.outcome!r}: use one of {', '.join(OUTCOMES)}.")
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}.")
        if self.first_day and self.last_day and self.first_day > self.last_day:
            raise InvalidInput("The From date is after the To date: swap them, or clear one.")


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    matter_number: str
    work_item_id: str | None
    work_item_url: str | None
    user: str  # the user name
    user_display_name: str  # as last seen at sign-in, else the user name
    environment: str
    trigger: str
    environment_id: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    error: str | None
    details: dict[str, Any]
    request_id: str | None  # the reference on the error page and in the logs


@dataclass(frozen=True)
class HistoryPage:
    items: list[HistoryEntry]
    next_before: int | None  # pass as `before` for the next (older) page


@dataclass(frozen=True)
class HistoryPerson:
    user_name: str
    display_name: str


async def history_page(
    services: Services, env: EnvironmentSettings, query: HistoryFilter, *, organisation_admin: bool = False
) -> HistoryPage:
    """A page of `env`'s History, or of every environment's when the filter asks and the caller
    is an administrator of the organisation."""
    if query.all_environments and not organisation_admin:
        raise Forbidden(ALL_ENVIRONMENTS_ADMIN_ONLY)
    started_from, started_before = days_between(
        query.first_day, query.last_day, await organisation_zone(services, env.organisation_id)
    )
    rows = await services.db(
        services.store.imports.history,
        env.organisation_id,
        environment_id=None if query.all_environments else env.id,
        outcome=query.outcome,
        matter_number=query.matter_number,
        user_name=query.user_name,
        started_from=started_from,
        started_before=started_before,
        before_id=query.before,
        limit=query.limit + 1,
    )
    shown = rows[: query.limit]
    envs = await _environments(services, env, {row.environment_id for row in shown})
    names = await services.db(services.store.people.display_names, env.organisation_id, {row.user_name for row in shown})
    items = [_entry(row, envs[row.environment_id], names) for row in shown]
    return HistoryPage(items, items[-1].id if len(rows) > query.limit else None)


async def history_people(
    services: Services, env: EnvironmentSettings, *, all_environments: bool = False
) -> list[HistoryPerson]:
    """Everyone who appears in the History shown (for the user filter), by display name."""
    users = await services.db(
        services.store.imports.history_users, env.organisation_id, None if all_environments else env.id
    )
    names = await services.db(services.store.people.display_names, env.organisation_id, users)
    people = [HistoryPerson(user, names.get(user, user)) for user in users]
    return sorted(people, key=lambda p: (p.display_name.casefold(), p.user_name))


async def history_entry(services: Services, organisation_id: int, attempt_id: int) -> HistoryEntry:
    row = await services.db(services.store.imports.attempt, organisation_id, attempt_id)
    if row is None:
        raise NotFound("There is no such import attempt in your organisation's History.")
    env = await services.db(services.store.environment, organisation_id, row.environment_id, include_removed=True)
    if env is None:
        raise NotFound("There is no such import attempt in your organisation's History.")
    names = await services.db(services.store.people.display_names, organisation_id, [row.user_name])
    return _entry(row, env, names)


async def _environments(services: Services, env: EnvironmentSettings, ids: set[int]) -> dict[int, EnvironmentSettings]:
    """The environments of these rows, removed ones included (they keep their History)."""
    known = {env.id: env}
    if ids - known.keys():
        known.update({e.id: e for e in await services.environments(env.organisation_id)})
    for missing in ids - known.keys():
        removed = await services.db(services.store.environment, env.organisation_id, missing, include_removed=True)
        # an attempt's environment is never deleted, only removed
        known[missing] = required(removed, f"environment {missing} of an attempt in History")
    return known


def _entry(row: Any, env: EnvironmentSettings, names: dict[str, str]) -> HistoryEntry:
    return HistoryEntry(
        id=row.id,
        matter_number=row.matter_number,
        work_item_id=row.work_item_id,
        work_item_url=env.work_item_url(row.work_item_id) if row.work_item_id else None,
        user=row.user_name,
        user_display_name=names.get(row.user_name) or row.user_name,
        environment=env.name,
        trigger=row.trigger,
        environment_id=row.environment_id,
        started_at=row.started_at,
        finished_at=row.finished_at,
        outcome=row.outcome,
        error=row.error,
        details=row.details or {},
        request_id=row.request_id,
    )
