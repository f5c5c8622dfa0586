"""Settings → Participant Roles (administrators only): load the roles each work type allows from
a JSON file or pasted text, see where each work type's roles came from, and remove them."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from plugin.errors import InvalidInput
from plugin.services import EnvironmentSettings
from plugin.work_type_roles import MAX_DOCUMENT, InvalidRoles, load_roles, overview, remove_roles
from views.common import HANDLED, http_error, runtime, signed_form, text, uploaded_text
from views.rendering import page

DEFAULTS = {"section": "settings", "page": None, "notice": None, "problems": [], "pasted": "", "work_type": ""}
NOTICES = {"loaded": "The participant roles were loaded.", "removed": "The participant roles were removed."}


async def roles_page(request: Request) -> Response:
    done = request.query_params.get("done", "")

    async def build(env: EnvironmentSettings) -> dict:
        return {"page": await overview(runtime(request).services, env), "notice": NOTICES.get(done)}

    return await page(request, "settings_roles.html", build, DEFAULTS, admin=True)


async def roles_post(request: Request) -> Response:
    """Load or remove (PRG); a refusal shows the page again with every problem, and changes nothing."""
    signed = await signed_form(request)
    if isinstance(signed, Response):
        return signed
    caller, form = signed
    services = runtime(request).services
    actor = caller.principal.user_name
    action, work_type = text(form, "action"), text(form, "work_type")
    pasted = form.get("pasted")
    pasted = pasted if isinstance(pasted, str) else ""
    status = 200

    async def build(env: EnvironmentSettings) -> dict | Response:
        nonlocal status
        context: dict = {"pasted": pasted, "work_type": work_type}
        try:
            if action == "load":
                upload, name = await uploaded_text(form, MAX_DOCUMENT, _not_text)
                await load_roles(services, env, actor, upload or pasted, source=name or "pasted text", work_type=work_type)
            elif action == "remove":
                await remove_roles(services, env, actor, work_type)
            else:
                raise InvalidInput("Unknown action: reload the page and try again.")
        except InvalidRoles as exc:
            status, context["problems"] = 400, exc.problems
        except HANDLED as exc:
            status, context["error"] = http_error(exc)
        else:
            done = "loaded" if action == "load" else "removed"
            return RedirectResponse(f"/settings/roles?{urlencode({'environment': env.id, 'done': done})}", status_code=303)
        return {"page": await overview(services, env), **context}

    response = await page(request, "settings_roles.html", build, DEFAULTS, admin=True)
    if status != 200:
        response.status_code = status
    return response




def _not_text(name: str) -> InvalidRoles:
    return InvalidRoles([f"(document): {name} is not UTF-8 text; upload the JSON the modeller returned"])


routes: list[Route] = [
    Route("/settings/roles", roles_page, methods=["GET"]),
    Route("/settings/roles", roles_post, methods=["POST"]),
]
