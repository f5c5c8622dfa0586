"""Settings → Status (administrators only): how each environment is doing now, with a small
server-rendered SVG chart per hop (no script needed to read it; `status.js` only refreshes it)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plugin.hop_statistics import WINDOW_MINUTES, HopSummary
from plugin.schedule_settings import schedule_of
from plugin.services import EnvironmentSettings
from plugin.status import environment_status
from views.common import runtime
from views.rendering import page

CHART_WIDTH, CHART_HEIGHT = 240, 48
BAR_WIDTH = CHART_WIDTH / WINDOW_MINUTES
FAILURE_MARK = 4  # the height of the red mark under a minute with failures


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    failed: bool  # the minute had failures
    text: str  # its tooltip: what the minute held


@dataclass(frozen=True)
class HopChart:
    """One hop's last hour: a bar per minute as tall as its p95 latency, marked red under a
    minute with failures."""

    bars: tuple[Bar, ...]
    description: str


def duration(seconds: float | None) -> str:
    """e.g. "85 ms", "1.4 s"; "—" without calls."""
    if seconds is None:
        return "—"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def percent(rate: float | None) -> str:
    if rate is None:
        return "—"
    return f"{rate:.0%}" if rate == 0 or rate >= 0.01 else "<1%"


def chart(hop: HopSummary) -> HopChart:
    slowest = max((m.p95 for m in hop.minutes if m.p95 is not None), default=0.0)
    usable = CHART_HEIGHT - FAILURE_MARK - 2
    bars = []
    for index, minute in enumerate(hop.minutes):
        if not minute.calls:
            continue
        height = max(1.0, usable * (minute.p95 or 0.0) / slowest) if slowest else 1.0
        when = "this minute" if minute.minutes_ago == 0 else f"{minute.minutes_ago} min ago"
        bars.append(Bar(
            x=round(index * BAR_WIDTH, 2), y=round(usable - height, 2), height=round(height, 2), failed=minute.failures > 0,
            text=f"{when}: {minute.calls} calls, {minute.failures} failed, p95 {duration(minute.p95)}",
        ))
    with_failures = sum(1 for bar in bars if bar.failed)
    description = (
        f"p95 latency per minute over the last hour, {len(bars)} of {WINDOW_MINUTES} minutes with calls; "
        f"slowest minute {duration(slowest or None)}; {with_failures} minutes with failures."
        if bars else "No calls in the last hour."
    )
    return HopChart(tuple(bars), description)


DEFAULTS = {
    "section": "settings", "status": None, "duration": duration, "percent": percent,
    "chart_width": CHART_WIDTH, "chart_height": CHART_HEIGHT, "bar_width": BAR_WIDTH, "failure_mark": FAILURE_MARK,
}

async def status_page(request: Request) -> Response:
    rt = runtime(request)

    async def build(env: EnvironmentSettings) -> dict:
        alerts = rt.alerts
        status = await environment_status(rt.services, alerts.hops, env, alerts.thresholds)
        schedule = await schedule_of(rt.services, env)
        return {
            "status": status,
            "charts": {hop.key: chart(hop) for hop in status.hops},
            "incident": await rt.services.db(alerts.book.open_incident, env.organisation_id, env.id),
            "teams_webhook_set": bool(schedule.teams_webhook),
        }

    defaults = {**DEFAULTS, "refresh_seconds": rt.settings.status_refresh_seconds}
    return await page(request, "settings_status.html", build, defaults, admin=True)


routes: list[Route] = [Route("/settings/status", status_page, methods=["GET"])]
