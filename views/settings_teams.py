"""Settings → Default Teams (administrators only): list, add and remove default teams."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from embed_auth.requests import Caller
from embed_auth.sessions import CSRF_FIELD, csrf_ok
from plugin.errors import InvalidInput
from plugin.services import EnvironmentSettings
from plugin.teams_admin import EVERY_TYPE, add_team, overview, remove_team
from views.common import HANDLED, http_error, runtime
from views.rendering import page

DEFAULTS = {"section": "settings", "page": None, "notice": None, "every_type": EVERY_TYPE}
NOTICES = {"added": "The default team was added.", "removed": "The default team was removed."}
EXPIRED = "This form has expired: reload the page and try again."


async def signed_form(request: Request) -> tuple[Caller, FormData] | Response:
    """The posted form of a signed-in browser whose CSRF token matches; else the answer to give."""
    caller = await runtime(request).auth.caller(request)
    if caller is None or caller.session is None:
        return RedirectResponse("/embed", status_code=303)
    form = await request.form()
    if not csrf_ok(caller.session, str(form.get(CSRF_FIELD) or "")):
        return PlainTextResponse(EXPIRED, status_code=403)
    return caller, form


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def teams_page(request: Request) -> Response:
    params = request.query_params

    async def build(env: EnvironmentSettings) -> dict:
        found = await overview(runtime(request).services, env, params.get("work_type", ""), params.get("q"))
        return {"page": found, "notice": NOTICES.get(params.get("done", ""))}

    return await page(request, "settings_teams.html", build, DEFAULTS, admin=True)


async def teams_post(request: Request) -> Response:
    """Add or remove (PRG); a refusal shows the page again with the reason."""
    signed = await signed_form(request)
    if isinstance(signed, Response):
        return signed
    caller, form = signed
    services = runtime(request).services
    action, work_type, query = text(form, "action"), text(form, "work_type"), text(form, "q")
    status = 200

    async def build(env: EnvironmentSettings) -> dict | Response:
        nonlocal status
        try:
            if action == "add":
                await add_team(
                    services, env, caller.principal.user_name,
                    work_type=work_type, query=query, team_id=text(form, "team_id"), role=text(form, "role"),
                )
            elif action == "remove":
                await remove_team(services, env, caller.principal.user_name, whole_number(text(form, "id"), "default team"))
            else:
                raise InvalidInput("Unknown action: reload the page and try again.")
        except HANDLED as exc:
            status, message = http_error(exc)
            return {"page": await overview(services, env, work_type, query if action == "add" else None), "error": message}
        done = "added" if action == "add" else "removed"
        return RedirectResponse(f"/settings/teams?{urlencode({'environment': env.id, 'done': done})}", status_code=303)

    response = await page(request, "settings_teams.html", build, DEFAULTS, admin=True)
    if status != 200:
        response.status_code = status
    return response


def whole_number(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"That {what} does not exist: reload the page.") from None


routes: list[Route] = [
    Route("/settings/teams", teams_page, methods=["GET"]),
    Route("/settings/teams", teams_post, methods=["POST"]),
]
