"""The API of a sandbox tenant (`{base}/{tenant}/api/...`): the routes PMS Sync calls, with the
validation rules of the real tenant (see sandbox/README.md)."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.clio import api_shapes as shapes
from sandbox.clio.seed import (
    CLIENT_NAMES,
    CLIENT_PERMISSIONS,
    FIRM_ORGANISATION_ID,
    PERSONA,
    ROLE_PERMISSIONS,
)
from sandbox.clio.state import (
    InvalidRequest,
    NewContactFields,
    NewParticipant,
    NewWorkItem,
    NotFound,
    TenantState,
    WorkItemQuery,
    WorkItemUpdate,
    attribute_text,
)
from sandbox.clio.tenant import Tenant
from sandbox.clio.tokens import Claims, TokenIssuer
from sandbox.clio.web import bearer_token, error, json_object


class BearerAuthentication:
    """Refuses (401) any request without a valid token of this tenant; puts the claims in
    `request.state.claims`."""

    def __init__(self, app: ASGIApp, tokens: TokenIssuer) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        claims = self.tokens.resolve(bearer_token(Request(scope)) or "")
        if claims is None:
            response = error(
                401, "A valid bearer token of this tenant is required", {"WWW-Authenticate": "Bearer"}
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["claims"] = claims
        await self.app(scope, receive, send)


def _object(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidRequest(f"'{what}' must be an object")
    return value


def _objects(value: Any, what: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        raise InvalidRequest(f"'{what}' must be a list of objects")
    return value


def _required_text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"'{key}' is required")
    return value


def _claim_list(claims: Claims) -> list[dict[str, str]]:
    """Claims as .NET lists them: one entry per value."""
    return [
        {"claim": name, "value": str(value)}
        for name, values in claims.items()
        for value in (values if isinstance(values, list) else [values])
    ]


def _contact_fields(body: dict[str, Any]) -> NewContactFields:
    return NewContactFields(
        is_active=bool(body.get("isActive", True)),
        reference=body.get("reference"),
        external_reference=body.get("externalReference"),
        contact_details=tuple(_objects(body.get("contactDetails"), "contactDetails")),
    )


def _new_work_item(body: dict[str, Any]) -> NewWorkItem:
    item = _object(body.get("workItem"), "workItem")
    aspects = dict(_object(body.get("aspectData"), "aspectData"))
    # Both spellings of the form-builder aspect are seen in the wild.
    camel, pascal = (_object(aspects.pop(key, None), key) for key in ("formBuilder", "FormBuilder"))
    form = camel or pascal
    return NewWorkItem(
        type_system_name=_required_text(item, "sharedoTypeSystemName"),
        title=str(item.get("title") or ""),
        reference=str(item.get("reference") or ""),
        description=str(item.get("description") or ""),
        title_is_user_provided=bool(item.get("titleIsUserProvided", True)),
        reference_is_user_provided=bool(item.get("referenceIsUserProvided", True)),
        attributes=_object(form.get("formData"), "formData"),
        form_ids=tuple(form.get("formIds") or ()),
        key_dates=_object(body.get("keyDates"), "keyDates"),
        other_aspects=aspects,
        participants=tuple(_new_participant(p) for p in _objects(body.get("participants"), "participants")),
    )


def _new_participant(entry: dict[str, Any]) -> NewParticipant:
    return NewParticipant(_required_text(entry, "roleSystemName"), _required_text(entry, "odsId"), entry.get("odsType"))


UPDATE_FIELDS = frozenset({"workItem", "aspectData", "keyDates"})
# What `PUT …/workItem/{id}` may change in `workItem`: the rest must be sent back as `GET` answered it.
UPDATABLE = frozenset({"title", "reference", "description"})


def _work_item_update(work_item_id: str, body: dict[str, Any]) -> WorkItemUpdate:
    """Only the shape `GET` answers is accepted (`{workItem, aspectData, keyDates}`, the item's own id
    and type): a flat body, another item's id or a type change is refused, as are unknown fields."""
    unknown = sorted(set(body) - UPDATE_FIELDS)
    if unknown:
        raise InvalidRequest(f"Unknown field(s) {', '.join(unknown)}: send the work item as GET answers it")
    if "workItem" not in body:
        raise InvalidRequest("'workItem' is required: send the work item as GET answers it")
    item = _object(body["workItem"], "workItem")
    if item.get("id") != work_item_id:
        raise InvalidRequest("'workItem.id' must be the id of the work item updated")
    for name in UPDATABLE:
        if name in item and not isinstance(item[name], str):
            raise InvalidRequest(f"'workItem.{name}' must be a string")
    form = _object(_object(body.get("aspectData"), "aspectData").get("formBuilder"), "formBuilder")
    return WorkItemUpdate(
        type_system_name=_required_text(item, "sharedoTypeSystemName"),
        changes={name: item[name] for name in UPDATABLE if name in item},
        attributes=_object(form.get("formData"), "formData") if "formData" in form else None,
        key_dates=_object(body.get("keyDates"), "keyDates") if "keyDates" in body else None,
    )


