"""What the IT team watches: whether the database answers (readiness), and figures kept in it,
the audit backlog and the schedules' last successful runs (every organisation's: the service's
metrics report them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plugin.services import Services
from store.clock import utcnow
from store.repository import Store


@dataclass(frozen=True)
class OperationsFigures:
    audit_backlog: int
    audit_backlog_oldest_age: float  # seconds; 0 when nothing waits
    schedule_last_success: dict[int, datetime]  # by environment id


def operations_figures(store: Store) -> OperationsFigures:
    """Blocking: run off the event loop."""
    backlog = store.outbox.backlog()
    age = 0.0 if backlog.oldest is None else max(0.0, (utcnow() - backlog.oldest).total_seconds())
    return OperationsFigures(backlog.waiting, age, store.schedules.last_successes())


async def check_database(services: Services) -> None:
    """Raises whatever the database raises when it does not answer."""
    await services.db(services.store.ping)
