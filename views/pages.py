"""HTML pages shown inside the Clio Operate portal's iframe."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from embed_auth.host_token import SignInUnavailable, TokenRejected
from embed_auth.portal_access import PortalRefused
from plugin.deleted_work_items import deleted_work_items, release_for_import
from plugin.errors import InvalidInput
from plugin.history import OUTCOMES, history_entry, history_page
from plugin.importer import ImportFailed, import_matter
from plugin.preview import preview_matter
from plugin.search import search_matters
from plugin.services import EnvironmentSettings
from views import parsing
from views.common import actor, caller_of, history_filter, http_error, principal_in, refuse_import_request, runtime, signed_form
from views.rendering import page, render

log = logging.getLogger("pms_sync.pages")


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    try:
        await asyncio.to_thread(runtime(request).services.store.ping)
    except Exception as exc:  # any database failure means "not ready"
        log.warning("readiness check failed: %s", type(exc).__name__)
        return PlainTextResponse("database unavailable", status_code=503)
    return PlainTextResponse("ready")


async def embed(request: Request) -> Response:
    """The page the widget frames: it asks the portal for the user's token by postMessage."""
    origins = await asyncio.to_thread(runtime(request).services.store.all_portal_origins)
    return render(request, "embed.html", {"portal_origins": origins}, frame_ancestors=origins)


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
            hint = await asyncio.to_thread(rt.services.store.environment_by_portal_origin, portal_origin)
        principal = await rt.auth.verifier.verify(token if isinstance(token, str) else "", environment_hint=hint)
    except (ValueError, InvalidInput):
        return JSONResponse({"error": "The sign-in request was not valid JSON."}, status_code=400)
    except PortalRefused as exc:  # audited where it was decided
        return JSONResponse({"error": str(exc)}, status_code=http_error(exc)[0])
    except (TokenRejected, SignInUnavailable) as exc:
        status, message = http_error(exc)
        log.warning("sign-in refused: %s", message)
        await asyncio.to_thread(  # the firm's own SIEM hears of it when we know whose portal it was
            rt.services.store.add_audit_event,
            "sign_in.refused",
            organisation_id=hint.organisation_id if hint else None,
            environment_id=hint.id if hint else None,
            data={"reason": message},
        )
        return JSONResponse({"error": message}, status_code=status)
    response = JSONResponse({"redirect": f"/?{urlencode({'environment': principal.environment_id})}"})
    await rt.auth.sessions.open(response, principal)
    await asyncio.to_thread(
        rt.services.store.add_audit_event,
        "sign_in.succeeded",
        organisation_id=principal.organisation_id,
        environment_id=principal.environment_id,
        actor=principal.user_name,
        data={"role": principal.role, "method": "embedded"},
    )
    log.info("signed in %s (%s)", principal.user_name, principal.role)
    return response


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


async def preview_page(request: Request) -> Response:
    matter_number = request.path_params["matter_number"]

    async def build(env: EnvironmentSettings) -> dict:
        user = await caller_name(request)
        return {"preview": await preview_matter(runtime(request).services, env, parsing.matter_number(matter_number), seen_by=user)}

    return await page(request, "preview.html", build, {"preview": None})


async def open_work_item(request: Request) -> Response:
    """Search's View: the work item in Clio Operate, checked first, so one deleted there is shown as
    deleted (with its preview) instead of Clio Operate's "not found"."""
    matter_number = request.path_params["matter_number"]

    async def build(env: EnvironmentSettings) -> dict | Response:
        number = parsing.matter_number(matter_number)
        preview = await preview_matter(runtime(request).services, env, number, seen_by=await caller_name(request))
        if preview.work_item_url:
            return RedirectResponse(preview.work_item_url, status_code=303)
        return {"preview": preview}

    return await page(request, "preview.html", build, {"preview": None})


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


async def history_list(request: Request) -> Response:
    query_params = request.query_params

    async def build(env: EnvironmentSettings) -> dict:
        services = runtime(request).services
        return {
            "page": await history_page(services, env, history_filter(request)),
            "deleted": await deleted_work_items(services, env),
        }

    return await page(
        request,
        "history.html",
        build,
        {"page": None, "deleted": [], "section": "history", "outcomes": OUTCOMES,
         "outcome": query_params.get("outcome", ""), "matter": query_params.get("matter", "")},
    )


async def release_page(request: Request) -> Response:
    """History's "Release for a fresh import" button (administrators; CSRF checked; audited)."""
    signed = await signed_form(request)
    if isinstance(signed, Response):
        return signed
    caller, form = signed

    async def build(env: EnvironmentSettings) -> dict | Response:
        principal = await principal_in(request, caller, env)
        import_id = parsing.whole_number(str(form.get("import_id") or ""), "import_id")
        if import_id is None:
            raise InvalidInput("Choose a matter to release.")
        number = await release_for_import(
            runtime(request).services, env, import_id, principal.user_name, is_admin=principal.is_admin
        )
        return RedirectResponse(f"/history?{urlencode({'environment': env.id, 'released': number})}", status_code=303)

    return await page(request, "message.html", build, {})


async def history_detail(request: Request) -> Response:
    attempt_id: int = request.path_params["attempt_id"]

    async def build(env: EnvironmentSettings) -> dict:
        services = runtime(request).services
        entry = await history_entry(services, env.organisation_id, attempt_id)
        in_use = {e.id: e for e in await services.environments(env.organisation_id)}
        if entry.environment_id != env.id and entry.environment_id in in_use:
            # an attempt is seen by those its environment's tenant knows (a removed one's by the organisation)
            caller = await caller_of(request)
            assert caller is not None  # page() has checked
            await principal_in(request, caller, in_use[entry.environment_id])
        return {"entry": entry}

    return await page(request, "attempt.html", build, {"entry": None, "section": "history"})


routes = [
    Route("/", dashboard),
    Route("/embed", embed),
    Route("/embed/session", embed_session, methods=["POST"]),
    Route("/sign-out", sign_out, methods=["POST"]),
    Route("/matters/{matter_number}/preview", preview_page),
    Route("/matters/{matter_number}/import", import_page, methods=["POST"]),
    Route("/matters/{matter_number}/work-item", open_work_item),
    Route("/history", history_list),
    Route("/history/{attempt_id:id}", history_detail),
    Route("/history/release", release_page, methods=["POST"]),
]
