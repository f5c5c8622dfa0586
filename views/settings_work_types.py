"""Settings → Work Type Names (administrators only): load the modeller's work type tree from a JSON
file or pasted text, so work types are shown by the names people use; see where they came from."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from plugin.errors import InvalidInput
from plugin.services import EnvironmentSettings
from plugin.work_type_names import MAX_DOCUMENT, InvalidTypeTree, load_type_names, overview
from views.common import HANDLED, http_error, runtime, signed_form, text, uploaded_text
from views.rendering import page

DEFAULTS = {"section": "settings", "page": None, "notice": None, "problems": [], "pasted": ""}
NOTICES = {"loaded": "The work type names were loaded."}


async def names_page(request: Request) -> Response:
    done = request.query_params.get("done", "")

    async def build(env: EnvironmentSettings) -> dict:
        return {"page": await overview(runtime(request).services, env), "notice": NOTICES.get(done)}

    return await page(request, "settings_work_types.html", build, DEFAULTS, admin=True)


async def names_post(request: Request) -> Response:
    """Load (PRG); a refusal shows the page again with every problem, and changes nothing."""
    signed = await signed_form(request)
    if isinstance(signed, Response):
        return signed
    caller, form = signed
    services = runtime(request).services
    pasted = form.get("pasted")
    pasted = pasted if isinstance(pasted, str) else ""
    status = 200

    async def build(env: EnvironmentSettings) -> dict | Response:
        nonlocal status
        context: dict = {"pasted": pasted}
        try:
            if text(form, "action") != "load":
                raise InvalidInput("Unknown action: reload the page and try again.")
            upload, name = await uploaded_text(form, MAX_DOCUMENT, _not_text)
            await load_type_names(services, env, caller.principal.user_name, upload or pasted, source=name or "pasted text")
        except InvalidTypeTree as exc:
            status, context["problems"] = 400, exc.problems
        except HANDLED as exc:
            status, context["error"] = http_error(exc)
        else:
            return RedirectResponse(f"/settings/work-types?{urlencode({'environment': env.id, 'done': 'loaded'})}", status_code=303)
        return {"page": await overview(services, env), **context}

    response = await page(request, "settings_work_types.html", build, DEFAULTS, admin=True)
    if status != 200:
        response.status_code = status
    return response


def _not_text(name: str) -> InvalidTypeTree:
    return InvalidTypeTree([f"(document): {name} is not UTF-8 text; upload the JSON the modeller returned"])


routes: list[Route] = [
    Route("/settings/work-types", names_page, methods=["GET"]),
    Route("/settings/work-types", names_post, methods=["POST"]),
]
