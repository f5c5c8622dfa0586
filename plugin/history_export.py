"""History as CSV: every attempt the filter matches, times in the organisation's time zone, each
text cell made safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime

from plugin.history import MAX_PAGE_SIZE, HistoryEntry, HistoryFilter, history_page
from plugin.services import Services
from plugin.time_zone import in_zone, organisation_zone
from store.repository import EnvironmentSettings

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """The cell's text, with a leading quote when a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _row(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([spreadsheet_safe(cell) for cell in cells])
    return out.getvalue()


async def history_csv(
    services: Services, env: EnvironmentSettings, query: HistoryFilter, *, organisation_admin: bool = False
) -> AsyncIterator[str]:
    """The CSV, line by line, read a page at a time (newest first), so a long History is not held
    in memory. The first page is read before anything is yielded, so a refusal comes first."""
    zone = await organisation_zone(services, env.organisation_id)

    def when(moment: datetime | None) -> str:
        return in_zone(moment, zone).strftime("%Y-%m-%d %H:%M:%S") if moment else ""

    def cells(e: HistoryEntry) -> list[str]:
        return [
            when(e.started_at), when(e.finished_at), e.environment, e.matter_number, e.user_display_name, e.user,
            e.trigger, e.outcome, e.work_item_id or "", e.work_item_url or "", e.error or "", e.request_id or "",
        ]

    batch = replace(query, before=None, limit=MAX_PAGE_SIZE)
    page = await history_page(services, env, batch, organisation_admin=organisation_admin)

    async def lines() -> AsyncIterator[str]:
        nonlocal page
        yield _row([
            f"Started ({zone.key})", f"Finished ({zone.key})", "Environment", "Matter", "Name", "User name",
            "Trigger", "Outcome", "Work item", "Work item URL", "Error", "Reference",
        ])
        while True:
            for entry in page.items:
                yield _row(cells(entry))
            if page.next_before is None:
                return
            page = await history_page(services, env, replace(batch, before=page.next_before), organisation_admin=organisation_admin)

    return lines()
