"""History → Schedule, Close-sync and Auto-import: administrators only."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from embed_auth.sessions import CSRF_FIELD, csrf_ok
from plugin.auto_import import apply_auto_import, auto_import_dry_run
from plugin.close_sync import apply_close_sync, close_sync_dry_run
from plugin.errors import Forbidden
from plugin.schedules import save_schedule
from plugin.services import EnvironmentSettings
from views.common import FORM_EXPIRED, actor, runtime
from views.rendering import page


async def _form(request: Request) -> dict[str, list[str]]:
    """The posted form, after checking its CSRF token against the caller's session."""
    caller = request.state.caller
    form = await request.form()
    if caller.session is None or not csrf_ok(caller.session, str(form.get(CSRF_FIELD) or "")):
        raise Forbidden(FORM_EXPIRED)
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            values.setdefault(key, []).append(value)
    return values


def _back(path: str, env: EnvironmentSettings, **params: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode({'environment': env.id, **params})}", status_code=303)


async def schedule_page(request: Request) -> Response:
    services = runtime(request).services

    async def build(env: EnvironmentSettings | None) -> dict | Response:
        assert env is not None
        schedules = services.store.schedules
        if request.method == "POST":
            form = await _form(request)

            def one(name: str) -> str:
                return (form.get(name) or [""])[0]

            await save_schedule(
                services, env, actor_name(request),
                enabled=one("enabled") == "on", interval=one("interval_minutes"), closed_phase=one("closed_phase"),
                clients=one("auto_import_clients"), since=one("auto_import_since"),
                teams_webhook=one("teams_webhook"), clear_webhook=one("clear_teams_webhook") == "on",
            )
            return _back("/history/schedule", env, saved="1")
        return {
            "schedule": await services.db(schedules.schedule, env.organisation_id, env.id),
            "runs": await services.db(schedules.runs, env.organisation_id, env.id),
            "saved": request.query_params.get("saved") == "1",
        }

    return await page(request, "sync_schedule.html", build, {"section": "history", "schedule": None, "runs": []}, admin=True)


async def run_now(request: Request) -> Response:
    rt = runtime(request)

    async def build(env: EnvironmentSettings | None) -> Response:
        assert env is not None
        await _form(request)
        await rt.runner.run_now(env.organisation_id, env.id)
        return _back("/history/schedule", env)

    return await page(request, "sync_schedule.html", build, {"section": "history", "schedule": None, "runs": []}, admin=True)


async def close_sync_page(request: Request) -> Response:
    services = runtime(request).services

    async def build(env: EnvironmentSettings | None) -> dict:
        assert env is not None
        if request.method == "POST":
            form = await _form(request)
            chosen = None if form.get("apply") == ["all"] else form.get("work_item", [])
            outcomes = await apply_close_sync(services, env, actor_name(request), chosen)
            return {"outcomes": outcomes, "candidates": await close_sync_dry_run(services, env)}
        return {"candidates": await close_sync_dry_run(services, env), "outcomes": None}

    return await page(request, "sync_close.html", build, {"section": "history", "candidates": [], "outcomes": None}, admin=True)


async def auto_import_page(request: Request) -> Response:
    services = runtime(request).services

    async def build(env: EnvironmentSettings | None) -> dict:
        assert env is not None
        if request.method == "POST":
            form = await _form(request)
            chosen = None if form.get("apply") == ["all"] else form.get("matter", [])
            outcomes = await apply_auto_import(services, env, actor(request.state.caller), chosen)
            return {"outcomes": outcomes, "candidates": await auto_import_dry_run(services, env)}
        schedule = await services.db(services.store.schedules.schedule, env.organisation_id, env.id)
        return {"candidates": await auto_import_dry_run(services, env), "outcomes": None, "schedule": schedule}

    return await page(
        request, "sync_auto_import.html", build,
        {"section": "history", "candidates": [], "outcomes": None, "schedule": None}, admin=True,
    )


def actor_name(request: Request) -> str:
    return request.state.caller.principal.user_name


routes = [
    Route("/history/schedule", schedule_page, methods=["GET", "POST"]),
    Route("/history/schedule/run", run_now, methods=["POST"]),
    Route("/history/close-sync", close_sync_page, methods=["GET", "POST"]),
    Route("/history/auto-import", auto_import_page, methods=["GET", "POST"]),
]
