"""JSON shapes of the sandbox Clio Operate API (field names as the real API spells them)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from math import ceil
from typing import Any

from sandbox.clio.model import (
    Contact,
    ContactDetail,
    Location,
    Organisation,
    ParticipantRole,
    Person,
    PhasePlan,
    Team,
    WorkItem,
    WorkType,
)
from sandbox.clio.state import InvalidRequest, TenantState

JSON = dict[str, Any]


def positive_int(body: JSON, key: str, default: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequest(f"'{key}' must be a positive whole number")
    return value


def search_page(items: Sequence[Contact | Team], body: JSON, entity: Callable[[Any], JSON]) -> JSON:
    """The paging envelope of `/api/ods/_search` and friends; `result` is the entity as a JSON string."""
    rows_per_page = positive_int(body, "rowsPerPage", 20)
    start_page = positive_int(body, "startPage", 1)
    end_page = max(start_page, positive_int(body, "endPage", start_page))
    first = (start_page - 1) * rows_per_page
    page = items[first : end_page * rows_per_page]
    return {
        "startPage": start_page,
        "endPage": end_page,
        "totalPages": ceil(len(items) / rows_per_page),
        "startRow": first + 1,
        "endRow": first + len(page),
        "totalRows": len(items),
        "rows": [_search_row(item.ods_entity_type, entity(item)) for item in page],
    }


def _search_row(entity_type: str, data: JSON) -> JSON:
    return {
        "odsEntityType": entity_type,
        "id": data["id"],
        "result": json.dumps(data),
        "aspectSearchResultWidgets": [],
    }


def _contact_detail(detail: ContactDetail, owner_key: str, owner_id: str) -> JSON:
    return {
        "id": detail.id,
        owner_key: owner_id,
        "isPrimary": detail.is_primary,
        "contactTypeSystemName": detail.contact_type,
        "contactValue": detail.value,
        "isActive": detail.is_active,
        "externalReference": None,
    }


def person(p: Person) -> JSON:
    return {
        "id": p.id,
        "odsEntityType": "person",
        "firstName": p.first_name,
        "surname": p.surname,
        "middleNameOrInitial": None,
        "shortName": p.name,
        "isActive": p.is_active,
        "isUser": p.is_user,
        "reference": p.reference,
        "externalReference": p.external_reference,
        "sourceSystem": None,
        "contactDetails": [_contact_detail(d, "personId", p.id) for d in p.contact_details],
    }


def organisation(o: Organisation) -> JSON:
    return {
        "id": o.id,
        "odsEntityType": "organisation",
        "name": o.name,
        "shortName": o.name,
        "isActive": o.is_active,
        "reference": o.reference,
        "externalReference": o.external_reference,
        "sourceSystem": None,
        "contactDetails": [_contact_detail(d, "organisationId", o.id) for d in o.contact_details],
    }


def contact(c: Contact) -> JSON:
    return person(c) if isinstance(c, Person) else organisation(c)


def contact_search_result(c: Contact) -> JSON:
    """An entity as an ODS search row carries it: contact details inside `aspectData`, addresses
    as `locations` (Alter-Igor/AlterspectiveSharedoIDE …/UnifiedOdsPmsSearch/sharedoResultsExample.json).
    `createdDate` is not in that answer: the sandbox adds it so the preview's "created" can be shown."""
    entity = contact(c)
    owner_key = "personId" if isinstance(c, Person) else "organisationId"
    return {
        **entity,
        "aspectData": {"ContactDetails": entity.pop("contactDetails")},
        "locations": [_location(location, owner_key, c.id) for location in c.locations],
        **({"createdDate": c.created.isoformat()} if c.created else {}),
    }


def _location(location: Location, owner_key: str, owner_id: str) -> JSON:
    return {
        "locationTypeNames": ["Correspondence"],
        "id": location.id,
        "organisationId": None,
        "personId": None,
        owner_key: owner_id,
        "name": None,
        "addressLine1": location.address_line1,
        "addressLine2": "",
        "town": location.town,
        "county": location.county,
        "country": location.country,
        "isActive": location.is_active,
        "externalReference": None,
        "postCode": location.post_code,
    }


def team(t: Team) -> JSON:
    return {"id": t.id, "name": t.name, "teamType": t.team_type, "reference": t.reference}


def type_tree(state: TenantState, parent: str | None = None) -> list[JSON]:
    """The public tree carries `systemName` and `children` only (sharedo-tech/sharedo-mobile-core
    `src/infra/typesTree.js`); `name` and `isAbstract` are seen on the modeller tree alone."""
    return [{"systemName": t.system_name, "children": type_tree(state, t.system_name)} for t in state.children(parent)]


def modeller_type_tree(state: TenantState, parent: str | None = None) -> list[JSON]:
    """The modeller's tree, `GET /api/modeller/sharedoTypes`: nodes with `systemName`, `name`,
    `isAbstract` and `children` (jacquesonline/ShareDo-Tools `server/worktype-service.js` reads
    these, or `title` and `derivedTypes`)."""
    return [
        {"systemName": t.system_name, "name": t.name, "isAbstract": t.is_abstract, "children": modeller_type_tree(state, t.system_name)}
        for t in state.children(parent)
    ]


