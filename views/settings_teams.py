"""Settings → Default Teams (administrators only): list, add and remove default teams."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from plugin.errors import InvalidInput
from plugin.services import EnvironmentSettings
from plugin.teams_admin import EVERY_TYPE, add_team, overview, remove_team
from views import parsing
from views.common import HANDLED, runtime, signed_form, text
from views.rendering import WithStatus, page

DEFAULTS = {"section": "settings", "page": None, "notice": None, "every_type": EVERY_TYPE}
NOTICES = {"added": "The default team was added.", "removed": "The default team was removed."}


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

    async def build(env: EnvironmentSettings) -> WithStatus | Response:
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
            return WithStatus.refused(exc, {"page": await overview(services, env, work_type, query if action == "add" else None)})
        done = "added" if action == "add" else "removed"
        return RedirectResponse(f"/settings/teams?{urlencode({'environment': env.id, 'done': done})}", status_code=303)

    return await page(request, "settings_teams.html", build, DEFAULTS, admin=True)


def whole_number(value: str, what: str) -> int:
    """An id a form posted; anything else names nothing, so it "does not exist"."""
    try:
        number = parsing.whole_number(value, what)
    except InvalidInput:
        number = None
    if number is None:
        raise InvalidInput(f"That {what} does not exist: reload the page.")
    return number


routes: list[Route] = [
    Route("/settings/teams", teams_page, methods=["GET"]),
    Route("/settings/teams", teams_post, methods=["POST"]),
]
