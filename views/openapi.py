"""The OpenAPI 3.1 description of the JSON API, served at ``/api/v1/openapi.json``.

Written by hand next to the routes it describes (``views.api.routes``); tests check that it names
exactly those routes and agrees with the README's "JSON API" section.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from embed_auth.sessions import COOKIE as SESSION_COOKIE
from plugin.history import OUTCOMES
from plugin.search import MAX_PAGE
from views.parsing import MATTER_NUMBER_LENGTH, MAX_ID

Schema = dict[str, Any]

TEXT: Schema = {"type": "string"}
NULLABLE_TEXT: Schema = {"type": ["string", "null"]}
FLAG: Schema = {"type": "boolean"}
ID: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
ANY_OBJECT: Schema = {"type": "object"}


def obj(**properties: Schema) -> Schema:
    return {"type": "object", "properties": properties, "required": list(properties)}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


DECISION: Schema = {
    "oneOf": [{"const": "create"}, {"type": "object", "properties": {"link": TEXT}, "required": ["link"], "additionalProperties": False}]
}

SCHEMAS: dict[str, Schema] = {
    "Error": obj(error=TEXT),
    "Environment": obj(id=ID, name=TEXT, default=FLAG, import_writes_enabled=FLAG),
    "Matter": obj(
        matter_number=TEXT, title=TEXT, client_code=TEXT, client_name=TEXT, status=TEXT, closed=FLAG,
        imported=FLAG, work_item_id=NULLABLE_TEXT, work_item_url=NULLABLE_TEXT,
        import_state={"enum": ["imported", "deleted", "unknown", "in_progress", "failed", None]},
    ),
    "ImportRequest": {
        "type": "object",
        "properties": {"decisions": {"type": ["object", "null"], "additionalProperties": DECISION}},
        "additionalProperties": False,
    },
    "Imported": obj(
        status={"const": "imported"}, work_item_id=TEXT, work_item_url=TEXT, title=NULLABLE_TEXT,
        contacts=obj(created=array(ANY_OBJECT), linked=array(ANY_OBJECT)),
        teams_added=array(ANY_OBJECT), warnings=array(TEXT),
    ),
    "AlreadyImported": obj(status={"const": "already_imported"}, work_item_id=TEXT, work_item_url=TEXT),
    "HistoryItem": obj(
        id=ID, matter_number=TEXT, work_item_id=NULLABLE_TEXT, work_item_url=NULLABLE_TEXT, user=TEXT,
        user_display_name=TEXT, environment=TEXT, environment_id=ID, trigger=TEXT,
        started_at={"type": "string", "format": "date-time"},
        finished_at={"type": ["string", "null"], "format": "date-time"}, outcome={"enum": list(OUTCOMES)},
        error=NULLABLE_TEXT, request_id=NULLABLE_TEXT,
    ),
    "Preview": obj(
        matter_number=TEXT, work_type=TEXT, work_type_name=TEXT, title=TEXT, reference=TEXT, key_dates=ANY_OBJECT, attributes=ANY_OBJECT,
        parties=array(obj(
            key=TEXT, name=TEXT, kind=TEXT, role=NULLABLE_TEXT, role_name=TEXT, aderant_role=TEXT, reference=NULLABLE_TEXT,
            candidates=array(obj(
                ods_id=TEXT, name=TEXT, exact=FLAG, score={"type": "integer"}, reasons=array(TEXT), strong=FLAG,
                emails=array(TEXT), phones=array(TEXT), address=NULLABLE_TEXT, reference=NULLABLE_TEXT,
                created={"type": ["string", "null"], "format": "date-time"}, url=NULLABLE_TEXT,
            )),
            default_decision=DECISION, notes=array(TEXT),
        )),
        default_rule=TEXT, notes=array(obj(about=TEXT, text=TEXT)),
        summary=obj(create={"type": "integer"}, link={"type": "integer"}),
        teams=array(obj(id=TEXT, name=TEXT, role=TEXT, problem=NULLABLE_TEXT, role_name=TEXT)), already_imported=FLAG, work_item_id=NULLABLE_TEXT,
        work_item_url=NULLABLE_TEXT, work_item_deleted=FLAG, environment=obj(id=ID, name=TEXT), source=ANY_OBJECT,
        warnings=array(TEXT),
    ),
}

ERRORS = {
    "400": "The request cannot be read (the message says what to change)",
    "401": "No valid Clio Operate token or session",
    "403": "Not allowed (a missing CSRF token, or import writes not enabled)",
    "404": "No such matter or environment",
    "409": "The environment is not configured, or an import is in progress or blocked",
    "413": "The request body is too large",
    "502": "A remote system failed; a retry is safe",
    "504": "A remote system was too slow; a retry is safe",
}


def query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


ENVIRONMENT = query("environment", ID, "An environment id; the one the user signed in through by default")
MATTER_NUMBER_SCHEMA: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": MATTER_NUMBER_LENGTH}
MATTER_NUMBER = {"name": "matter_number", "in": "path", "required": True, "schema": MATTER_NUMBER_SCHEMA}


def answer(description: str, schema: Schema) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def operation(summary: str, parameters: list[Schema], responses: dict[str, Schema], **extra: Any) -> Schema:
    errors = {status: answer(text, ref("Error")) for status, text in ERRORS.items()}
    return {"summary": summary, "parameters": parameters, "responses": {**responses, **errors}, **extra}


def api_description() -> Schema:
    return {
        "openapi": "3.1.0",
        "info": {"title": "PMS Sync", "version": "1"},
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/api/v1/environments": {"get": operation(
                "The organisation's environments", [], {"200": answer("Environments", array(ref("Environment")))},
            )},
            "/api/v1/matters": {"get": operation(
                "Search Aderant, one page of matters at a time",
                [ENVIRONMENT, query("q", TEXT, "A matter number, client code or name"),
                 query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
                       "The page of matches (page_size a page); next_page of the previous answer")],
                {"200": answer("Matters found", obj(
                    results=array(ref("Matter")), page={"type": "integer", "minimum": 1},
                    page_size={"type": "integer", "minimum": 1},
                    next_page={"type": ["integer", "null"], "description": "The next page when more matters match; null on the last"},
                ))},
            )},
            "/api/v1/matters/{matter_number}/preview": {"get": operation(
                "What an import would create; writes nothing", [MATTER_NUMBER, ENVIRONMENT],
                {"200": answer("The preview", ref("Preview"))},
            )},
            "/api/v1/matters/{matter_number}/import": {"post": operation(
                "Import the matter (exactly once); with the session cookie, send X-CSRF-Token",
                [MATTER_NUMBER, ENVIRONMENT,
                 {"name": "X-CSRF-Token", "in": "header", "required": False, "schema": TEXT}],
                {"200": answer("Already imported", ref("AlreadyImported")), "201": answer("Imported", ref("Imported"))},
                requestBody={"required": True, "content": {"application/json": {"schema": ref("ImportRequest")}}},
            )},
            "/api/v1/history": {"get": operation(
                "Import attempts, newest first",
                [ENVIRONMENT, query("outcome", {"enum": list(OUTCOMES)}, "Only attempts with this outcome"),
                 query("matter", MATTER_NUMBER_SCHEMA, "Only attempts of this matter number"),
                 query("user", TEXT, "Only attempts by this user name"),
                 query("from", {"type": "string", "format": "date"},
                       "Only attempts started on or after this day, in the organisation's time zone"),
                 query("to", {"type": "string", "format": "date"},
                       "Only attempts started on or before this day, in the organisation's time zone"),
                 query("environments", {"const": "all"},
                       "all: every environment of the organisation (its administrators only); environment is then ignored"),
                 query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "Page size"),
                 query("before", ID, "next_before of the previous page")],
                {"200": answer("A page of History", obj(items=array(ref("HistoryItem")), next_before={"type": ["integer", "null"]}))},
            )},
            "/api/v1/openapi.json": {"get": {
                "summary": "This description", "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
            }},
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "A Clio Operate user's token"},
                "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                            "description": "The embedded page's session"},
            },
        },
    }


async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(api_description())
