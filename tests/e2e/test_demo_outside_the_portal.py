"""The demo opened outside the portal, over real loopback HTTP: the bare service URL says where PMS
Sync opens and offers "Sign in with Alterspective", which signs in at the sandbox's Production
identity server (authorization code with PKCE) and opens a session for a member."""

from __future__ import annotations

import html
import re

import httpx2
import pytest

from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e


def test_the_bare_service_url_links_to_the_portal_and_offers_the_sign_in(demo: Demo) -> None:
    page = httpx2.get(f"{demo.service_url}/", follow_redirects=True)

    assert page.status_code == 200 and page.url.path == "/embed"
    assert "PMS Sync opens inside Clio Operate" in page.text
    assert f'id="open-portal" href="{demo.environment("Production")["portal_url"]}"' in page.text
    assert 'href="/sign-in/alterspective">Sign in with Alterspective</a>' in page.text


def sign_in_outside_the_portal(demo: Demo, username: str) -> httpx2.Response:
    """A browser's trip: to the identity server, pick the user, back to PMS Sync with the flow cookie.
    (The cookies are Secure, which a browser sends to http://localhost and httpx does not: carried by hand.)"""
    with httpx2.Client() as browser:
        start = browser.get(f"{demo.service_url}/sign-in/alterspective")
        assert start.status_code == 303
        flow_cookie = start.headers["set-cookie"].split(";", 1)[0]
        form = browser.get(start.headers["location"])
        assert form.status_code == 200 and str(form.url).startswith(demo.environment("Production")["identity_url"])
        fields = {k: html.unescape(v) for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form.text)}
        chosen = browser.post(str(form.url), data={**fields, "username": username})
        assert chosen.status_code == 302
        return browser.get(chosen.headers["location"], headers={"Cookie": flow_cookie})


def test_a_member_signs_in_with_the_sandbox_identity_server(demo: Demo) -> None:
    callback = sign_in_outside_the_portal(demo, "admin@sandbox.test")

    assert (callback.status_code, callback.headers["location"]) == (303, "/")
    session = next(c for c in callback.headers.get_list("set-cookie") if c.startswith("pms_sync_session="))
    dashboard = httpx2.get(f"{demo.service_url}/", headers={"Cookie": session.split(";", 1)[0]})
    assert dashboard.status_code == 200
    assert re.search(r'class="who">\s*Ada Admin <span class="tag">Administrator</span>', dashboard.text)


def test_a_portal_user_who_is_not_a_member_is_refused_outside_the_portal(demo: Demo) -> None:
    callback = sign_in_outside_the_portal(demo, "staff@sandbox.test")

    assert callback.status_code == 403
    assert "Your account is not a member of this organisation: ask your administrator to add you." in html.unescape(callback.text)
    assert not any(c.startswith("pms_sync_session=") for c in callback.headers.get_list("set-cookie"))
