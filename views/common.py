"""Helpers shared by the page and API endpoints: who is asking, which environment, which error."""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from embed_auth.callers import Caller
from embed_auth.host_token import SignInUnavailable, TokenRejected
from embed_auth.principal import AccessRefused, Principal
from embed_auth.sessions import CSRF_FIELD, csrf_ok
from plugin.errors import (
    Forbidden,
    InvalidInput,
    NotConfigured,
    NotFound,
    RemoteError,
    RemoteNotFound,
    RemoteTimeout,
    UseCaseError,
)
from plugin.history import PAGE_SIZE, HistoryEntry, HistoryFilter
from plugin.importer import Actor, ImportFailed, ImportInProgress
from plugin.refused_imports import refuse_import
from plugin.services import EnvironmentSettings
from views.parsing import day, matter_number, whole_number
from views.runtime import Runtime

log = logging.getLogger("pms_sync.views")

FORM_EXPIRED = "This form has expired: reload the page and try again."
FORM_NUL = "This form holds a NUL character, which cannot be stored: remove it and try again."


class NotSignedIn(Exception):
    pass


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def caller_of(request: Request) -> Caller | None:
    """Who is calling (session cookie or Bearer token), looked up once per request."""
    if not hasattr(request.state, "caller"):
        request.state.caller = await runtime(request).auth.caller(request)
    caller: Caller | None = request.state.caller
    return caller


async def require_caller(request: Request) -> Caller:
    caller = await caller_of(request)
    if caller is None:
        raise NotSignedIn("Sign in first: open PMS Sync from Clio Operate, or send a Clio Operate token as a Bearer token.")
    return caller


def environment_param(request: Request) -> int | None:
    try:
        return whole_number(request.query_params.get("environment"), "environment")
    except InvalidInput:
        raise InvalidInput("The environment must be an environment id, as listed by /api/v1/environments.") from None


async def selected_environment(request: Request, caller: Caller) -> EnvironmentSettings:
    """The environment the request acts on, once the caller is known there (else AccessRefused)."""
    env, _ = await acting_environment(request, caller)
    return env


async def acting_environment(request: Request, caller: Caller) -> tuple[EnvironmentSettings, Principal]:
    """The environment asked for (``?environment=``, else the signed-in one, else the default) and
    who the caller is there: their rights come from that environment's own tenant."""
    principal = caller.principal
    env = await runtime(request).services.environment(
        principal.organisation_id, environment_param(request), fallback=principal.environment_id
    )
    return env, await principal_in(request, caller, env)


async def principal_in(request: Request, caller: Caller, env: EnvironmentSettings, *, audit: bool = True) -> Principal:
    return await caller.principal_in(runtime(request).auth.access, env, audit=audit)


async def organisation_principal(request: Request, caller: Caller, *, audit: bool = True) -> Principal:
    """Who the caller is for the organisation as a whole (Members, adding an environment, the
    default): who they are in its default environment, so an administrator of another environment
    cannot grant themselves more. Before any environment is usable, who they signed in as."""
    principal = caller.principal
    try:
        default = await runtime(request).services.environment(principal.organisation_id, None)
    except NotConfigured:
        return principal
    return await principal_in(request, caller, default, audit=audit)


def actor(principal: Principal) -> Actor:
    return Actor(
        principal.user_id,
        principal.user_name,
        principal.organisation_id,
        clio_user_id=principal.clio_user_id,
        signed_in_environment_id=principal.environment_id,
    )


async def refuse_import_request(request: Request, env: EnvironmentSettings, principal: Principal, exc: InvalidInput) -> None:
    """Record in History an import refused because its request could not be read."""
    await refuse_import(runtime(request).services, env, actor(principal), request.path_params["matter_number"], str(exc))


