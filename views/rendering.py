"""Rendering pages inside the portal's iframe: the signed-in caller, the environment switcher,
framing rules (CSP frame-ancestors of the organisation's portals) and errors in plain words."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast, overload
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from embed_auth.callers import Caller
from embed_auth.principal import AccessRefused, Principal
from plugin.errors import Forbidden, NotConfigured
from plugin.services import EnvironmentSettings
from plugin.time_zone import DEFAULT_ZONE, organisation_zone
from views.common import HANDLED, caller_of, environment_param, http_error, organisation_principal, principal_in, runtime
from views.security import content_security_policy

PAGE_DEFAULTS: dict[str, Any] = {
    "user": None, "csrf_token": "", "environments": [], "environment": None, "error": None, "section": "search",
    "refused": False,
    "time_zone": ZoneInfo(DEFAULT_ZONE),  # the organisation's: every time a page shows is in it
}
ADMIN_ONLY = "Only administrators can open Settings: ask your administrator if you need a change."
HISTORY_ADMIN_ONLY = (
    "Only administrators can open Schedule, Close-sync and Auto-import: ask your administrator "
    "if a matter needs closing or importing."
)


@dataclass(frozen=True)
class WithStatus:
    """A page's own context answered with `status`: a form shown again because what it asked was
    refused (400, 403, …), the reason in the context."""

    status: int
    context: dict

    @classmethod
    def refused(cls, exc: Exception, context: dict) -> WithStatus:
        """The context with the error a user can meet in words (`error`), answered with its status."""
        status, message = http_error(exc)
        return cls(status, {**context, "error": message})


Build = Callable[[EnvironmentSettings], Awaitable[dict | WithStatus | Response]]
# A page that does not need an environment is built with None when none is usable yet.
BuildWithout = Callable[[EnvironmentSettings | None], Awaitable[dict | WithStatus | Response]]
Rights = Literal["environment", "organisation", "either"]


def plural(count: int, one: str, many: str | None = None) -> str:
    """"1 matter", "2 matters", "0 matters"; ``many`` for a word that does not just take an s
    ("1 party", "2 parties")."""
    return f"{count} {noun(count, one, many)}"


def noun(count: int, one: str, many: str | None = None) -> str:
    """The word alone, for markup that shows the number apart: "contact" or "contacts"."""
    return one if count == 1 else (many or f"{one}s")


def render(request: Request, template: str, context: dict, *, frame_ancestors: list[str], status: int = 200) -> Response:
    response = runtime(request).templates.TemplateResponse(
        request, template, {**PAGE_DEFAULTS, **context}, status_code=status
    )
    response.headers["content-security-policy"] = content_security_policy(frame_ancestors)
    return response


@overload
async def page(
    request: Request, template: str, build: Build, defaults: dict, *, admin: bool = False,
    needs_environment: Literal[True] = True, environment_id: int | None = None, rights: Rights = "environment",
) -> Response: ...


@overload
async def page(
    request: Request, template: str, build: BuildWithout, defaults: dict, *, admin: bool = False,
    needs_environment: Literal[False], environment_id: int | None = None, rights: Rights = "environment",
) -> Response: ...


async def page(
    request: Request,
    template: str,
    build: Build | BuildWithout,
    defaults: dict,
    *,
    admin: bool = False,
    needs_environment: bool = True,
    environment_id: int | None = None,
    rights: Rights = "environment",
) -> Response:
    """Signed-in caller (else to sign-in), environments, the page's own context, errors in words.

    The page acts on ``environment_id`` (else ``?environment=``, else the signed-in one). The
    caller's ``rights`` are theirs in that environment's tenant ("environment"), in the default
    environment's ("organisation": Members, adding an environment, the default), or the better of
    the two ("either": an environment's connection, which its tenant cannot vouch for before the
    connection works). ``admin`` pages answer 403 to staff, who then see only the refusal (as does
    anyone the page's environment refuses): no form or tab they cannot use. Pages that do not ``need_environment`` (settings)
    are built with None when the organisation has no usable environment yet.
    """
    rt = runtime(request)
    caller = await caller_of(request)
    if caller is None or caller.session is None:
        return RedirectResponse("/embed", status_code=303)
    envs = await rt.services.environments(caller.principal.organisation_id)
    origins = sorted({o for e in envs for o in e.portal_origins})
    context: dict = {
        **defaults,
        "user": caller.principal,
        "csrf_token": caller.session.csrf_token,
        "environments": envs,
        "time_zone": await organisation_zone(rt.services, caller.principal.organisation_id),
    }
    status = 200
    building = False
    try:
        try:
            env = await rt.services.environment(
                caller.principal.organisation_id,
                environment_param(request) if environment_id is None else environment_id,
                fallback=caller.principal.environment_id,
                environments=envs,
            )
        except NotConfigured:
            if needs_environment:
                raise
            env = None
        acting = await _acting(request, caller, env, rights)
        context["user"] = acting
        if admin and not acting.is_admin:
            refusal = _admin_only(defaults)
            judged_in = next((e for e in envs if e.id == acting.environment_id), None)
            if judged_in is not None and caller.principal.is_admin and judged_in.id != caller.principal.environment_id:
                # an administrator elsewhere meets this environment's boundary: audited
                await rt.auth.access.refuse(caller.principal, judged_in, not_administrator(judged_in, refusal))
            raise Forbidden(refusal)
        context["environment"] = env
        building = True
        built = await (build(env) if env is not None else cast(BuildWithout, build)(None))
        if isinstance(built, Response):
            return built
        if isinstance(built, WithStatus):
            status, built = built.status, built.context
        context.update(built)
    except HANDLED as exc:
        status, context["error"] = http_error(exc)
        context["refused"] = status == 403 and not building  # the page itself, not an action on it
    return render(request, template, context, frame_ancestors=origins, status=status)


async def _acting(request: Request, caller: Caller, env: EnvironmentSettings | None, rights: Rights) -> Principal:
    if rights == "organisation":
        return await organisation_principal(request, caller)
    if rights == "environment":
        return caller.principal if env is None else await principal_in(request, caller, env)
    home = env is None or caller.principal.environment_id in (None, env.id)
    if home and caller.principal.is_admin:
        return caller.principal
    try:  # asked, not attempted: a caller the default environment does not know is not refused here
        organisation = await organisation_principal(request, caller, audit=False)
    except AccessRefused:
        organisation = None
    if organisation is not None and organisation.is_admin:
        return organisation
    return caller.principal if home or env is None else await principal_in(request, caller, env)


def _admin_only(defaults: dict) -> str:
    """The refusal of an administrator page: History's own pages are not in Settings."""
    return HISTORY_ADMIN_ONLY if defaults.get("section") == "history" else ADMIN_ONLY


def not_administrator(env: EnvironmentSettings, admin_only: str = ADMIN_ONLY) -> str:
    return f"{admin_only} Your account is not an administrator in the {env.name} tenant, so not of {env.name}."


def ago(moment: datetime, now: datetime | None = None) -> str:
    """When, as a person says it: "just now", "3 min ago", "10:42 UTC" today, else the date too."""
    now = now or datetime.now(UTC)
    seconds = (now - moment).total_seconds()
    if 0 <= seconds < 60:
        return "just now"
    if 0 <= seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    moment = moment.astimezone(UTC)
    if moment.date() == now.astimezone(UTC).date():
        return moment.strftime("%H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M UTC")
