"""Staff never see an administrator link, and every administrator route (Settings, and History's
Schedule, Close-sync and Auto-import) answers them 403."""

from __future__ import annotations

import re

from starlette.convertors import IntegerConvertor
from starlette.routing import BaseRoute, Mount, Route

from tests.access.conftest import Service

# History's administrator pages; the rest of /history (the import list, an attempt) is for staff too.
ADMIN_HISTORY = ("/history/schedule", "/history/close-sync", "/history/auto-import")


def is_admin_path(path: str) -> bool:
    return path.startswith("/settings") or any(path == p or path.startswith(p + "/") for p in ADMIN_HISTORY)


def admin_routes(routes: list[BaseRoute], prefix: str = "") -> list[tuple[str, str]]:
    """(method, path) of every administrator route, with a sample value for each path parameter."""
    found = []
    for route in routes:
        if isinstance(route, Mount):
            found += admin_routes(route.routes, prefix + route.path)
        elif isinstance(route, Route) and is_admin_path(prefix + route.path):
            samples = {name: "1" if isinstance(c, IntegerConvertor) else "x" for name, c in route.param_convertors.items()}
            path = prefix + route.path_format.format(**samples)
            found += [(method, path) for method in sorted(route.methods or {"GET"}) if method != "HEAD"]
    return found


def test_a_staff_members_pages_have_no_administrator_link(service: Service) -> None:
    service.sign_in("staff@sandbox.test")
    for path in ("/", "/history", "/history?environment=1", "/history?environment=2"):
        page = service.client.get(path)
        assert page.status_code == 200 and "Sam Staff" in page.text
        assert "/settings" not in page.text and "Administrator" not in page.text
        for admin_path in ADMIN_HISTORY:
            assert admin_path not in page.text, f"{path} links to {admin_path}"


def test_an_administrators_history_page_links_to_the_administrator_pages(service: Service) -> None:
    """The counterpart of the staff check above: the links it looks for are the ones rendered."""
    service.sign_in("admin@sandbox.test")
    page = service.client.get("/history?environment=1").text
    for admin_path in ADMIN_HISTORY:
        assert f'href="{admin_path}?environment=1"' in page


def test_every_administrator_route_answers_403_to_staff(service: Service) -> None:
    routes = admin_routes(service.client.app.routes)  # type: ignore[attr-defined]
    assert {("GET", "/settings/members"), ("POST", "/settings/members"), ("POST", "/settings/members/1/remove")} <= set(routes)
    assert {
        ("GET", "/history/schedule"), ("POST", "/history/schedule"), ("POST", "/history/schedule/run"),
        ("GET", "/history/close-sync"), ("POST", "/history/close-sync"),
        ("GET", "/history/auto-import"), ("POST", "/history/auto-import"),
    } <= set(routes)
    service.sign_in("staff@sandbox.test")
    token = re.search(r'name="csrf_token" value="([^"]+)"', service.client.get("/").text).group(1)  # type: ignore[union-attr]
    for method, path in routes:
        # With the staff member's own CSRF token, so that the refusal is about the role.
        data = {"csrf_token": token} if method != "GET" else None
        response = service.client.request(method, path, data=data, headers={"x-csrf-token": token}, follow_redirects=False)
        assert response.status_code == 403, f"{method} {path} answered {response.status_code} to staff"
    assert service.store.schedules.runs(service.organisation_id, 1) == [], "no Run now went through"


def test_the_same_routes_open_for_an_administrator(service: Service) -> None:
    service.sign_in("admin@sandbox.test")
    page = service.client.get("/settings/members")
    assert page.status_code == 200 and "Members" in page.text
    for path, heading in zip(ADMIN_HISTORY, ("Schedule", "Close-sync", "Auto-import"), strict=True):
        page = service.client.get(path)
        assert page.status_code == 200 and f"<h1>{heading} " in page.text, path


def test_staff_who_open_an_administrator_page_see_only_the_refusal(service: Service) -> None:
    pages = [path for method, path in admin_routes(service.client.app.routes) if method == "GET"]  # type: ignore[attr-defined]
    assert {"/settings/connections", "/settings/mapping", "/history/schedule", "/history/close-sync"} <= set(pages)
    service.sign_in("staff@sandbox.test")
    for path in pages:
        page = service.client.get(path)
        assert page.status_code == 403, path
        main = page.text.split("<main>", 1)[1]
        assert 'role="alert">Only administrators can open' in main, path
        assert "<form" not in main and "<table" not in main and "<h1>" not in main, f"{path} shows what staff cannot use"
        assert 'class="subtabs"' not in page.text, f"{path} shows administrator tabs"
        assert 'href="/?environment=' in main or 'href="/"' in main, f"{path} offers no way back"
        if path.startswith("/history"):
            assert "Settings" not in page.text, f"{path} sends staff to Settings"
            assert "Only administrators can open Schedule, Close-sync and Auto-import" in main, path
