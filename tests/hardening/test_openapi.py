"""``/api/v1/openapi.json`` describes exactly the API's routes, and agrees with the README's
"JSON API" section: the same operations, query parameters and answer fields (as the docs are tested
in simonw/datasette's tests/test_docs.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from starlette.routing import Route

from tests.views.conftest import Service
from views import api
from views.openapi import api_description

README = Path(__file__).resolve().parents[2] / "README.md"
SPEC = api_description()


def readme_operations() -> dict[tuple[str, str], dict[str, set[str]]]:
    """(method, path) → {"query": parameter names, "fields": quoted names after →}, per README item."""
    section = README.read_text().split("## JSON API", 1)[1].split("\n## ", 1)[0]
    found = {}
    for item in re.split(r"\n- ", section)[1:]:
        method, target = re.match(r"`(GET|POST) ([^`\s]+)`", item).groups()  # type: ignore[union-attr]
        path, _, query = target.partition("?")
        answer = item.partition("→")[2]
        found[(method, path)] = {
            "query": set(re.findall(r"(?:^|[&\[])&?([a-z_]+)=", query)),
            "fields": set(re.findall(r'"([a-z_]+)"(?=\s*[,:}\]])', answer)),
        }
    return found


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return resolve(SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    return schema


def field_names(schema: dict[str, Any]) -> set[str]:
    """Every property name in ``schema``, however deep."""
    schema = resolve(schema)
    names = set(schema.get("properties", {}))
    for child in [*schema.get("properties", {}).values(), schema.get("items"), *schema.get("oneOf", [])]:
        if isinstance(child, dict):
            names |= field_names(child)
    return names


def spec_operations() -> dict[tuple[str, str], dict[str, set[str]]]:
    found = {}
    for path, methods in SPEC["paths"].items():
        for method, op in methods.items():
            answers = [r for status, r in op["responses"].items() if status.startswith("2")]
            schemas = [r["content"]["application/json"].get("schema", {}) for r in answers]
            found[(method.upper(), path)] = {
                "query": {p["name"] for p in op.get("parameters", []) if p["in"] == "query"},
                "fields": set().union(*(field_names(s) for s in schemas)),
            }
    return found


def test_the_description_names_exactly_the_api_routes() -> None:
    routes = {(m, r.path) for r in api.routes if isinstance(r, Route) for m in (r.methods or set()) - {"HEAD"}}
    assert routes == set(spec_operations())


def test_the_description_agrees_with_the_readme() -> None:
    readme, spec = readme_operations(), spec_operations()
    assert set(readme) == set(spec)
    for operation, documented in readme.items():
        assert documented["query"] == spec[operation]["query"], operation
        if operation[0] == "GET":  # the import item also quotes values ("create", "imported") and errors
            assert documented["fields"] == spec[operation]["fields"], operation
        else:
            assert spec[operation]["fields"] <= documented["fields"] | {"key"}, operation


def test_every_reference_resolves() -> None:
    refs = re.findall(r"'\$ref': '#/components/schemas/(\w+)'", repr(SPEC))
    assert refs and set(refs) <= set(SPEC["components"]["schemas"])


def test_it_is_served_without_a_token(service: Service) -> None:
    response = service.client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.json() == SPEC
    assert response.json()["openapi"].startswith("3.1")


def test_real_answers_have_the_described_fields(service: Service) -> None:
    """The description follows the code: each answer's fields are the schema's, at each level."""

    def check(value: Any, schema: dict[str, Any], where: str) -> None:
        schema = resolve(schema)
        if isinstance(value, dict) and "properties" in schema:
            assert set(value) == set(schema["properties"]), where
            for name, child in schema["properties"].items():
                check(value[name], child, f"{where}.{name}")
        elif isinstance(value, list) and "items" in schema:
            for item in value:
                check(item, schema["items"], f"{where}[]")

    def schema_of(path: str, method: str, status: str) -> dict[str, Any]:
        return SPEC["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]

    headers = service.bearer()
    imported = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    check(imported.json(), schema_of("/api/v1/matters/{matter_number}/import", "post", "201"), "import")
    again = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    check(again.json(), schema_of("/api/v1/matters/{matter_number}/import", "post", "200"), "again")
    for path, template in [
        ("/api/v1/environments", "/api/v1/environments"),
        ("/api/v1/matters?q=82001", "/api/v1/matters"),
        ("/api/v1/matters/82001/preview", "/api/v1/matters/{matter_number}/preview"),
        ("/api/v1/history", "/api/v1/history"),
    ]:
        response = service.client.get(path, headers=headers)
        assert response.status_code == 200 and response.json(), path
        check(response.json(), schema_of(template, "get", "200"), path)
    refused = service.client.get("/api/v1/history?limit=0", headers=headers)
    check(refused.json(), schema_of("/api/v1/history", "get", "400"), "error")
