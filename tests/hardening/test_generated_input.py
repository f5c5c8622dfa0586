"""Generated input (Hypothesis) at every JSON API operation of the OpenAPI description and every
page and form of the route table: path and query parameters, JSON bodies, form posts with the
page's CSRF token, a wrong one and none. Whatever comes, the answer is never a 5xx; a GET writes
nothing; a refused request (4xx, or a form without its CSRF token) writes nothing but the record of
a refused or failed import attempt (and a refused sign-in's audit event). Runs on SQLite, and on
PostgreSQL when PMS_SYNC_TEST_DATABASE_URL is set (the ``database_url`` fixture)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.convertors import IntegerConvertor
from starlette.routing import Mount, Route

from plugin.settings import Settings
from store.models import AuditEvent, ImportAttempt
from tests.hardening.conftest import Rows, database_rows
from tests.views.conftest import Service
from views.app import create_app
from views.openapi import api_description

SPEC = api_description()
TEMPLATES = Path(__file__).resolve().parents[2] / "views" / "templates"
FORM_FIELDS = sorted(
    set(re.findall(r'name="([a-z_]+)"', "".join(p.read_text() for p in TEMPLATES.glob("*.html")))) - {"viewport"}
    | {"agent_key", "client_secret", "relay_key", "siem_secret", "clear_agent_key", "decision-adv-90002"}
)
QUERY_NAMES = ["environment", "q", "outcome", "matter", "limit", "before", "saved", "done", "version", "work_type"]
TRICKY = [
    "", " ", "\x00", "a\x00b", "8" * 51, "8" * 5000, str(2**64 + 1), str(2**31), "-1", "0", "1", "2", "82001", "82003",
    "%00", "' OR 1=1 --", "[" * 2000, "{}", "é名", "\u202e", "\r\nX-Injected: 1", "../../etc/passwd", "on", "yes",
]
text = st.one_of(st.sampled_from(TRICKY), st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
ALLOWED_REFUSAL_WRITES = {
    ImportAttempt.__tablename__: ("outcome", {"'refused'", "'failed'"}),
    AuditEvent.__tablename__: ("type", {"'import.refused'", "'import.failed'", "'sign_in.refused'"}),
}
EXAMPLES = 6  # per route; about 60 routes and operations on each database
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def written(before: Rows, after: Rows, *, refusal: bool) -> list[str]:
    """What changed; for a refusal, only what ``ALLOWED_REFUSAL_WRITES`` lets a refusal record."""
    changes = []
    for table, rows in after.items():
        for row in rows - before[table]:
            column, allowed = ALLOWED_REFUSAL_WRITES.get(table, ("", set()))
            if not (refusal and dict(row).get(column) in allowed):
                changes.append(f"{table}: {dict(row)}")
        changes += [f"{table}: changed or removed {dict(row)}" for row in before[table] - rows]
    return changes


def page_routes() -> list[tuple[str, Route]]:
    """Every (method, route) of the pages and forms, from the app's own route table."""
    app = create_app(Settings(database_url="sqlite://", secret_keys="unused"))
    found = []
    for route in app.routes:
        if isinstance(route, Route) and not route.path.startswith("/api/"):
            found += [(method, route) for method in sorted((route.methods or {"GET"}) - {"HEAD"})]
        assert isinstance(route, (Route, Mount))
    return found


def path_with(route_path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: quote(values[m.group(1)], safe=""), route_path)


def path_values(route: Route) -> st.SearchStrategy[dict[str, str]]:
    def one(convertor: object) -> st.SearchStrategy[str]:
        if isinstance(convertor, IntegerConvertor):
            return st.one_of(st.integers(0, 2**70).map(str), st.sampled_from(["1", "2", str(2**31), str(2**63)]))
        return text.filter(lambda v: v != "" and "/" not in v)

    return st.fixed_dictionaries({name: one(c) for name, c in route.param_convertors.items()})


def queries(names: list[str]) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.sampled_from(names), text, max_size=4)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)
import_bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(["decisions", "adv-90002", "x"]), json_values, max_size=2).map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.sampled_from([b"[" * 100_000, b'{"decisions": {"adv-90002": {"link": "\\u0000"}}}', b"", b"null"]),
)


