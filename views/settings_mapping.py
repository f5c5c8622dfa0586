"""Settings → Mapping (administrators only): edit a draft, Preview mapping, save it as a version,
restore an earlier one, and Backup/share (download and import the JSON document)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from plugin.errors import InvalidInput
from plugin.mapping import DATE_FIELDS, FIELDS
from plugin.mapping_admin import (
    MAX_DOCUMENT,
    compare,
    export_mapping,
    import_mapping,
    overview,
    restore_mapping,
    save_mapping,
    save_mapping_form,
)
from plugin.mapping_document import InvalidMapping
from plugin.mapping_form import AttributeRow, MappingForm, RoleRow, RuleRow
from plugin.services import EnvironmentSettings, Services
from views.common import HANDLED, http_error, runtime, signed_form, text, uploaded_text
from views.rendering import WithStatus, page
from views.settings_teams import whole_number

DEFAULTS = {
    "section": "settings", "overview": None, "draft": "", "matter_number": "", "note": "", "comparison": None,
    "problems": [], "import_problems": [], "form_problems": [], "pasted": "", "notice": None, "mapping_form": None, "form_note": "",
    "fields": list(FIELDS), "date_fields": sorted(DATE_FIELDS),
}


async def mapping_page(request: Request) -> Response:
    saved = request.query_params.get("saved", "")

    async def build(env: EnvironmentSettings) -> dict:
        found = await overview(runtime(request).services, env)
        return {
            "overview": found,
            "draft": found.text,
            "notice": f"Version {saved} is now the mapping in force for {env.name}." if saved.isdigit() else None,
        }

    return await page(request, "settings_mapping.html", build, DEFAULTS, admin=True)


async def mapping_post(request: Request) -> Response:
    """Preview mapping shows the page again with the comparison; save, restore and import redirect
    to the page (PRG); a refusal shows the page again with every problem, and saves nothing."""
    signed = await signed_form(request)
    if isinstance(signed, Response):
        return signed
    caller, form = signed
    services = runtime(request).services
    author = caller.principal.user_name
    action = text(form, "action")
    draft = _raw(form, "document")

    async def build(env: EnvironmentSettings) -> WithStatus | Response:
        status = 200
        context: dict = {"draft": draft, "matter_number": text(form, "matter_number"), "note": text(form, "note")}
        try:
            if action == "preview":
                context["comparison"] = await compare(services, env, draft, context["matter_number"])
            else:
                version = await _change(services, env, author, action, form, context)
                return RedirectResponse(f"/settings/mapping?{urlencode({'environment': env.id, 'saved': version})}", status_code=303)
        except InvalidMapping as exc:
            status = 400
            context[{"import": "import_problems", "save_form": "form_problems"}.get(action, "problems")] = exc.problems
        except HANDLED as exc:
            status, context["error"] = http_error(exc)
        found = await overview(services, env)
        if action == "save_form":  # shown again as submitted, so nothing typed is lost
            context["mapping_form"] = mapping_form(form).with_blank_rows()
        return WithStatus(status, {"overview": found, **context, "draft": draft or found.text})

    return await page(request, "settings_mapping.html", build, DEFAULTS, admin=True)


async def _change(services: Services, env: EnvironmentSettings, author: str, action: str, form: FormData, context: dict) -> int:
    """Save, restore or import: the version now in force."""
    if action == "save":
        return await save_mapping(services, env, author, context["draft"], context["note"])
    if action == "save_form":
        context["form_note"] = text(form, "form_note")
        return await save_mapping_form(services, env, author, mapping_form(form), context["form_note"])
    if action == "restore":
        return await restore_mapping(services, env, author, whole_number(text(form, "version"), "mapping version"))
    if action == "import":
        context["pasted"] = _raw(form, "pasted")
        upload, name = await uploaded_text(form, MAX_DOCUMENT, _not_text)
        note = text(form, "import_note") or (f"Imported from {name}" if name else "")
        return await import_mapping(services, env, author, upload or context["pasted"], note)
    raise InvalidInput("Unknown action: reload the page and try again.")


async def mapping_export(request: Request) -> Response:
    """Backup/share: the mapping in force (or ``?version=N``) as a JSON download."""
    version = request.query_params.get("version")

    async def build(env: EnvironmentSettings) -> Response:
        number = whole_number(version, "mapping version") if version else None
        exported = await export_mapping(runtime(request).services, env, number)
        return Response(
            exported.text,
            media_type="application/json",
            headers={"content-disposition": f'attachment; filename="{exported.filename}"'},
        )

    return await page(request, "settings_mapping.html", build, DEFAULTS, admin=True)


def mapping_form(form: FormData) -> MappingForm:
    """The form editor's rows as submitted (each list's fields are posted once per row, in order)."""

    def rows(prefix: str, names: tuple[str, ...]) -> list[list[str]]:
        columns = [[v.strip() if isinstance(v, str) else "" for v in form.getlist(f"{prefix}_{n}")] for n in names]
        count = max((len(c) for c in columns), default=0)
        return [[c[i] if i < len(c) else "" for c in columns] for i in range(count)]

    return MappingForm(
        base=_raw(form, "base"),
        rules=[RuleRow(*row) for row in rows("rule", ("source", "equals", "work_type", "also"))],
        default_work_type=text(form, "default_work_type"),
        roles=[RoleRow(*row) for row in rows("role", ("aderant_role", "role", "work_type"))],
        default_party_role=text(form, "default_party_role"),
        attributes=[AttributeRow(*row) for row in rows("attribute", ("source", "target", "transforms", "lookup"))],
    )


def _raw(form: FormData, name: str) -> str:
    """A text field as typed (JSON keeps its layout)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""




def _not_text(name: str) -> InvalidMapping:
    return InvalidMapping([f"(document): {name} is not UTF-8 text; upload the JSON file PMS Sync exported"])


routes: list[Route] = [
    Route("/settings/mapping", mapping_page, methods=["GET"]),
    Route("/settings/mapping", mapping_post, methods=["POST"]),
    Route("/settings/mapping/export", mapping_export, methods=["GET"]),
]
