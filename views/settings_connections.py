"""Settings → Connections: the organisation's environments and Test connection, administrators only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from embed_auth.principal import Principal
from plugin import connection_check, connections_admin
from plugin.errors import InvalidInput
from plugin.services import EnvironmentSettings, Services
from views.common import caller_of, runtime, signed_form
from views.rendering import Rights, page

LIST = "settings_connections.html"
EDIT = "settings_connection.html"
BASE = "/settings/connections"
NOTICES = {
    "added": "Environment added. Use Test connection to check it.",
    "saved": "Saved.",
    "default": "Default environment changed.",
    "removed": "Environment removed: it has left the switcher and sign-in, and its History is kept.",
}
DEFAULTS: dict[str, Any] = {
    "section": "settings", "notice": None, "problems": {}, "connections": [], "connection": None,
    "form": connections_admin.ConnectionForm(), "check": None,
}

Act = Callable[[Services, Principal, dict[str, str]], Awaitable[dict | Response]]


async def list_page(request: Request) -> Response:
    async def act(services: Services, principal: Principal, _: dict[str, str]) -> dict:
        return await _list(services, principal)

    return await _admin_page(request, LIST, act)


async def add(request: Request) -> Response:
    async def act(services: Services, principal: Principal, fields: dict[str, str]) -> dict | Response:
        try:
            new_id = await connections_admin.add_connection(
                services, principal.organisation_id, principal.user_name, fields
            )
        except connections_admin.InvalidSettings as exc:
            return {**await _list(services, principal), **_invalid(exc)}
        return _done(f"{BASE}/{new_id}", "added")

    return await _admin_page(request, LIST, act, form=True, rights="organisation")


async def edit_page(request: Request) -> Response:
    async def act(services: Services, principal: Principal, _: dict[str, str]) -> dict:
        return await _edit(services, principal, _environment_id(request))

    return await _admin_page(request, EDIT, act, environment_id=_environment_id(request), rights="either")


async def save(request: Request) -> Response:
    environment_id = _environment_id(request)

    async def act(services: Services, principal: Principal, fields: dict[str, str]) -> dict | Response:
        try:
            await connections_admin.save_connection(
                services, principal.organisation_id, environment_id, principal.user_name, fields
            )
        except connections_admin.InvalidSettings as exc:
            return {**await _edit(services, principal, environment_id), **_invalid(exc)}
        return _done(f"{BASE}/{environment_id}", "saved")

    return await _admin_page(request, EDIT, act, form=True, environment_id=environment_id, rights="either")


async def make_default(request: Request) -> Response:
    async def act(services: Services, principal: Principal, _: dict[str, str]) -> Response:
        await connections_admin.set_default_connection(
            services, principal.organisation_id, _environment_id(request), principal.user_name
        )
        return _done(BASE, "default")

    return await _admin_page(request, LIST, act, form=True, rights="organisation")


async def remove(request: Request) -> Response:
    environment_id = _environment_id(request)

    async def act(services: Services, principal: Principal, fields: dict[str, str]) -> dict | Response:
        try:
            await connections_admin.remove_connection(
                services, principal.organisation_id, environment_id, principal.user_name,
                confirmed=fields.get("confirm") == "yes",
            )
        except InvalidInput as exc:
            return {**await _edit(services, principal, environment_id), "problems": {"remove": str(exc)}}
        return _done(BASE, "removed")

    return await _admin_page(request, EDIT, act, form=True, environment_id=environment_id, rights="either")


async def connection_test(request: Request) -> Response:
    environment_id = _environment_id(request)

    async def act(services: Services, principal: Principal, _: dict[str, str]) -> dict:
        result = await connection_check.check_connection(
            services, principal.organisation_id, environment_id, checked_by=principal.user_name
        )
        return {**await _edit(services, principal, environment_id), "check": result}

    return await _admin_page(request, EDIT, act, form=True, environment_id=environment_id, rights="either")


async def _admin_page(
    request: Request,
    template: str,
    act: Act,
    *,
    form: bool = False,
    environment_id: int | None = None,
    rights: Rights = "environment",
) -> Response:
    """Signed in (else to sign-in), CSRF checked on forms, 403 for staff (by `page`) before `act`
    runs; an answer with `problems` is the form shown again, with status 400. An environment's
    connection is changed by its own administrators or the organisation's (see `page`)."""
    rt = runtime(request)
    fields: dict[str, str] = {}
    if form:
        signed = await signed_form(request)
        if isinstance(signed, Response):
            return signed
        caller, posted = signed
        fields = {name: value for name, value in posted.multi_items() if isinstance(value, str)}
    else:
        found = await caller_of(request)
        if found is None or found.session is None:
            return RedirectResponse("/embed", status_code=303)
        caller = found
    refused = False

    async def build(_: EnvironmentSettings | None) -> dict | Response:
        nonlocal refused
        built = await act(rt.services, caller.principal, fields)
        refused = isinstance(built, dict) and bool(built.get("problems"))
        return built

    notice = NOTICES.get(request.query_params.get("done", ""))
    response = await page(
        request, template, build, {**DEFAULTS, "notice": notice}, admin=True, needs_environment=False,
        environment_id=environment_id, rights=rights,
    )
    if refused:
        response.status_code = 400
    return response


async def _list(services: Services, principal: Principal) -> dict:
    return {"connections": await connections_admin.connections(services, principal.organisation_id)}


async def _edit(services: Services, principal: Principal, environment_id: int) -> dict:
    saved = await connections_admin.connection(services, principal.organisation_id, environment_id)
    return {"connection": saved, "form": saved}


def _invalid(exc: connections_admin.InvalidSettings) -> dict:
    error = "Nothing was saved: correct the fields marked below, and type again any secret you had typed."
    return {"form": exc.form, "problems": exc.problems, "error": error}


def _done(path: str, notice: str) -> Response:
    return RedirectResponse(f"{path}?{urlencode({'done': notice})}", status_code=303)


def _environment_id(request: Request) -> int:
    return int(request.path_params["environment_id"])


routes = [
    Route(BASE, list_page, methods=["GET"]),
    Route(BASE, add, methods=["POST"]),
    Route(BASE + "/{environment_id:id}", edit_page, methods=["GET"]),
    Route(BASE + "/{environment_id:id}", save, methods=["POST"]),
    Route(BASE + "/{environment_id:id}/default", make_default, methods=["POST"]),
    Route(BASE + "/{environment_id:id}/remove", remove, methods=["POST"]),
    Route(BASE + "/{environment_id:id}/test", connection_test, methods=["POST"]),
]
