"""History → Drift (administrators): imported matters that changed since their import, in Aderant
or in Clio Operate, and applying the changes from Aderant a person picks (plugin/drift_apply.py)."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plugin.drift import Kind, MatterDrift
from plugin.drift_apply import SEPARATOR, Selection, apply_drift_changes
from plugin.drift_parties import party_choices
from plugin.drift_reads import drift_for
from plugin.errors import InvalidInput, RemoteError
from plugin.importer import Decision
from plugin.services import EnvironmentSettings, Services
from views.common import runtime, signed_form, text
from views.rendering import WithStatus, page

PATH = "/history/drift"
CONTACT = "contact:"  # a form field per party added: its contact, link or create
KINDS: dict[Kind, str] = {
    "aderant_only": "Changed in Aderant",
    "clio_only": "Edited in Clio Operate",
    "both": "Conflict",
    "party_added": "Party added",
    "party_removed": "Party removed",
}
DEFAULTS: dict[str, object] = {
    "section": "history", "matters": [], "kinds": KINDS, "kind": "", "outcomes": None, "unavailable": None,
    "separator": SEPARATOR, "choices": {}, "contact_field": CONTACT,
}


def _kind(request: Request) -> Kind | None:
    kind = request.query_params.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"Unknown kind {kind!r}: use one of {', '.join(KINDS)}.")
    return kind


def _selection(form: FormData) -> Selection:
    whole = text(form, "apply_matter")
    return Selection(
        changes=frozenset(str(v) for v in form.getlist("change")),
        conflicts=frozenset(str(v) for v in form.getlist("use_aderant")),
        whole_matters=frozenset({whole} if whole else ()),
        everything=text(form, "apply") == "all",
        contacts={key.removeprefix(CONTACT): _decision(text(form, key)) for key in form if key.startswith(CONTACT)},
    )


def _decision(value: str) -> Decision:
    """A party's contact as the form sends it: "create" or "link:<contact id>"."""
    if value == "create":
        return "create"
    kind, _, contact_id = value.partition(":")
    if kind != "link" or not contact_id:
        raise InvalidInput(f'{value!r} is not a contact choice: expected "create" or "link:<contact id>".')
    return {"link": contact_id}


async def _drifted(services: Services, env: EnvironmentSettings, kind: Kind | None) -> list[MatterDrift]:
    """The matters with differences (of `kind` only, when given), each with those differences."""
    shown = []
    for drift in await drift_for(services, env):
        differences = tuple(d for d in drift.differences if kind is None or d.kind == kind)
        if differences:
            shown.append(MatterDrift(drift.matter_number, drift.work_item_id, drift.status, differences, drift.message))
    return shown


async def drift_page(request: Request) -> Response:
    """The list (GET), or apply the changes picked then the list again (POST, CSRF checked)."""
    signed = await signed_form(request) if request.method == "POST" else None
    if isinstance(signed, Response):
        return signed
    services = runtime(request).services

    async def build(env: EnvironmentSettings) -> dict | WithStatus:
        kind = _kind(request)
        context: dict = {"kind": kind or ""}
        try:
            if signed is not None:
                caller, form = signed
                context["outcomes"] = await apply_drift_changes(services, env, caller.principal.user_name, _selection(form))
            context["matters"] = await _drifted(services, env, kind)
            context["choices"] = await party_choices(services, env, context["matters"])
        except InvalidInput as exc:
            return WithStatus.refused(exc, {**context, "matters": await _drifted(services, env, kind)})
        except RemoteError as exc:
            context["unavailable"] = f"Changes since import could not be read: {exc}. Try again shortly."
        return context

    return await page(request, "history_drift.html", build, DEFAULTS, admin=True)


routes = [Route(PATH, drift_page, methods=["GET", "POST"])]
