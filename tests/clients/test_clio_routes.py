"""The table of Clio Operate routes and the checks on an environment's overrides."""

import re
from pathlib import Path

import pytest

from clients.clio_routes import DEFAULT_ROUTES, ClioRoutes, route_override_problems

DOC = Path(__file__).resolve().parents[2] / "docs" / "remote-shapes.md"


def test_every_route_has_a_method_a_path_a_confidence_and_a_source() -> None:
    for name in ClioRoutes.names():
        route = DEFAULT_ROUTES.route(name)
        assert route.method in {"GET", "POST", "PUT"}, name
        assert route.path.startswith("/") and route.confidence in {"C", "C-3p", "R", "I"}, name
        assert route.source, name
        if route.confidence in {"R", "I"}:
            assert route.source.startswith("configurable"), f"{name}: without a public body it must say it is configurable"


def test_the_documented_table_lists_every_route_with_its_default_path() -> None:
    rows = {
        match.group(1): (match.group(2), match.group(3))
        for match in re.finditer(r"^\| `(\w+)` \| (GET|POST|PUT) \| `([^`]+)` \|", DOC.read_text(), re.MULTILINE)
    }
    assert rows == {name: (r.method, r.path) for name in ClioRoutes.names() for r in [DEFAULT_ROUTES.route(name)]}


def test_overrides_replace_only_the_paths_named() -> None:
    routes = DEFAULT_ROUTES.with_overrides({"ods_search": "/api/ods/search"})
    assert routes.ods_search.path == "/api/ods/search"
    assert routes.ods_search.method == "POST" and routes.ods_search.source == DEFAULT_ROUTES.ods_search.source
    assert routes.create_person == DEFAULT_ROUTES.create_person
    assert DEFAULT_ROUTES.with_overrides({}) is DEFAULT_ROUTES


def test_a_route_fills_its_placeholders_url_quoted() -> None:
    assert DEFAULT_ROUTES.change_phase.url_path(id="a/b c") == "/api/v1/public/workItem/a%2Fb%20c/phase"


def test_valid_overrides_have_no_problems() -> None:
    assert route_override_problems(
        {"ods_search": "/api/ods/search", "work_item_participants": "/api/v1/public/workItem/{id}/participants"}
    ) == []


@pytest.mark.parametrize(
    ("paths", "problem"),
    [
        ({"odsSearch": "/api/ods/search"}, "odsSearch is not a Clio Operate route PMS Sync calls"),
        ({"ods_search": "api/ods/search"}, "must start with a single /"),
        ({"ods_search": "//evil.example/api"}, "must start with a single /"),
        ({"ods_search": "/api/ods/_search?x=1"}, "must be a plain path"),
        ({"change_phase": "/api/v1/public/workItem/{workItemId}/phase"}, "must have the placeholders {id}"),
        ({"ods_search": "/api/ods/{id}/_search"}, "must have the placeholders none"),
        ({"change_phase": "/api/v1/public/workItem/{id/phase"}, "unbalanced"),
    ],
)
def test_bad_overrides_are_refused_with_a_reason(paths: dict[str, str], problem: str) -> None:
    [found] = route_override_problems(paths)
    assert problem in found