# The `search` fields public callers send (reference/sharedo-api.md §2.4): sharedo-tech/sharedo_api_samples
# (`documents/filing/Filing.App/Sharedo/WorkItemSearches.cs`, `time/entry/app/Sharedo/MyMattersApi.cs`),
# sharedo-tech/sharedo-sample-mobile-app (`src/agents/searchAgent.js`) and jacquesonline/ShareDo-Tools
# (`public/search/search.js`). The sandbox filters on the first group and accepts the others.
SEARCH_FIELDS = frozenset({"page", "types", "phase", "workItemIds", "attributes", "reference"})
ACCEPTED_SEARCH_FIELDS = SEARCH_FIELDS | {
    "sort", "title", "externalReference", "freeText", "roles", "advancedRoles", "ownership", "graph", "dates",
}


def _work_item_query(search: dict[str, Any]) -> WorkItemQuery:
    unknown = sorted(set(search) - ACCEPTED_SEARCH_FIELDS)
    if unknown:
        raise InvalidRequest(f"Unknown search field(s): {', '.join(unknown)}")
    types = _object(search.get("types"), "types")
    phase = search.get("phase")
    phase_flags = _object(phase, "phase")
    return WorkItemQuery(
        include_types=tuple(types.get("includeTypes") or ()),
        include_types_derived_from=tuple(types.get("includeTypesDerivedFrom") or ()),
        # Without a phase filter every item that is not removed is included.
        include_open=phase is None or bool(phase_flags.get("includeOpen")),
        include_closed=phase is None or bool(phase_flags.get("includeClosed")),
        include_removed=bool(phase_flags.get("includeRemoved")),
        work_item_ids=tuple(search.get("workItemIds") or ()),
        attributes=tuple(
            (_required_text(a, "key"), attribute_text(a.get("value")))
            for a in _objects(search.get("attributes"), "attributes")
        ),
        reference=search.get("reference"),
    )


async def _bad_request(request: Request, exc: Exception) -> Response:
    return error(400, str(exc))


async def _not_found(request: Request, exc: Exception) -> Response:
    return error(404, str(exc))


