"""The JSON API (``/api/v1``). Stable: other tools depend on these shapes."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import date

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from embed_auth.callers import Caller
from embed_auth.host_token import TokenRejected
from embed_auth.sessions import csrf_ok
from plugin.errors import Forbidden, InvalidInput
from plugin.history import history_page
from plugin.importer import import_matter
from plugin.preview import Candidate, Preview, preview_matter
from plugin.search import search_matters
from views.common import (
    HANDLED,
    acting_environment,
    actor,
    history_filter,
    history_item,
    http_error,
    is_organisation_admin,
    refuse_import_request,
    require_caller,
    runtime,
    selected_environment,
)
from views.openapi import openapi
from views.parsing import json_body, matter_number, whole_number

log = logging.getLogger("pms_sync.api")

Handler = Callable[[Request, Caller], Awaitable[object]]


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[JSONResponse]]:
    """Authenticate, run, and turn known errors into ``{"error": ...}`` with the right status."""

    async def run(request: Request) -> JSONResponse:
        try:
            caller = await require_caller(request)
            result = await handler(request, caller)
            return result if isinstance(result, JSONResponse) else JSONResponse(result)
        except HANDLED as exc:
            status, message = http_error(exc)
            if isinstance(exc, TokenRejected):
                log.warning("API token refused: %s", message)
            return JSONResponse({"error": message}, status_code=status)

    return run


async def starlette_refusal(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such route, a method not allowed, a form it cannot parse): as
    ``{"error": ...}`` under ``/api/``, as plain text elsewhere, as Starlette answers them."""
    if not isinstance(exc, HTTPException):  # registered for HTTPException only
        raise exc
    if not request.url.path.startswith("/api/"):
        return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
    message = "There is no such API route: see /api/v1/openapi.json." if exc.status_code == 404 else exc.detail
    return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)


async def environments(request: Request, caller: Caller) -> list[dict]:
    envs = await runtime(request).services.environments(caller.principal.organisation_id)
    return [
        {"id": e.id, "name": e.name, "default": e.is_default, "import_writes_enabled": e.import_writes_enabled}
        for e in envs
    ]


async def matters(request: Request, caller: Caller) -> dict:
    env = await selected_environment(request, caller)
    number = whole_number(request.query_params.get("page"), "page")
    found = await search_matters(runtime(request).services, env, request.query_params.get("q"), page=number)
    return {
        "results": [dataclasses.asdict(row) for row in found.rows],
        "page": found.page,
        "page_size": found.page_size,
        "next_page": found.next_page,
    }


async def preview(request: Request, caller: Caller) -> dict:
    env = await selected_environment(request, caller)
    result = await preview_matter(
        runtime(request).services,
        env,
        matter_number(request.path_params["matter_number"]),
        seen_by=caller.principal.user_name,
    )
    return preview_json(result)


def preview_json(preview: Preview) -> dict:
    mapped = preview.mapped
    return {
        "environment": {"id": preview.environment.id, "name": preview.environment.name},
        "matter_number": mapped.matter_number,
        "work_type": mapped.work_type,
        "work_type_name": preview.work_type_name,
        "title": mapped.title,
        "reference": mapped.reference,
        "key_dates": mapped.key_dates,
        "attributes": mapped.attributes,
        "parties": [
            {
                "key": p.party.key,
                "name": p.party.name,
                "kind": p.party.kind,
                "role": p.party.role,
                "role_name": p.role_name,
                "aderant_role": p.party.aderant_role,
                "reference": p.party.reference,
                "candidates": [candidate_json(c) for c in p.candidates],
                "default_decision": p.default_decision,
                "notes": list(p.notes),
            }
            for p in preview.parties
        ],
        "default_rule": preview.rule,
        "notes": [{"about": n.about, "text": n.text} for n in preview.notes],
        "summary": preview.summary,
        "teams": [dataclasses.asdict(t) for t in preview.teams],
        "already_imported": preview.already_imported,
        "work_item_id": preview.work_item_id,
        "work_item_url": preview.work_item_url,
        "work_item_deleted": preview.deleted,
        "source": {k: (v.isoformat() if isinstance(v, date) else v) for k, v in mapped.source.items()},
        "warnings": preview.warnings,
    }


def candidate_json(candidate: Candidate) -> dict:
    # vars(), not dataclasses.asdict: a candidate's fields are flat, and asdict deep-copies each
    # one (about a tenth of the CPU of a preview's answer)
    return {
        **vars(candidate),
        "reasons": list(candidate.reasons),
        "emails": list(candidate.emails),
        "phones": list(candidate.phones),
        "created": candidate.created.isoformat() if candidate.created else None,
    }


async def import_(request: Request, caller: Caller) -> JSONResponse:
    if caller.session is not None and not csrf_ok(caller.session, request.headers.get("x-csrf-token")):
        raise Forbidden("This request lacks the page's CSRF token (X-CSRF-Token): reload the page and try again.")
    env, principal = await acting_environment(request, caller)
    try:
        number = matter_number(request.path_params["matter_number"])
        body = await json_body(request, '{"decisions": {...}}')
        if not isinstance(body, dict) or set(body) - {"decisions"}:
            raise InvalidInput('The request body must be an object with only "decisions".')
    except InvalidInput as exc:
        await refuse_import_request(request, env, principal, exc)
        raise
    result = await import_matter(runtime(request).services, env, actor(principal), number, body.get("decisions"))
    if result.status == "already_imported":
        return JSONResponse({"status": result.status, "work_item_id": result.work_item_id, "work_item_url": result.work_item_url})
    return JSONResponse(
        {"status": result.status, "work_item_id": result.work_item_id, "work_item_url": result.work_item_url, **result.details()},
        status_code=201,
    )


async def history(request: Request, caller: Caller) -> dict:
    env = await selected_environment(request, caller)
    query = history_filter(request)
    page = await history_page(
        runtime(request).services, env, query, organisation_admin=await is_organisation_admin(request, caller)
    )
    return {"items": [history_item(row) for row in page.items], "next_before": page.next_before}


routes = [
    Route("/api/v1/environments", endpoint(environments)),
    Route("/api/v1/matters", endpoint(matters)),
    Route("/api/v1/matters/{matter_number}/preview", endpoint(preview)),
    Route("/api/v1/matters/{matter_number}/import", endpoint(import_), methods=["POST"]),
    Route("/api/v1/history", endpoint(history)),
    Route("/api/v1/openapi.json", openapi),
]