def participant_role(role: ParticipantRole) -> JSON:
    return {
        "systemName": role.system_name,
        "name": role.name,
        "participantRoleCategorySystemName": role.category,
        "isTeamRole": role.is_team_role,
        "isSecurityTeamRole": role.is_security_team_role,
        "isPrimaryOwner": role.is_primary_owner,
        "allowedParticipantTypes": list(role.allowed_participant_types),
    }


def phase_plan(plan: PhasePlan) -> JSON:
    return {
        "systemName": plan.system_name,
        "phases": [
            {
                "systemName": p.system_name,
                "name": p.name,
                "iconClass": p.icon_class,
                "isStart": p.is_start,
                "isOpen": p.is_open,
                "isRemoved": p.is_removed,
            }
            for p in plan.phases
        ],
        "transitions": [
            {
                "fromPhaseSystemName": t.from_phase,
                "toPhaseSystemName": t.to_phase,
                "name": t.name,
                "isOptimumPath": t.is_optimum_path,
            }
            for t in plan.transitions
        ],
    }


def work_item(item: WorkItem) -> JSON:
    return {
        "workItem": {
            "id": item.id,
            "title": item.title,
            "reference": item.reference,
            "description": item.description,
            "sharedoTypeSystemName": item.type_system_name,
            "titleIsUserProvided": item.title_is_user_provided,
            "referenceIsUserProvided": item.reference_is_user_provided,
        },
        "aspectData": {
            **item.other_aspects,
            "formBuilder": {"formData": dict(item.attributes), "formIds": list(item.form_ids)},
        },
        "keyDates": dict(item.key_dates),
    }


def current_phase(item: WorkItem, plan: PhasePlan) -> JSON:
    return {
        "systemName": item.phase.system_name,
        "name": item.phase.name,
        "availableTransitions": [
            {
                "name": t.name,
                "toPhaseSystemName": t.to_phase,
                "toPhaseIconClass": plan.phase(t.to_phase).icon_class,
                "isOptimumPath": t.is_optimum_path,
                "isUserDriven": True,
            }
            for t in plan.transitions_from(item.phase.system_name)
        ],
    }


def participants(item: WorkItem) -> list[JSON]:
    return [
        {
            "odsId": p.ods_id,
            "odsName": p.ods_name,
            "participantType": p.ods_type,
            "participantRoleSystemName": p.role.system_name,
            "participantRoleTypeName": p.role.name,
            "participantRoleCategorySystemName": p.role.category,
        }
        for p in item.participants
    ]


# The enrich paths public callers use (reference/sharedo-api.md §2.4): sharedo-tech/sharedo_api_samples
# `documents/filing/Filing.App/Sharedo/WorkItemSearches.cs` (id, title, reference, phase.systemName,
# type.systemName), sharedo-tech/sharedo-sample-mobile-app `src/agents/{mattersAgent,searchAgent,tasksAgent}.js`
# and jacquesonline/ShareDo-Tools `public/search/search.js` (the others). `phase.isOpen` is not one.
ENRICH_PATHS = frozenset({
    "id", "title", "reference", "phase.systemName", "phase.name", "type.systemName", "type.name",
    "type.iconClass", "createdDate.utc.value", "description.html", "parent.id", "parent.reference",
    "parent.title", "taskDueDate.date.local.value", "documents!1.title", "roles.primary-owner.ods.name",
    "roles.primary-owner.participantType.iconClass",
})
FORM_PREFIX = "form-"


def _form_field(path: str) -> tuple[str, str] | None:
    """(form, field) of a `form-{form}.{field}` path, as in sharedo-tech/forum2024-02-S3
    `IDE/Demo01/PMSWidget/PMSWidgetAgent.js` (`form-demo01pms.demo01PmsReference`)."""
    if not path.startswith(FORM_PREFIX) or "." not in path:
        return None
    form, field_name = path.removeprefix(FORM_PREFIX).split(".", 1)
    return form, field_name


def known_enrich_path(state: TenantState, path: str) -> bool:
    """A path public callers use, or a field of one of the tenant's forms; anything else is a 400."""
    form_field = _form_field(path)
    if form_field is not None:
        return state.form_field_known(*form_field)
    return path in ENRICH_PATHS


def enriched(item: WorkItem, work_type: WorkType, path: str) -> Any:
    """One known `findByQuery` enrich path; a form field reads the attribute of that name (the
    attributes route names it by the field alone); a path the sandbox does not model is null."""
    fixed = {
        "id": item.id,
        "title": item.title,
        "reference": item.reference,
        "phase.systemName": item.phase.system_name,
        "phase.name": item.phase.name,
        "type.systemName": work_type.system_name,
        "type.name": work_type.name,
        "createdDate.utc.value": item.created.isoformat().replace("+00:00", "Z"),
    }
    form_field = _form_field(path)
    if form_field is not None:
        return item.attributes.get(form_field[1])
    return fixed.get(path)
