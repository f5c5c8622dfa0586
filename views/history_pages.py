"""History pages: the list with its filters, an attempt's details, the CSV export, and releasing a
matter whose work item was deleted in Clio Operate."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from plugin.deleted_work_items import deleted_work_items, release_for_import
from plugin.errors import InvalidInput
from plugin.history import OUTCOMES, history_entry, history_page, history_people
from plugin.history_export import history_csv
from plugin.services import EnvironmentSettings
from views import parsing
from views.common import (
    HANDLED,
    history_filter,
    http_error,
    is_organisation_admin,
    principal_in,
    require_caller,
    runtime,
    selected_environment,
    signed_form,
)
from views.rendering import page

FILTERS = ("outcome", "matter", "user", "from", "to", "environments")


def filter_query(request: Request, env: EnvironmentSettings | None, **extra: object) -> str:
    """The query string of the History shown: its environment and filters (for paging, the CSV)."""
    params: dict[str, object] = {"environment": env.id} if env else {}
    params.update({name: request.query_params[name] for name in FILTERS if request.query_params.get(name)})
    return urlencode({**params, **extra})


async def history_list(request: Request) -> Response:
    query_params = request.query_params

    async def build(env: EnvironmentSettings) -> dict:
        services = runtime(request).services
        caller = await require_caller(request)
        query = history_filter(request)
        organisation_admin = await is_organisation_admin(request, caller)
        shown = await history_page(services, env, query, organisation_admin=organisation_admin)
        return {
            "page": shown,
            "deleted": await deleted_work_items(services, env),
            "people": await history_people(services, env, all_environments=query.all_environments),
            "can_see_all": organisation_admin,
            "older": filter_query(request, env, before=shown.next_before) if shown.next_before else "",
            "export": filter_query(request, env),
        }

    return await page(
        request,
        "history.html",
        build,
        {"page": None, "deleted": [], "section": "history", "outcomes": OUTCOMES, "people": [],
         "can_see_all": False, "older": "", "export": "",
         "outcome": query_params.get("outcome", ""), "matter": query_params.get("matter", ""),
         "chosen_user": query_params.get("user", ""), "first_day": query_params.get("from", ""),
         "last_day": query_params.get("to", ""), "all_environments": query_params.get("environments") == "all"},
    )


async def history_export(request: Request) -> Response:
    """``/history.csv``: what History shows with the same filters, every page of it, as a download."""
    try:
        caller = await require_caller(request)
        env = await selected_environment(request, caller)
        query = history_filter(request)
        lines = await history_csv(
            runtime(request).services, env, query, organisation_admin=await is_organisation_admin(request, caller)
        )
    except HANDLED as exc:
        status, message = http_error(exc)
        return Response(message + "\n", status_code=status, media_type="text/plain; charset=utf-8")
    scope = "all-environments" if query.all_environments else env.name
    filename = "".join(c if c.isalnum() or c in "-_" else "-" for c in f"pms-sync-history-{scope}-{date.today():%Y-%m-%d}")
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}.csv"'},
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
            caller = await require_caller(request)  # page() has checked there is one
            await principal_in(request, caller, in_use[entry.environment_id])
        return {"entry": entry}

    return await page(request, "attempt.html", build, {"entry": None, "section": "history"})


routes = [
    Route("/history", history_list),
    Route("/history.csv", history_export),
    Route("/history/{attempt_id:id}", history_detail),
    Route("/history/release", release_page, methods=["POST"]),
]
