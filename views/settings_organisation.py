"""Settings → Organisation: settings of the whole organisation (administrators of its default
environment): the time zone its pages show times in."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from embed_auth.callers import Caller
from plugin.services import EnvironmentSettings
from plugin.time_zone import set_organisation_zone, zone_names
from views.common import runtime, signed_form, text
from views.rendering import BuildWithout, page

PATH = "/settings/organisation"


async def organisation_page(request: Request) -> Response:
    async def build(_env: EnvironmentSettings | None) -> dict:
        return {"saved": request.query_params.get("saved") == "1"}

    return await _page(request, build)


async def save_time_zone(request: Request) -> Response:
    """Save the time zone (CSRF checked, audited), then back to the page (PRG)."""
    signed = await signed_form(request)
    if isinstance(signed, Response):
        return signed
    form = signed[1]

    async def build(_env: EnvironmentSettings | None) -> dict | Response:
        caller: Caller = request.state.caller  # page() has checked it is a signed-in administrator
        await set_organisation_zone(
            runtime(request).services, caller.principal.organisation_id, caller.principal.user_name, text(form, "time_zone")
        )
        return RedirectResponse(PATH + "?saved=1", status_code=303)

    return await _page(request, build)


async def _page(request: Request, build: BuildWithout) -> Response:
    defaults = {"section": "settings", "saved": False, "zone_names": sorted(zone_names())}
    return await page(
        request, "settings_organisation.html", build, defaults, admin=True, needs_environment=False, rights="organisation"
    )


routes = [
    Route(PATH, organisation_page),
    Route(PATH + "/time-zone", save_time_zone, methods=["POST"]),
]
