"""HTML pages shown inside the Clio Operate portal's iframe."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from embed_auth.host_token import SignInUnavailable, TokenRejected
from embed_auth.portal_access import PortalRefused
from plugin.drift_reads import preview_drift
from plugin.errors import InvalidInput
from plugin.importer import ImportFailed, import_matter
from plugin.operations import check_database
from plugin.portal_links import PANELS, panel_path
from plugin.preview import Preview, preview_matter
from plugin.search import search_matters
from plugin.services import EnvironmentSettings
from plugin.sign_in import environment_of_portal, portal_origins, sign_in_refused, sign_in_succeeded
from views import parsing, signin
from views.common import actor, caller_of, http_error, principal_in, refuse_import_request, runtime, signed_form
from views.rendering import page, render

log = logging.getLogger("pms_sync.pages")


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    try:
        await check_database(runtime(request).services)
    except Exception as exc:  # any database failure means "not ready"
        log.warning("readiness check failed: %s", type(exc).__name__)
        return PlainTextResponse("database unavailable", status_code=503)
    return PlainTextResponse("ready")


async def embed(request: Request) -> Response:
    """The page the widget frames: it asks the portal for the user's token by postMessage, then
    opens the panel the portal page was linked to (`?panel=close-sync&environment=2`), if any.
    Opened directly (not framed), it says where PMS Sync opens and offers the standalone sign-in."""
    rt = runtime(request)
    origins = await portal_origins(rt.services)
    context = {
        "portal_origins": origins,
        "portal_url": signin.portal_url(rt.settings, origins),
        "providers": signin.provider_buttons(request),
        "after": _panel_after_sign_in(request),
    }
    return render(request, "embed.html", context, frame_ancestors=origins)


def _panel_after_sign_in(request: Request) -> str:
    """The path of the panel asked for, or "" (none, or not one of ours: never an arbitrary URL)."""
    panel = request.query_params.get("panel", "")
    if panel not in PANELS:
        return ""
    environment = request.query_params.get("environment", "")
    query = f"?{urlencode({'environment': environment})}" if re.fullmatch(r"[0-9]{1,9}", environment) else ""
    return panel_path(panel) + query


async def embed_session(request: Request) -> Response:
    """Exchange the portal token (posted by our own page's script) for a session cookie."""
    rt = runtime(request)
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return JSONResponse({"error": "Send the token as JSON."}, status_code=415)
    if not _same_origin(request, rt.settings.public_url):
        return JSONResponse({"error": "This sign-in request did not come from PMS Sync."}, status_code=403)
    hint = None
    try:
        body = await parsing.json_body(request, '{"token": "...", "portal_origin": "..."}')
        token = body.get("token") if isinstance(body, dict) else None
        portal_origin = body.get("portal_origin") if isinstance(body, dict) else None
        if isinstance(portal_origin, str):
            hint = await environment_of_portal(rt.services, portal_origin)
        principal = await rt.auth.verifier.verify(token if isinstance(token, str) else "", environment_hint=hint)
    except (ValueError, InvalidInput):
        return JSONResponse({"error": "The sign-in request was not valid JSON."}, status_code=400)
    except PortalRefused as exc:  # audited where it was decided
        return JSONResponse({"error": str(exc)}, status_code=http_error(exc)[0])
    except (TokenRejected, SignInUnavailable) as exc:
        status, message = http_error(exc)
        log.warning("sign-in refused: %s", message)
        await sign_in_refused(  # the firm's own SIEM hears of it when we know whose portal it was
            rt.services,
            reason=message,
            organisation_id=hint.organisation_id if hint else None,
            environment_id=hint.id if hint else None,
        )
        return JSONResponse({"error": message}, status_code=status)
    response = JSONResponse({"redirect": f"/?{urlencode({'environment': principal.environment_id})}"})
    await rt.auth.sessions.open(response, principal)
    await sign_in_succeeded(
        rt.services,
        organisation_id=principal.organisation_id,
        environment_id=principal.environment_id,
        actor=principal.user_name,
        role=principal.role,
        method="embedded",
    )
    log.info("signed in %s (%s)", principal.user_name, principal.role)
    return response


async def refused_on_recheck(request: Request, exc: Exception) -> Response:
    """An open browser session whose user was refused when it was decided again (embed_auth.callers):
    the session has ended; the refusal is shown, as ``{"error": ...}`` under ``/api/``."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": str(exc)}, status_code=403)
    origins = await portal_origins(runtime(request).services)
    context = {"heading": "Sign-in refused", "message": str(exc)}
    return render(request, "refused.html", context, frame_ancestors=origins, status=403)


def _same_origin(request: Request, public_url: str) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return request.headers.get("sec-fetch-site") in (None, "same-origin")
    own = urlsplit(public_url)
    return origin.rstrip("/") in (f"{own.scheme}://{own.netloc}", f"{request.url.scheme}://{request.url.netloc}")


async def sign_out(request: Request) -> Response:
    signed = await signed_form(request)
    if isinstance(signed, Response):
        return signed
    response = RedirectResponse("/embed", status_code=303)
    await runtime(request).auth.sessions.close(request, response)
    return response


async def dashboard(request: Request) -> Response:
    q = request.query_params.get("q")

    async def build(env: EnvironmentSettings) -> dict:
        if q is None:
            return {}
        number = parsing.whole_number(request.query_params.get("page"), "page")
        return {"results": await search_matters(runtime(request).services, env, q, page=number)}

    return await page(request, "dashboard.html", build, {"q": q or "", "results": None})


WAIT_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")  # made by static/progress.js for the page that waits


def wait_token(request: Request) -> str | None:
    """The token the waiting page sent (`?wait=`), or None when there is none or it is not one."""
    token = request.query_params.get("wait")
    return token if token is not None and WAIT_TOKEN.fullmatch(token) else None


PREVIEW_DEFAULTS = {"preview": None, "drift": None, "work_item_url": None}  # a work item to open (search's View) instead


async def _preview(request: Request, env: EnvironmentSettings, matter_number: str) -> Preview:
    """The matter's preview, telling the page that waits (its `?wait=` token) which system it asks."""
    services = runtime(request).services
    with services.waits.tracking(env.organisation_id, wait_token(request)) as waiting:
        return await preview_matter(
            services, env, parsing.matter_number(matter_number), seen_by=await caller_name(request),
            waiting_for=lambda system: waiting(f"{system} ({env.name})"),
        )


async def preview_page(request: Request) -> Response:
    matter_number = request.path_params["matter_number"]

    async def build(env: EnvironmentSettings) -> dict:
        preview = await _preview(request, env, matter_number)
        return {"preview": preview, "drift": await preview_drift(runtime(request).services, env, preview)}

    return await page(request, "preview.html", build, PREVIEW_DEFAULTS)


async def wait_status(request: Request) -> Response:
    """What the request the page sent with this token waits for now: `{"waiting_for": "Clio
    Operate (Production)"}`, or null when this process cannot say (static/progress.js)."""
    caller = await caller_of(request)
    if caller is None:
        return JSONResponse({"error": "Sign in first."}, status_code=401)
    token = request.path_params["token"]
    system = runtime(request).services.waits.system(caller.principal.organisation_id, token) if WAIT_TOKEN.fullmatch(token) else None
    return JSONResponse({"waiting_for": system}, headers={"Cache-Control": "no-store"})


async def open_work_item(request: Request) -> Response:
    """Search's View: the work item in Clio Operate, checked first, so one deleted there is shown as
    deleted (with its preview) instead of Clio Operate's "not found". It is checked inside the
    portal's frame, where the session is; a work item that is there is then opened in the portal's
    place (static/open_work_item.js), with a link to it should the browser refuse."""
    matter_number = request.path_params["matter_number"]

    async def build(env: EnvironmentSettings) -> dict:
        preview = await _preview(request, env, matter_number)
        if preview.work_item_url:
            return {"work_item_url": preview.work_item_url, "matter_number": preview.mapped.matter_number}
        return {"preview": preview}

    return await page(request, "preview.html", build, PREVIEW_DEFAULTS)


async def caller_name(request: Request) -> str | None:
    caller = await caller_of(request)
    return caller.principal.user_name if caller is not None else None


async def import_page(request: Request) -> Response:
    """The preview's form: import with the decisions chosen, then show the result card (PRG)."""
    rt = runtime(request)
    signed = await signed_form(request)
    if isinstance(signed, Response):
        return signed
    caller, form = signed
    decisions = {}
    for name, value in form.multi_items():
        if name.startswith("decision-") and isinstance(value, str):
            kind, _, ods_id = value.partition(":")
            decisions[name.removeprefix("decision-")] = {"link": ods_id} if kind == "link" else kind

    async def build(env: EnvironmentSettings) -> Response:
        principal = await principal_in(request, caller, env)
        try:
            number = parsing.matter_number(request.path_params["matter_number"])
        except InvalidInput as exc:
            await refuse_import_request(request, env, principal, exc)
            raise
        try:
            result = await import_matter(rt.services, env, actor(principal), number, decisions)
            attempt_id = result.attempt_id
        except ImportFailed as failure:
            attempt_id = failure.attempt_id  # its card says what happened and that a retry is safe
        return RedirectResponse(f"/history/{attempt_id}?{urlencode({'environment': env.id})}", status_code=303)

    return await page(request, "message.html", build, {})


routes = [
    Route("/", dashboard),
    Route("/embed", embed),
    Route("/embed/session", embed_session, methods=["POST"]),
    Route("/sign-out", sign_out, methods=["POST"]),
    Route("/matters/{matter_number}/preview", preview_page),
    Route("/waiting/{token}", wait_status),
    Route("/matters/{matter_number}/import", import_page, methods=["POST"]),
    Route("/matters/{matter_number}/work-item", open_work_item),
]