@pytest.fixture
def admin(service: Service) -> Service:
    service.sign_in("admin@sandbox.test")
    return service


def csrf_of(service: Service) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', service.client.get("/").text).group(1)  # type: ignore[union-attr]


def check(service: Service, before: Rows, method: str, path: str, status: int, *, may_write: bool) -> None:
    assert status < 500, f"{method} {path} answered {status}"
    changes = written(before, database_rows(service.store.engine), refusal=not may_write)
    if method == "GET" or not may_write:
        assert changes == [], f"{method} {path} ({status}) wrote {changes}"


@pytest.mark.parametrize("method, route", page_routes(), ids=lambda v: v if isinstance(v, str) else v.path)
def test_pages_and_forms_take_any_input(admin: Service, method: str, route: Route) -> None:
    token = csrf_of(admin)

    @SETTINGS
    @given(params=path_values(route), query=queries(QUERY_NAMES), form=st.dictionaries(st.sampled_from(FORM_FIELDS), text, max_size=6),
           csrf=st.sampled_from(["page", "wrong", "none"]), body=json_values)
    def run(params: dict[str, str], query: dict[str, str], form: dict[str, str], csrf: str, body: object) -> None:
        path = path_with(route.path, params)
        if route.path == "/sign-out" and csrf == "page":
            csrf = "wrong"  # signing out would end the session the other examples use
        fields = {**form, **({"csrf_token": token} if csrf == "page" else {"csrf_token": "x"} if csrf == "wrong" else {})}
        before = database_rows(admin.store.engine)
        if method == "GET":
            response = admin.client.get(path, params=query, follow_redirects=False)
        elif route.path == "/embed/session":
            response = admin.client.post(path, params=query, json=body)
        else:
            response = admin.client.post(path, params=query, data=fields, follow_redirects=False)
        refused = response.status_code >= 400 or csrf != "page"
        check(admin, before, method, path, response.status_code, may_write=not refused)
        if method == "POST" and csrf != "page" and route.path != "/embed/session" and response.status_code != 404:
            assert response.status_code in (400, 403), f"{path} without its CSRF token answered {response.status_code}"

    run()


OPERATIONS = [(method.upper(), path, op) for path, ops in SPEC["paths"].items() for method, op in ops.items()]


@pytest.mark.parametrize("method, path, operation", OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_every_api_operation_takes_any_input(admin: Service, method: str, path: str, operation: dict) -> None:
    token, bearer = csrf_of(admin), admin.bearer("admin@sandbox.test")
    names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    path_names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]

    @settings(SETTINGS, max_examples=4 * EXAMPLES)
    @given(params=st.fixed_dictionaries({n: st.one_of(text.filter(bool), st.sampled_from(["82001", "82002", "82003", "99999"])) for n in path_names}),
           query=queries(names + ["x"]), body=import_bodies,
           auth=st.sampled_from(["bearer", "session with CSRF", "session without CSRF", "none"]))
    def run(params: dict[str, str], query: dict[str, str], body: bytes, auth: str) -> None:
        url = path_with(path, params)
        headers = {"content-type": "application/json"}
        headers |= bearer if auth == "bearer" else {"x-csrf-token": token} if auth == "session with CSRF" else {}
        session = list(admin.client.cookies.jar)
        if not auth.startswith("session"):
            admin.client.cookies.clear()
        before = database_rows(admin.store.engine)
        try:
            response = admin.client.request(method, url, params=query, content=body if method == "POST" else None, headers=headers)
        finally:
            for cookie in session:
                admin.client.cookies.jar.set_cookie(cookie)
        status = response.status_code
        check(admin, before, method, url, status, may_write=status < 400)
        if path != "/api/v1/openapi.json" and status >= 400:
            assert set(response.json()) == {"error"}, f"{method} {url}: {response.text[:200]}"
        if auth == "none" and path != "/api/v1/openapi.json":
            assert status == 401
        if auth == "session without CSRF" and method == "POST":
            assert status in (403, 413)

    run()