def history_filter(request: Request) -> HistoryFilter:
    """History's filters from the query: outcome, matter, user, from and to (days in the
    organisation's time zone), environments=all, and the page (before, limit)."""
    params = request.query_params
    matter = (params.get("matter") or "").strip()
    user = (params.get("user") or "").strip()
    scope = params.get("environments") or ""
    if scope not in ("", "all"):
        raise InvalidInput('environments must be "all" (every environment) or left out (one environment).')
    if len(user) > 200 or not user.isprintable():
        raise InvalidInput("That is not a user name: choose a person from the list.")
    return HistoryFilter(
        outcome=params.get("outcome") or None,
        matter_number=matter_number(matter) if matter else None,
        user_name=user or None,
        first_day=day(params.get("from"), "from"),
        last_day=day(params.get("to"), "to"),
        all_environments=scope == "all",
        before=whole_number(params.get("before"), "before"),
        limit=whole_number(params.get("limit"), "limit") or PAGE_SIZE,
    )


async def is_organisation_admin(request: Request, caller: Caller) -> bool:
    """Whether the caller administers the organisation (in its default environment): asked, not
    attempted, so a caller that environment does not know is not refused here."""
    try:
        return (await organisation_principal(request, caller, audit=False)).is_admin
    except (AccessRefused, RemoteError):  # unknown there, or its tenant not answering: not now
        return False


def history_item(entry: HistoryEntry) -> dict:
    return {
        "id": entry.id,
        "matter_number": entry.matter_number,
        "work_item_id": entry.work_item_id,
        "work_item_url": entry.work_item_url,
        "user": entry.user,
        "user_display_name": entry.user_display_name,
        "environment": entry.environment,
        "environment_id": entry.environment_id,
        "trigger": entry.trigger,
        "started_at": entry.started_at.isoformat(),
        "finished_at": entry.finished_at.isoformat() if entry.finished_at else None,
        "outcome": entry.outcome,
        "error": entry.error,
        "request_id": entry.request_id,
    }


def http_error(exc: Exception) -> tuple[int, str]:
    """The status and plain message for an error a user can meet."""
    match exc:
        case NotSignedIn() | TokenRejected():
            return 401, str(exc)
        case Forbidden() | AccessRefused():
            return 403, str(exc)
        case NotFound() | RemoteNotFound():
            return 404, str(exc)
        case InvalidInput():
            return 400, str(exc)
        case NotConfigured() | ImportInProgress():
            return 409, str(exc)
        case ImportFailed():
            return (409 if exc.blocked else 504 if exc.timed_out else 502), str(exc)
        case RemoteTimeout():
            return 504, f"{exc}. Try again; if it keeps happening, ask your administrator to check the connection."
        case RemoteError() | SignInUnavailable():
            return 502, f"{exc}. Try again shortly; if it keeps happening, ask your administrator to check the connection."
        case UseCaseError():
            return 400, str(exc)
    raise exc


HANDLED = (NotSignedIn, TokenRejected, SignInUnavailable, AccessRefused, UseCaseError, RemoteError)


async def signed_form(request: Request) -> tuple[Caller, FormData] | Response:
    """The posted form of a signed-in browser whose CSRF token matches; else the answer to give."""
    caller = await caller_of(request)
    if caller is None or caller.session is None:
        return RedirectResponse("/embed", status_code=303)
    form = await request.form()
    if not csrf_ok(caller.session, str(form.get(CSRF_FIELD) or "")):
        return PlainTextResponse(FORM_EXPIRED, status_code=403)
    if any(isinstance(value, str) and "\x00" in value for _, value in form.multi_items()):
        return PlainTextResponse(FORM_NUL, status_code=400)
    return caller, form


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def uploaded_text(form: FormData, limit: int, not_text: Callable[[str], Exception]) -> tuple[str, str]:
    """The uploaded ``file``'s text (at most ``limit`` + 1 bytes read, so a caller can tell it is too
    long) and its name; ("", "") when no file was chosen; ``not_text(name)`` raised when it is not UTF-8."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return "", ""
    data = await upload.read(limit + 1)
    try:
        return data.decode("utf-8-sig"), upload.filename
    except UnicodeDecodeError:
        raise not_text(upload.filename) from None
