"""Settings → Members: who may sign in outside Clio Operate, and with which role (administrators only)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from embed_auth.callers import Caller
from plugin.errors import UseCaseError
from plugin.members import add_member, change_role, members, organisation_access, remove_member, set_organisation_access
from plugin.services import EnvironmentSettings, Services
from views.common import runtime, signed_form, text
from views.rendering import page

PATH = "/settings/members"
ROLE_CHOICES = (("administrator", "Administrator"), ("staff", "Staff"), ("", "No role"))
# A change: (services, organisation id, who is changing, the submitted form).
Change = Callable[[Services, int, str, FormData], Awaitable[object]]


async def _members_page(request: Request, change: Change | None = None) -> Response:
    """The list; with a ``change``, apply it first (CSRF checked) and come back to the list (PRG)."""
    listing: list[object] = []  # filled after a refused change, so the page still shows the members with the reason
    access_shown: list[object] = []  # likewise the organisation's roles and access contact
    signed = await signed_form(request) if change is not None else None
    if isinstance(signed, Response):
        return signed

    async def build(_env: EnvironmentSettings | None) -> dict | Response:
        caller: Caller = request.state.caller  # page() has checked it is a signed-in administrator
        services = runtime(request).services
        organisation_id = caller.principal.organisation_id
        if change is None or signed is None:
            return {"members": await members(services, organisation_id), "organisation_access": [await organisation_access(services, organisation_id)]}
        try:
            await change(services, organisation_id, caller.principal.user_name, signed[1])
        except UseCaseError:
            listing.extend(await members(services, organisation_id))
            access_shown.append(await organisation_access(services, organisation_id))
            raise
        return RedirectResponse(PATH, status_code=303)

    defaults = {"members": listing, "organisation_access": access_shown, "roles": ROLE_CHOICES, "section": "settings"}
    return await page(
        request, "settings_members.html", build, defaults, admin=True, needs_environment=False, rights="organisation"
    )


async def members_list(request: Request) -> Response:
    return await _members_page(request)


async def add(request: Request) -> Response:
    return await _members_page(
        request,
        lambda services, org, actor, form: add_member(
            services, org, actor, text(form, "email"), text(form, "display_name"), text(form, "role")
        ),
    )


async def set_role(request: Request) -> Response:
    member_id: int = request.path_params["member_id"]
    return await _members_page(
        request, lambda services, org, actor, form: change_role(services, org, actor, member_id, text(form, "role"))
    )


async def remove(request: Request) -> Response:
    member_id: int = request.path_params["member_id"]
    return await _members_page(request, lambda services, org, actor, form: remove_member(services, org, actor, member_id))


async def save_organisation_access(request: Request) -> Response:
    return await _members_page(
        request,
        lambda services, org, actor, form: set_organisation_access(
            services, org, actor, text(form, "admin_roles"), text(form, "staff_roles"), text(form, "access_contact")
        ),
    )


routes = [
    Route(PATH, members_list),
    Route(PATH + "/access", save_organisation_access, methods=["POST"]),
    Route(PATH, add, methods=["POST"]),
    Route(PATH + "/{member_id:id}/role", set_role, methods=["POST"]),
    Route(PATH + "/{member_id:id}/remove", remove, methods=["POST"]),
]
