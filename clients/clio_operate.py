"""Client of one Clio Operate (Sharedo) tenant's identity server and API.

Bodies follow reference/sharedo-api.md; the routes, each with its public source, are in
clients/clio_routes.py, and an environment can override any of them (docs/remote-shapes.md).
"""

import dataclasses
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import httpx2

from clients.clio_auth import AccessToken, BearerAuth, ServiceTokenAuth
from clients.clio_identity import ClioIdentity
from clients.clio_models import (
    FormField,
    NewParticipant,
    NewWorkItem,
    OdsContact,
    ParticipantRole,
    PhaseRef,
    Team,
    UserInfo,
    WorkItemChanges,
    WorkItemKeyDates,
    WorkItemParticipant,
    WorkItemPhase,
    WorkItemRef,
    WorkType,
)
from clients.clio_routes import DEFAULT_ROUTES, ClioRoutes, Route
from clients.concurrency import chunked, gather_bounded
from clients.errors import RemoteAuthError, RemoteError
from clients.remote import RemoteSystem

__all__ = [
    "ClioIdentity",
    "ClioOperateClient",
    "ClioRoutes",
    "FormField",
    "NewParticipant",
    "NewWorkItem",
    "OdsContact",
    "ParticipantRole",
    "Team",
    "UserInfo",
    "WorkItemChanges",
    "WorkItemKeyDates",
    "WorkItemParticipant",
    "WorkItemPhase",
    "WorkItemRef",
    "WorkType",
    "work_item_query",
]

SYSTEM = "Clio Operate"

MATTER_BASE_TYPE = "matter"
# The enrich paths of sharedo-tech/sharedo_api_samples documents/filing/Filing.App/Sharedo/WorkItemSearches.cs.
WORK_ITEM_FIELDS = ("id", "title", "reference", "phase.systemName", "phase.name", "type.systemName", "type.name")
TREE_MAX_AGE = 600.0
WORK_ITEM_IDS_PER_QUERY = 100
CLIENT_AUTH_HINT = "check the client id and secret"
# Sharedo permissions look like core.sharedo.create.matter or core.admin.jumptophase.
PERMISSION = re.compile(r"\b[a-z]+(?:\.[A-Za-z0-9_-]+){2,}\b")

ContactKind = Literal["person", "organisation"]
# The team search route has no public body: "minimal" sends paging and the search text only,
# "ods" the ODS search body with odsEntityTypes ["team"] (for a tenant whose route wants it).
TeamSearchBody = Literal["minimal", "ods"]


def ods_search_body(text: str, *, entity_types: Sequence[str], rows: int, page: int = 1) -> dict[str, Any]:
    """The body the portal's own ODS search sends: every filter present, none narrowing.

    Alter-Igor/AlterspectiveSharedoIDE _IDE/Alt/UnifiedDataSearch/Blades/UnifiedOdsPmsSearch/blade.js
    (searchOds), Alter-Igor/Test src/WebBased/Common/OdsHelper.ts and src/Typings/api/ods/_search.d.ts.
    """
    return {
        "startPage": page,
        "endPage": page,
        "rowsPerPage": rows,
        "searchString": text,
        "odsEntityTypes": list(entity_types),
        "availability": {"isAvailable": None, "isOutOfOffice": None, "isNotAvailable": None},
        "location": {"postcode": None, "range": 10},
        "connection": {"systemName": None, "label": None, "otherOdsIds": []},
        "competencies": [],
        "teams": [],
        "roles": [],
        "odsTypes": [],
        "wallManagement": False,
    }


def _contact_details(*pairs: tuple[str, str | None]) -> list[dict[str, Any]]:
    """Contact details, the first of each contact type primary and any other of that type not.

    Real ODS entities carry one primary per contact type (an e-mail, a mobile and a direct line
    can each be primary; a second e-mail is not): Alter-Igor/AlterspectiveSharedoIDE
    _IDE/Alt/UnifiedDataSearch/Blades/UnifiedOdsPmsSearch/sharedoResultsExample.json.
    """
    seen: set[str] = set()
    details = []
    for kind, value in pairs:
        if value:
            details.append({"contactTypeSystemName": kind, "contactValue": value, "isPrimary": kind not in seen})
            seen.add(kind)
    return details


