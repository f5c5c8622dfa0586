"""Standalone sign-in (``/sign-in``), for people who open PMS Sync outside Clio Operate."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from embed_auth.host_token import SignInUnavailable
from embed_auth.oidc import FlowCookie, OidcClient, SignInRefused, member_principal
from plugin.settings import Settings
from plugin.sign_in import flow_secrets, portal_origins, sign_in_refused, sign_in_succeeded
from views.common import runtime
from views.rendering import render

log = logging.getLogger("pms_sync.signin")

# The user guide's names for the providers (plugin.settings.OIDC_PROVIDERS), in the order shown.
LABELS = {"alterspective": "Alterspective", "entra": "Microsoft Entra ID"}


def _clients(request: Request) -> dict[str, OidcClient]:
    """Built on first use from the settings, then kept on the app: each caches its provider's keys."""
    state = request.app.state
    if not hasattr(state, "oidc_clients"):
        settings = runtime(request).settings
        state.oidc_clients = {
            p.name: OidcClient(p, f"{settings.public_url}/sign-in/{p.name}/callback", timeout=settings.remote_timeout)
            for p in settings.oidc_providers
        }
    clients: dict[str, OidcClient] = state.oidc_clients
    return clients


def _flow_cookie(request: Request) -> FlowCookie:
    rt = runtime(request)
    return FlowCookie(flow_secrets(rt.services), secure=rt.settings.cookie_secure)


def provider_buttons(request: Request) -> list[tuple[str, str]]:
    """(provider, "Sign in with …") for each configured provider, in the user guide's order."""
    return [(name, f"Sign in with {LABELS[name]}") for name in LABELS if name in _clients(request)]


def portal_url(settings: Settings, portal_origins: list[str]) -> str | None:
    """Where people open PMS Sync in Clio Operate: PMS_SYNC_PORTAL_URL, else the portal's origin when
    every environment names the same one, else None (the page then says to ask an administrator)."""
    if settings.portal_url:
        return settings.portal_url
    return portal_origins[0] if len(portal_origins) == 1 else None


async def _sign_in_page(request: Request, *, error: str | None = None, status: int = 200) -> Response:
    rt = runtime(request)
    origins = await portal_origins(rt.services)
    context = {"providers": provider_buttons(request), "error": error, "portal_url": portal_url(rt.settings, origins)}
    return render(request, "signin.html", context, frame_ancestors=[], status=status)


async def sign_in(request: Request) -> Response:
    return await _sign_in_page(request)


async def start(request: Request) -> Response:
    client = _clients(request).get(request.path_params["provider"])
    if client is None:
        return await _sign_in_page(request, error="There is no such way to sign in: choose one below.", status=404)
    try:
        url, flow = await client.start()
    except SignInUnavailable as exc:
        log.warning("sign-in with %s unavailable: %s", client.name, exc)
        return await _sign_in_page(request, error=str(exc), status=502)
    response = RedirectResponse(url, status_code=303)
    _flow_cookie(request).write(response, flow)
    return response


async def callback(request: Request) -> Response:
    """The provider's answer: open a session for a member with a role, else say why not (and audit it)."""
    rt = runtime(request)
    client = _clients(request).get(request.path_params["provider"])
    if client is None:
        return await _sign_in_page(request, error="There is no such way to sign in: choose one below.", status=404)
    cookie = _flow_cookie(request)
    try:
        identity = await client.finish(cookie.read(request), request.query_params)
        principal = await member_principal(rt.services.store, identity)
    except (SignInRefused, SignInUnavailable) as exc:
        response = await _refused(request, client.name, exc)
    else:
        response = RedirectResponse("/", status_code=303)
        await rt.auth.sessions.open(response, principal)
        await sign_in_succeeded(
            rt.services,
            organisation_id=principal.organisation_id,
            actor=principal.user_name,
            role=principal.role,
            method="oidc",
            provider=client.name,
        )
        log.info("signed in %s (%s) with %s", principal.user_name, principal.role, client.name)
    cookie.clear(response)
    return response


async def _refused(request: Request, provider: str, exc: SignInRefused | SignInUnavailable) -> Response:
    refusal = exc if isinstance(exc, SignInRefused) else SignInRefused(str(exc))
    unavailable = refusal is not exc
    log.warning("sign-in with %s refused: %s", provider, refusal)
    await sign_in_refused(
        runtime(request).services,
        reason=str(refusal),
        organisation_id=refusal.organisation_id,
        actor=refusal.actor,
        method="oidc",
        provider=provider,
    )
    context = {"heading": "Sign-in unavailable" if unavailable else "Sign-in refused", "message": str(refusal)}
    return render(request, "refused.html", context, frame_ancestors=[], status=502 if unavailable else 403)


routes = [
    Route("/sign-in", sign_in),
    Route("/sign-in/{provider}", start),
    Route("/sign-in/{provider}/callback", callback),
]
