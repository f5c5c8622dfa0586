"""History → Schedule, Close-sync and Auto-import: administrators only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from embed_auth.callers import Caller
from plugin.auto_import import apply_auto_import, auto_import_dry_run, auto_import_plan
from plugin.close_sync import apply_close_sync, close_sync_dry_run
from plugin.drift_summary import DriftSummary
from plugin.errors import InvalidInput
from plugin.schedule_settings import (
    ScheduleSettings,
    closed_phase,
    closed_phase_choices,
    recent_runs,
    save_schedule,
    schedule_of,
)
from plugin.services import EnvironmentSettings, Services
from views.common import HANDLED, actor, http_error, principal_in, runtime, signed_form, text
from views.rendering import WithStatus, page

SCHEDULE = "/history/schedule"
SCHEDULE_DEFAULTS: dict[str, object] = {
    "section": "history", "schedule": None, "form": None, "runs": [], "saved": False, "closed_phases": [],
    "last_run": None, "last_drift": None,
}
FIELDS = ("interval_minutes", "closed_phase", "auto_import_clients", "auto_import_since")
# A schedule form's change: (caller, form, environment) -> the query of the page to go back to.
Change = Callable[[Caller, FormData, EnvironmentSettings], Awaitable[dict[str, str]]]


def _back(path: str, env: EnvironmentSettings, **params: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode({'environment': env.id, **params})}", status_code=303)


def _shown(schedule: ScheduleSettings) -> dict[str, object]:
    """The schedule as its form shows it (the Teams webhook is a secret: never shown)."""
    since = schedule.auto_import_since
    return {
        "enabled": schedule.enabled,
        "interval_minutes": str(schedule.interval_minutes),
        "closed_phase": schedule.closed_phase,
        "auto_import_clients": " ".join(schedule.auto_import_clients),
        "auto_import_since": since.isoformat() if since else "",
    }


async def _schedule(services: Services, env: EnvironmentSettings) -> dict:
    schedule = await schedule_of(services, env)
    runs = await recent_runs(services, env)
    last_run = next((r for r in runs if r.outcome != "running"), None)
    return {
        "schedule": schedule,
        "form": _shown(schedule),
        "runs": runs,
        "closed_phases": await closed_phase_choices(services, env, schedule.closed_phase),
        "last_run": last_run,
        "last_drift": DriftSummary.from_json(last_run.drift) if last_run else None,
    }


def _closed_phase(form: FormData) -> str:
    """The phase typed as another phase, else the one chosen from the list."""
    return text(form, "closed_phase_other") or text(form, "closed_phase")


async def schedule_page(request: Request) -> Response:
    async def build(env: EnvironmentSettings) -> dict:
        return {**await _schedule(runtime(request).services, env), "saved": request.query_params.get("saved") == "1"}

    return await page(request, "sync_schedule.html", build, SCHEDULE_DEFAULTS, admin=True)


async def _schedule_post(request: Request, change: Change, *, keep_submitted: bool) -> Response:
    """A Schedule form (CSRF checked): apply ``change``, then back to the page (PRG). A refusal shows
    the page again with the reason above the form, holding the submitted values if ``keep_submitted``."""
    signed = await signed_form(request)
    if isinstance(signed, Response):
        return signed
    caller, form = signed

    async def build(env: EnvironmentSettings) -> WithStatus | Response:
        try:
            return _back(SCHEDULE, env, **await change(caller, form, env))
        except HANDLED as exc:
            status, error = http_error(exc)
        context = await _schedule(runtime(request).services, env)
        if keep_submitted:
            context["form"] = {
                "enabled": text(form, "enabled") == "on", **{name: text(form, name) for name in FIELDS}, "closed_phase": _closed_phase(form)
            }
            if text(form, "teams_webhook"):
                error += " Type the Teams webhook again: it is never shown back."
        return WithStatus(status, {**context, "error": error})

    return await page(request, "sync_schedule.html", build, SCHEDULE_DEFAULTS, admin=True)


async def schedule_save(request: Request) -> Response:
    async def change(caller: Caller, form: FormData, env: EnvironmentSettings) -> dict[str, str]:
        await save_schedule(
            runtime(request).services, env, caller.principal.user_name,
            enabled=text(form, "enabled") == "on", interval=text(form, "interval_minutes"),
            closed_phase=_closed_phase(form), clients=text(form, "auto_import_clients"),
            since=text(form, "auto_import_since"), teams_webhook=text(form, "teams_webhook"),
            clear_webhook=text(form, "clear_teams_webhook") == "on",
        )
        return {"saved": "1"}

    return await _schedule_post(request, change, keep_submitted=True)


async def run_now(request: Request) -> Response:
    async def change(caller: Caller, form: FormData, env: EnvironmentSettings) -> dict[str, str]:
        await runtime(request).runner.run_now(env.organisation_id, env.id)
        return {}

    return await _schedule_post(request, change, keep_submitted=False)


SYNC_DEFAULTS: dict[str, object] = {"section": "history", "candidates": [], "outcomes": None, "schedule": None, "closed_phase": None}
# Applying the ticked items (None: all) of a Close-sync or Auto-import page: their outcomes.
Apply = Callable[[Caller, EnvironmentSettings, "list[str] | None"], Awaitable[list]]
# The page's dry run and what else it shows, given the environment's schedule.
Review = Callable[[EnvironmentSettings, ScheduleSettings], Awaitable[dict]]


def _chosen(form: FormData, field: str, nothing_ticked: str) -> list[str] | None:
    """The ticked items, or None for "all"; InvalidInput when "selected" was asked with none ticked."""
    if form.get("apply") == "all":
        return None
    chosen = [str(v) for v in form.getlist(field)]
    if not chosen:
        raise InvalidInput(nothing_ticked)
    return chosen


async def _sync_page(request: Request, template: str, field: str, nothing_ticked: str, apply: Apply, review: Review) -> Response:
    """Close-sync and Auto-import: the dry run (GET), or apply the items ticked in ``field`` then the
    dry run again (POST, CSRF checked). A refusal to apply is shown above the list, which stays."""
    signed = await signed_form(request) if request.method == "POST" else None
    if isinstance(signed, Response):
        return signed
    services = runtime(request).services

    async def build(env: EnvironmentSettings, signed: tuple[Caller, FormData] | None) -> dict:
        outcomes = None
        if signed is not None:
            caller, form = signed
            outcomes = await apply(caller, env, _chosen(form, field, nothing_ticked))
        schedule = await schedule_of(services, env)
        return {**await review(env, schedule), "outcomes": outcomes, "schedule": schedule}

    async def built(env: EnvironmentSettings) -> dict | WithStatus:
        try:
            return await build(env, signed)
        except InvalidInput as exc:
            return WithStatus.refused(exc, await build(env, None))

    return await page(request, template, built, SYNC_DEFAULTS, admin=True)


async def close_sync_page(request: Request) -> Response:
    services = runtime(request).services

    async def apply(caller: Caller, env: EnvironmentSettings, chosen: list[str] | None) -> list:
        return await apply_close_sync(services, env, caller.principal.user_name, chosen)

    async def review(env: EnvironmentSettings, schedule: ScheduleSettings) -> dict:
        return {
            "candidates": await close_sync_dry_run(services, env),
            "closed_phase": await closed_phase(services, env, schedule.closed_phase),
        }

    nothing_ticked = "Tick the matters to close first: nothing was closed."
    return await _sync_page(request, "sync_close.html", "work_item", nothing_ticked, apply, review)


async def auto_import_page(request: Request) -> Response:
    services = runtime(request).services

    async def apply(caller: Caller, env: EnvironmentSettings, chosen: list[str] | None) -> list:
        return await apply_auto_import(services, env, actor(await principal_in(request, caller, env)), chosen)

    async def review(env: EnvironmentSettings, schedule: ScheduleSettings) -> dict:
        return {"candidates": await auto_import_plan(services, env, await auto_import_dry_run(services, env))}

    nothing_ticked = "Tick the matters to import first: nothing was imported."
    return await _sync_page(request, "sync_auto_import.html", "matter", nothing_ticked, apply, review)


routes = [
    Route(SCHEDULE, schedule_page, methods=["GET"]),
    Route(SCHEDULE, schedule_save, methods=["POST"]),
    Route(SCHEDULE + "/run", run_now, methods=["POST"]),
    Route("/history/close-sync", close_sync_page, methods=["GET", "POST"]),
    Route("/history/auto-import", auto_import_page, methods=["GET", "POST"]),
]