class TenantApi:
    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant

    @property
    def state(self) -> TenantState:
        # Read on every request: a reset swaps the tenant's state.
        return self.tenant.state

    def app(self) -> Starlette:
        work_item = "/v1/public/workItem/{id}"
        return Starlette(
            routes=[
                Route("/security/userInfo", self.user_info, methods=["GET"]),
                Route("/ods/_search", self.search_contacts, methods=["POST"]),
                Route("/ods/teams/_search", self.search_teams, methods=["POST"]),
                Route("/public/v1/people", self.create_person, methods=["POST"]),
                Route("/public/v1/people/{id}", self.get_person, methods=["GET"]),
                Route(
                    "/v2/public/people/externalReference/{ref:path}",
                    self.person_by_reference,
                    methods=["GET"],
                ),
                Route("/v2/public/organisation", self.create_organisation, methods=["POST"]),
                Route("/v2/public/organisation/{id}", self.get_organisation, methods=["GET"]),
                Route("/v2/public/types/tree", self.types_tree, methods=["GET"]),
                Route("/modeller/referenceData/participantRoles/for/{type}", self.roles, methods=["GET"]),
                Route("/modeller/sharedoTypes", self.modeller_types_tree, methods=["GET"]),
                Route("/modeller/sharedoTypes/{type}/phasePlan", self.phase_plan, methods=["GET"]),
                Route("/v1/public/workItem", self.create_work_item, methods=["POST"]),
                Route("/v1/public/workItem/", self.create_work_item, methods=["POST"]),
                Route("/v1/public/workItem/findByQuery", self.find_work_items, methods=["POST"]),
                Route(work_item, self.get_work_item, methods=["GET"]),
                Route(work_item, self.update_work_item, methods=["PUT"]),
                Route(f"{work_item}/attributes", self.get_attributes, methods=["GET"]),
                Route(f"{work_item}/attributes/{{name}}", self.set_attribute, methods=["POST"]),
                Route(f"{work_item}/phase", self.get_phase, methods=["GET"]),
                Route(f"{work_item}/phase", self.change_phase, methods=["PUT"]),
                Route("/v2/public/workItem/{id}/participants", self.participants, methods=["GET"]),
                Route("/v2/public/workItem/{id}/participants", self.add_participant, methods=["POST"]),
            ],
            middleware=[Middleware(BearerAuthentication, tokens=self.tenant.tokens)],
            exception_handlers={InvalidRequest: _bad_request, NotFound: _not_found},
        )

    # --- security ------------------------------------------------------------------------

    async def user_info(self, request: Request) -> Response:
        claims: Claims = request.state.claims
        user = self.state.users.get(claims.get("sharedo/userid", ""))
        client_id = claims["client_id"]
        if user is None:
            identity: dict[str, Any] = dict.fromkeys(
                (
                    "userId",
                    "userName",
                    "provider",
                    "firstName",
                    "surname",
                    "fullName",
                    "organisationId",
                    "persona",
                )
            )
            permissions, roles = list(CLIENT_PERMISSIONS), []
        else:
            identity = {
                "userId": user.id,
                "userName": user.username,
                "provider": user.provider,
                "firstName": user.first_name,
                "surname": user.surname,
                "fullName": user.full_name,
                "organisationId": FIRM_ORGANISATION_ID,
                "persona": PERSONA,
            }
            permissions = sorted({p for role in user.roles for p in ROLE_PERMISSIONS.get(role, ())})
            roles = list(user.roles)
        return JSONResponse(
            {
                "isAuthenticated": True,
                "clientId": client_id,
                "clientName": CLIENT_NAMES.get(client_id, client_id),
                **identity,
                "globalPermissions": permissions,
                "roles": roles,
                "claims": _claim_list(claims),
            }
        )

    # --- ODS -----------------------------------------------------------------------------

    async def search_contacts(self, request: Request) -> Response:
        body = await json_object(request)
        entity_types = set(body.get("odsEntityTypes") or ())
        found = self.state.search_contacts(str(body.get("searchString") or ""), entity_types)
        return JSONResponse(shapes.search_page(found, body, shapes.contact_search_result))

    async def search_teams(self, request: Request) -> Response:
        body = await json_object(request)
        found = self.state.search_teams(str(body.get("searchString") or ""))
        return JSONResponse(shapes.search_page(found, body, shapes.team))

    async def create_person(self, request: Request) -> Response:
        body = await json_object(request)
        first_name, surname = str(body.get("firstName") or ""), str(body.get("surname") or "")
        person = self.state.add_person(first_name, surname, _contact_fields(body))
        return JSONResponse({"id": person.id})

    async def get_person(self, request: Request) -> Response:
        return JSONResponse(shapes.person(self.state.person(request.path_params["id"])))

    async def person_by_reference(self, request: Request) -> Response:
        reference = request.path_params["ref"]
        return JSONResponse(shapes.person(self.state.person_by_external_reference(reference)))

    async def create_organisation(self, request: Request) -> Response:
        body = await json_object(request)
        organisation = self.state.add_organisation(str(body.get("name") or ""), _contact_fields(body))
        return JSONResponse({"id": organisation.id})

    async def get_organisation(self, request: Request) -> Response:
        return JSONResponse(shapes.organisation(self.state.organisation(request.path_params["id"])))

    # --- work types ----------------------------------------------------------------------

    async def types_tree(self, request: Request) -> Response:
        return JSONResponse(shapes.type_tree(self.state))

    async def modeller_types_tree(self, request: Request) -> Response:
        refused = self._modeller_refusal(request)
        if refused:
            return refused
        return JSONResponse(shapes.modeller_type_tree(self.state))

    async def roles(self, request: Request) -> Response:
        refused = self._modeller_refusal(request)
        if refused:
            return refused
        roles = self.state.roles_for(request.path_params["type"])
        return JSONResponse([shapes.participant_role(role) for role in roles])

    async def phase_plan(self, request: Request) -> Response:
        refused = self._modeller_refusal(request)
        if refused:
            return refused
        self.state.work_type(request.path_params["type"])
        return JSONResponse(shapes.phase_plan(self.state.phase_plan))

    def _modeller_refusal(self, request: Request) -> Response | None:
        """Modeller routes answer a portal user's session, not a client-credentials token: 401
        for a token without a user, 403 for a user without administration rights
        (jacquesonline/ShareDo-Tools `server/auth.js` `tryAuth` retries them with the
        administrator's `_api` cookie after a 401)."""
        claims: Claims = request.state.claims
        user = self.state.users.get(claims.get("sharedo/userid", ""))
        if user is None:
            return error(401, "Modeller routes need a portal user's session", {"WWW-Authenticate": "Bearer"})
        if not any("core.admin.access" in ROLE_PERMISSIONS.get(role, ()) for role in user.roles):
            return error(403, "Missing permission core.admin.access")
        return None

    # --- work items ----------------------------------------------------------------------

    async def create_work_item(self, request: Request) -> Response:
        item = self.state.create_work_item(_new_work_item(await json_object(request)))
        return JSONResponse(shapes.work_item(item))

    async def get_work_item(self, request: Request) -> Response:
        return JSONResponse(shapes.work_item(self.state.work_item(request.path_params["id"])))

    async def update_work_item(self, request: Request) -> Response:
        """`PUT`: the shape `GET` answers, sent back changed (`_work_item_update`)."""
        work_item_id = request.path_params["id"]
        self.state.update_work_item(work_item_id, _work_item_update(work_item_id, await json_object(request)))
        return JSONResponse(shapes.work_item(self.state.work_item(work_item_id)))

    async def find_work_items(self, request: Request) -> Response:
        body = await json_object(request)
        search = _object(body.get("search"), "search")
        page = _object(search.get("page"), "page")
        page_number = shapes.positive_int(page, "page", 1)
        rows_per_page = shapes.positive_int(page, "rowsPerPage", 20)
        paths = [_required_text(entry, "path") for entry in _objects(body.get("enrich"), "enrich")]
        unknown = [path for path in paths if not shapes.known_enrich_path(self.state, path)]
        if unknown:
            raise InvalidRequest(f"Unknown enrich path(s): {', '.join(unknown)}")
        found = self.state.find_work_items(_work_item_query(search))
        start = (page_number - 1) * rows_per_page
        results = [
            {
                "id": item.id,
                "data": {
                    path: shapes.enriched(item, self.state.work_types[item.type_system_name], path)
                    for path in paths
                },
            }
            for item in found[start : start + rows_per_page]
        ]
        return JSONResponse({"totalCount": len(found), "results": results})

    async def get_attributes(self, request: Request) -> Response:
        return JSONResponse(dict(self.state.work_item(request.path_params["id"]).attributes))

    async def set_attribute(self, request: Request) -> Response:
        body = await json_object(request)
        self.state.set_attribute(request.path_params["id"], request.path_params["name"], body.get("value"))
        return JSONResponse({})

    async def get_phase(self, request: Request) -> Response:
        item = self.state.work_item(request.path_params["id"])
        return JSONResponse(shapes.current_phase(item, self.state.phase_plan))

    async def change_phase(self, request: Request) -> Response:
        body = await json_object(request)
        phase = self.state.change_phase(request.path_params["id"], _required_text(body, "toPhaseSystemName"))
        return JSONResponse({"systemName": phase.system_name, "name": phase.name})

    async def add_participant(self, request: Request) -> Response:
        body = await json_object(request)
        self.state.add_participant(request.path_params["id"], _new_participant(body))
        return JSONResponse(shapes.participants(self.state.work_item(request.path_params["id"])))

    async def participants(self, request: Request) -> Response:
        return JSONResponse(shapes.participants(self.state.work_item(request.path_params["id"])))