def _row_result(row: dict[str, Any]) -> dict[str, Any]:
    """An ODS search row's entity; `result` is a JSON string in the real API."""
    result = row["result"]
    return {"id": row.get("id"), **(json.loads(result) if isinstance(result, str) else result)}


def work_item_query(
    *,
    attributes: Mapping[FormField, str],
    work_item_ids: Sequence[str] | None,
    open_only: bool,
    page: int,
    rows: int,
    closed_only: bool = False,
    fields: Sequence[FormField] = (),
) -> dict[str, Any]:
    """A findByQuery body for matters (any type derived from `matter`), 1-based `page`.

    Shapes: `attributes` `[{key, value}]` and `types` as in sharedo-tech/sharedo_api_samples
    `documents/filing/Filing.App/Sharedo/WorkItemSearches.cs` (`FindMattersByAttribute`); `page`
    and the `phase` filter as in `time/entry/app/Sharedo/MyMattersApi.cs` of the same repository.
    Each attribute's value, and each of `fields`, is read back with its form field's enrich path.
    """
    search: dict[str, Any] = {
        "page": {"page": page, "rowsPerPage": rows},
        "types": {"includeTypesDerivedFrom": [MATTER_BASE_TYPE]},
        "phase": {"includeOpen": not closed_only, "includeClosed": not open_only, "includeRemoved": False},
    }
    if attributes:
        search["attributes"] = [{"key": field.field, "value": value} for field, value in attributes.items()]
    if work_item_ids is not None:
        search["workItemIds"] = list(work_item_ids)
    read = dict.fromkeys((*attributes, *fields))
    paths = (*WORK_ITEM_FIELDS, *(field.enrich_path for field in read))
    return {"search": search, "enrich": [{"path": path} for path in paths]}


