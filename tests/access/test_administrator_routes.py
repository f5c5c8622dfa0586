"""Staff never see an administrator link, and every Settings route answers them 403."""

from __future__ import annotations

import re

from starlette.convertors import IntegerConvertor
from starlette.routing import BaseRoute, Mount, Route

from tests.access.conftest import Service


def settings_routes(routes: list[BaseRoute], prefix: str = "") -> list[tuple[str, str]]:
    """(method, path) of every route under /settings, with a sample value for each path parameter."""
    found = []
    for route in routes:
        if isinstance(route, Mount):
            found += settings_routes(route.routes, prefix + route.path)
        elif isinstance(route, Route) and (prefix + route.path).startswith("/settings"):
            samples = {name: "1" if isinstance(c, IntegerConvertor) else "x" for name, c in route.param_convertors.items()}
            path = prefix + route.path_format.format(**samples)
            found += [(method, path) for method in sorted(route.methods or {"GET"}) if method != "HEAD"]
    return found


def test_a_staff_members_pages_have_no_administrator_link(service: Service) -> None:
    service.sign_in("staff@sandbox.test")
    for path in ("/", "/history"):
        page = service.client.get(path)
        assert page.status_code == 200 and "Sam Staff" in page.text
        assert "/settings" not in page.text and "Administrator" not in page.text


def test_every_settings_route_answers_403_to_staff(service: Service) -> None:
    routes = settings_routes(service.client.app.routes)  # type: ignore[attr-defined]
    assert {("GET", "/settings/members"), ("POST", "/settings/members"), ("POST", "/settings/members/1/remove")} <= set(routes)
    service.sign_in("staff@sandbox.test")
    token = re.search(r'name="csrf_token" value="([^"]+)"', service.client.get("/").text).group(1)  # type: ignore[union-attr]
    for method, path in routes:
        # With the staff member's own CSRF token, so that the refusal is about the role.
        data = {"csrf_token": token} if method != "GET" else None
        response = service.client.request(method, path, data=data, headers={"x-csrf-token": token}, follow_redirects=False)
        assert response.status_code == 403, f"{method} {path} answered {response.status_code} to staff"


def test_the_same_routes_open_for_an_administrator(service: Service) -> None:
    service.sign_in("admin@sandbox.test")
    page = service.client.get("/settings/members")
    assert page.status_code == 200 and "Members" in page.text