class ClioOperateClient:
    """Calls one tenant as the PMS Sync service client (client credentials, token cached)."""

    def __init__(
        self,
        *,
        identity_url: str,
        api_url: str,
        client_id: str,
        client_secret: str,
        environment_name: str,
        http: httpx2.AsyncClient,
        environment_id: int | None = None,
        timeout: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
        concurrency: int = 4,
        routes: ClioRoutes = DEFAULT_ROUTES,
        team_search_body: TeamSearchBody = "minimal",
    ) -> None:
        self._routes = routes
        self._route_names = {getattr(routes, f.name): f.name for f in dataclasses.fields(routes)}
        self._team_search_body = team_search_body
        self._token_url = identity_url.rstrip("/") + routes.token.path
        self._api_url = api_url.rstrip("/")
        self._client_auth = httpx2.BasicAuth(client_id, client_secret)
        self._http = http
        self._remote = RemoteSystem(
            SYSTEM, environment_name, secrets=(client_secret,), key="clio_operate", environment_id=environment_id
        )
        self._timeout = timeout
        self._concurrency = concurrency
        self._service_auth = ServiceTokenAuth(self._service_token, clock=clock)
        self._clock = clock
        self._tree: tuple[float, list[WorkType]] | None = None

    @property
    def concurrency(self) -> int:
        """The most calls this client has in flight at once for one request it splits."""
        return self._concurrency

    # Identity

    async def check_token(self) -> None:
        """Obtain a new service token now (client credentials), replacing the cached one.

        For Settings → Test connection: it proves the identity URL, client id and secret work now,
        which a still-valid cached token would not (e.g. after the secret was revoked).
        """
        await self._service_auth.renew()

    async def user_info(self, bearer_token: str) -> UserInfo:
        """Who a user's own token belongs to; also resolves opaque reference tokens."""
        data = await self._call(
            self._routes.user_info,
            auth=BearerAuth(bearer_token),
            auth_hint="the user's sign-in token was not accepted",
        )
        return self._remote.parse(UserInfo.from_json, data)

    async def impersonated_user_info(self, user_name: str, provider: str) -> UserInfo:
        """Who `user_name` of `provider` is in this tenant, roles included, read with an
        `Impersonate.Specified` token of the service client (reference/sharedo-api.md §1.3:
        sharedo-tech/sharedo-auth-samples clientCredentials/client-creds-dynamic.ps1). The token is
        used for this one call and never kept."""
        token = await self._grant(
            {"grant_type": "Impersonate.Specified", "scope": "sharedo", "impersonate_user": user_name, "impersonate_provider": provider}
        )
        return await self.user_info(token.value)

    # ODS: people, organisations, teams

    async def search_contacts(
        self, text: str, *, kinds: Sequence[ContactKind] = ("person", "organisation"), rows: int = 10
    ) -> list[OdsContact]:
        """People and organisations the ODS search finds for `text` (names, references, e-mails)."""
        body = ods_search_body(text, entity_types=kinds, rows=rows)
        data = await self._call(self._routes.ods_search, json=body)
        return self._remote.parse(
            lambda answer: [
                OdsContact.from_json(row["odsEntityType"], _row_result(row))
                for row in answer["rows"]
                if row["odsEntityType"] in kinds
            ],
            data,
        )

    async def create_person(
        self,
        *,
        first_name: str,
        surname: str,
        reference: str | None = None,
        external_reference: str | None = None,
        email: str | None = None,
        mobile: str | None = None,
        direct_line: str | None = None,
    ) -> str:
        """Creates an active person; returns the new ODS id."""
        body = {
            "firstName": first_name,
            "surname": surname,
            "isActive": True,
            "reference": reference,
            "externalReference": external_reference,
            "contactDetails": _contact_details(("email", email), ("mobile", mobile), ("direct-line", direct_line)),
        }
        return await self._create(self._routes.create_person, body)

    async def create_organisation(
        self,
        *,
        name: str,
        reference: str | None = None,
        external_reference: str | None = None,
        email: str | None = None,
        phone: str | None = None,
    ) -> str:
        """Creates an active organisation; returns the new ODS id."""
        body = {
            "name": name,
            "isActive": True,
            "reference": reference,
            "externalReference": external_reference,
            "contactDetails": _contact_details(("email", email), ("phone", phone)),
        }
        return await self._create(self._routes.create_organisation, body)

    async def search_teams(self, text: str, rows: int = 20) -> list[Team]:
        if self._team_search_body == "ods":
            body = ods_search_body(text, entity_types=("team",), rows=rows)
        else:
            body = {"searchString": text, "startPage": 1, "endPage": 1, "rowsPerPage": rows}
        data = await self._call(self._routes.team_search, json=body)
        return self._remote.parse(lambda answer: [Team.from_json(_row_result(row)) for row in answer["rows"]], data)

    # Work items

    async def find_work_items(
        self,
        *,
        attributes: Mapping[FormField, str] | None = None,
        work_item_ids: Sequence[str] | None = None,
        open_only: bool = False,
        closed_only: bool = False,
        rows: int = 50,
        fields: Sequence[FormField] = (),
    ) -> list[WorkItemRef]:
        """Matters (not removed) matching every attribute (exact) and/or among the given ids, all
        pages; only open ones when `open_only`, only closed ones when `closed_only` (the search's
        own phase filter).

        The values of the attributes asked for, and of `fields`, come back in
        `WorkItemRef.attributes`. Search is Elastic-backed: a just-created item may not be found yet.
        """
        attributes = dict(attributes or {})
        if not attributes and work_item_ids is None:
            raise ValueError("find_work_items needs attributes or work_item_ids")

        async def find(ids: Sequence[str] | None) -> list[WorkItemRef]:
            return await self._find_all_pages(attributes, ids, open_only, closed_only, rows, tuple(fields))

        if work_item_ids is None:
            return await find(None)
        chunks = list(chunked(list(dict.fromkeys(work_item_ids)), WORK_ITEM_IDS_PER_QUERY))
        results = await gather_bounded(chunks, find, self._concurrency)
        return [item for chunk in results for item in chunk]

    async def create_work_item(self, item: NewWorkItem) -> str:
        """Creates a work item with its participants; returns its id."""
        data = await self._call(self._routes.create_work_item, json=item.to_json())
        return self._remote.parse(lambda answer: str(answer["workItem"]["id"]), data)

    async def phase(self, work_item_id: str) -> WorkItemPhase:
        """The work item's phase and the transitions open from it (sharedo-tech/sharedo-sample-mobile-app
        `src/agents/phasesAgent.js`)."""
        data = await self._call(self._routes.work_item_phase, {"id": work_item_id}, not_found=self._missing(work_item_id))
        return self._remote.parse(WorkItemPhase.from_json, data)

    async def set_phase(self, work_item_id: str, to_phase: str, description: str) -> PhaseRef:
        """Moves along an available transition (Clio Operate rejects any other); the phase now.

        Body as in sharedo-tech/sharedo-sample-mobile-app `src/agents/phasesAgent.js`; the answer
        `{systemName, name}` as in sharedo-tech/sharedo_api_samples `documents/filing/Filing.App/Sharedo/DocumentManagement.cs`.
        """
        body = {"toPhaseSystemName": to_phase, "description": description, "reasonText": description}
        data = await self._call(
            self._routes.change_phase, {"id": work_item_id}, json=body, not_found=self._missing(work_item_id)
        )
        def phase_now(answer: Any) -> PhaseRef:
            system_name = str((answer or {}).get("systemName") or to_phase)
            return PhaseRef(system_name, str((answer or {}).get("name") or system_name))

        return self._remote.parse(phase_now, data)

    async def participants(self, work_item_id: str) -> list[WorkItemParticipant]:
        data = await self._call(
            self._routes.work_item_participants, {"id": work_item_id}, not_found=self._missing(work_item_id)
        )
        return self._remote.parse(lambda rows: [WorkItemParticipant.from_json(row) for row in rows], data)

    async def key_dates(self, work_item_id: str) -> WorkItemKeyDates | None:
        """The work item's key dates from `GET …/workItem/{id}`, None when its answer carries no
        `keyDates` (docs/remote-shapes.md: inferred from the create body)."""
        data = await self._call(self._routes.get_work_item, {"id": work_item_id}, not_found=self._missing(work_item_id))
        return self._remote.parse(WorkItemKeyDates.from_json, data)

    async def update_work_item(self, work_item_id: str, changes: WorkItemChanges) -> None:
        """Read the work item, change it, send it back (`WorkItemChanges`)."""
        missing = self._missing(work_item_id)
        current = await self._call(self._routes.get_work_item, {"id": work_item_id}, not_found=missing)
        body = self._remote.parse(changes.applied_to, current)
        await self._call(self._routes.update_work_item, {"id": work_item_id}, json=body, not_found=missing)

    async def set_attribute(self, work_item_id: str, name: str, value: str | None) -> None:
        """Set one attribute (a form-builder field) of the work item; None clears it."""
        await self._call(
            self._routes.set_attribute, {"id": work_item_id, "name": name}, json={"value": value},
            not_found=self._missing(work_item_id),
        )

    async def add_participant(self, work_item_id: str, participant: NewParticipant) -> None:
        """Add one participant to an existing work item, in the create call's entry shape."""
        await self._call(
            self._routes.add_participant, {"id": work_item_id}, json=participant.to_json(),
            not_found=self._missing(work_item_id),
        )

    # Work types

    async def work_type_tree(self) -> list[WorkType]:
        data = await self._call(self._routes.work_type_tree)
        tree = self._remote.parse(lambda nodes: [WorkType.from_json(node) for node in nodes], data)
        self._tree = (self._clock(), tree)
        return tree

    async def recent_work_type_tree(self, max_age: float = TREE_MAX_AGE) -> list[WorkType]:
        """The tree as last read when that is under `max_age` seconds old, else read now: for
        display names, which change rarely, without a round trip per page."""
        if self._tree is not None and self._clock() - self._tree[0] < max_age:
            return self._tree[1]
        return await self.work_type_tree()

    # Plumbing

    async def _service_token(self) -> AccessToken:
        return await self._grant({"grant_type": "client_credentials", "scope": "sharedo"})

    async def _grant(self, form: dict[str, str]) -> AccessToken:
        response = await self._remote.request(
            self._http,
            self._routes.token.method,
            self._token_url,
            operation="token",
            system="identity",
            data=form,
            auth=self._client_auth,
            timeout=self._timeout,
        )
        if not response.is_success:
            raise self._token_error(response)
        return self._remote.parse(
            lambda answer: AccessToken(str(answer["access_token"]), float(answer["expires_in"])),
            self._remote.json(response),
        )

    async def _call(
        self,
        route: Route,
        params: dict[str, str] | None = None,
        *,
        json: Any = None,
        not_found: str | None = None,
        auth: httpx2.Auth | None = None,
        auth_hint: str = CLIENT_AUTH_HINT,
    ) -> Any:
        """One API call as the service (or with `auth`); the JSON answer, or a RemoteError.

        `params` fill the route's placeholders, each URL-quoted."""
        response = await self._remote.request(
            self._http,
            route.method,
            self._api_url + route.url_path(**(params or {})),
            operation=self._route_names.get(route, "other"),
            json=json,
            auth=auth or self._service_auth,
            timeout=self._timeout,
        )
        if response.is_success:
            return self._remote.json(response)
        if response.status_code == 403:
            raise self._forbidden(response)
        raise self._remote.status_error(response, auth_hint=auth_hint, not_found=not_found)

    async def _create(self, route: Route, body: dict[str, Any]) -> str:
        data = await self._call(route, json=body)
        return self._remote.parse(lambda answer: str(answer["id"]), data)

    async def _find_all_pages(
        self,
        attributes: dict[FormField, str],
        ids: Sequence[str] | None,
        open_only: bool,
        closed_only: bool,
        rows: int,
        fields: tuple[FormField, ...],
    ) -> list[WorkItemRef]:
        found: list[WorkItemRef] = []
        read = tuple(dict.fromkeys((*attributes, *fields)))
        page = 1
        while True:
            body = work_item_query(
                attributes=attributes, work_item_ids=ids, open_only=open_only, closed_only=closed_only, page=page,
                rows=rows, fields=fields,
            )
            data = await self._call(self._routes.find_work_items, json=body)
            results, total = self._remote.parse(lambda answer: (answer["results"], answer["totalCount"]), data)
            found += self._remote.parse(
                lambda items: [WorkItemRef.from_json(item, read) for item in items], results
            )
            if len(results) < rows or len(found) >= total:
                return found
            page += 1

    def _token_error(self, response: httpx2.Response) -> RemoteError:
        """The identity server answers a bad client with 400 `invalid_client` as well as 401."""
        if response.status_code == 400 and "invalid_client" in response.text:
            detail = f"{CLIENT_AUTH_HINT} ({self._remote.message(response)})"
            return RemoteAuthError(SYSTEM, self._remote.environment, detail)
        return self._remote.status_error(response, auth_hint=CLIENT_AUTH_HINT, not_found=None)

    def _forbidden(self, response: httpx2.Response) -> RemoteError:
        """403: the body usually names the permission the client (or user) lacks."""
        message = self._remote.message(response)
        permission = PERMISSION.search(message)
        if permission:
            detail = f"the API client lacks the permission {permission.group()}"
        else:
            detail = f"check the API client's permissions ({message})"
        return RemoteAuthError(SYSTEM, self._remote.environment, detail)

    @staticmethod
    def _missing(work_item_id: str) -> str:
        return f"Work item {work_item_id} was not found"
