"""The portal page: sign-in, the `_api` cookie, hosting the widget, sign-out, token refresh."""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx2

from sandbox.clio.seed import STAFF_USER_ID
from sandbox.clio.tenant import Tenant
from sandbox.portal import Portal

PORTAL = "/production/portal"


def set_cookie(response: httpx2.Response) -> SimpleCookie:
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(response.headers["set-cookie"])
    return cookie


def signed_in(token: str) -> dict[str, str]:
    return {"Cookie": f"_api={token}"}


async def test_without_a_cookie_the_portal_offers_the_demo_users(client: httpx2.AsyncClient) -> None:
    response = await client.get(f"{PORTAL}/")

    assert response.status_code == 200
    assert "admin@sandbox.test" in response.text and "staff@sandbox.test" in response.text
    assert f'action="{PORTAL}/login"' in response.text
    assert "PmsSync.js" not in response.text
    assert "frame-src http://pms-sync.test:8200" in response.headers["content-security-policy"]


async def test_login_sets_the_api_cookie(client: httpx2.AsyncClient, production: Tenant) -> None:
    response = await client.post(f"{PORTAL}/login", data={"username": "staff@sandbox.test"})

    assert response.status_code == 303
    assert response.headers["location"] == f"{PORTAL}/"
    morsel = set_cookie(response)["_api"]
    assert morsel["path"] == PORTAL
    assert morsel["samesite"].lower() == "lax"
    assert not morsel["httponly"]
    claims = production.tokens.resolve(morsel.value)
    assert claims is not None and claims["sharedo/userid"] == STAFF_USER_ID


async def test_the_signed_in_page_hosts_the_widget(client: httpx2.AsyncClient, production: Tenant) -> None:
    token = production.mint_user_token("staff@sandbox.test")

    page = await client.get(f"{PORTAL}/", headers=signed_in(token))
    script = await client.get(f"{PORTAL}/_ideFiles/PmsSync/PmsSync.js")
    host_script = await client.get(f"{PORTAL}/static/portal.js")

    assert page.status_code == 200
    assert "Sam Staff" in page.text and f'href="{PORTAL}/logout"' in page.text
    assert f'<script src="{PORTAL}/_ideFiles/PmsSync/PmsSync.js"></script>' in page.text
    assert f'href="{PORTAL}/_ideFiles/PmsSync/PmsSync.css"' in page.text
    assert "data-pms-sync-frame" in page.text  # the widget template, rendered into the workspace
    assert '"id": "PmsSync.Widget"' in page.text and STAFF_USER_ID in page.text
    assert token not in page.text
    assert page.text.index("static/portal.js") < page.text.index("PmsSync.js")
    assert script.status_code == 200 and "http://pms-sync.test:8200/app" in script.text
    assert "new Widget(element, context.widget.configuration" in host_script.text
    assert "loadAndBind()" in host_script.text


async def test_reference_token_sign_in(client: httpx2.AsyncClient) -> None:
    offered = await client.get(f"{PORTAL}/?token=reference")
    response = await client.post(
        f"{PORTAL}/login", data={"username": "admin@sandbox.test", "token": "reference"}
    )
    token = set_cookie(response)["_api"].value

    user_info = await client.get(
        "/production/api/security/userInfo", headers={"Authorization": f"Bearer {token}"}
    )

    assert 'name="token" value="reference" checked' in offered.text
    assert "." not in token
    assert user_info.json()["userName"] == "admin@sandbox.test"


async def test_an_unknown_user_cannot_sign_in(client: httpx2.AsyncClient) -> None:
    response = await client.post(f"{PORTAL}/login", data={"username": "mallory@sandbox.test"})

    assert response.status_code == 400
    assert "set-cookie" not in response.headers


async def test_an_expired_cookie_shows_the_sign_in_page(
    client: httpx2.AsyncClient, production: Tenant
) -> None:
    expired = production.mint_user_token("staff@sandbox.test", lifetime=-1)

    response = await client.get(f"{PORTAL}/", headers=signed_in(expired))

    assert "Sign in" in response.text and "PmsSync.js" not in response.text
    assert set_cookie(response)["_api"].value == ""


async def test_sign_out_clears_the_cookie(client: httpx2.AsyncClient, production: Tenant) -> None:
    response = await client.get(
        f"{PORTAL}/logout", headers=signed_in(production.mint_user_token("staff@sandbox.test"))
    )

    morsel = set_cookie(response)["_api"]
    assert response.status_code == 303
    assert (morsel.value, morsel["path"], morsel["max-age"]) == ("", PORTAL, "0")


async def test_refresh_reissues_the_cookie_for_the_same_user(
    client: httpx2.AsyncClient, production: Tenant
) -> None:
    old = production.mint_user_token("staff@sandbox.test", reference=True)

    anonymous = await client.get(f"{PORTAL}/security/refreshTokens")
    refreshed = await client.get(f"{PORTAL}/security/refreshTokens", headers=signed_in(old))

    new = set_cookie(refreshed)["_api"].value
    assert refreshed.status_code == 204
    assert new != old and production.tokens.is_reference(new)
    assert production.tokens.resolve(new)["sharedo/userid"] == STAFF_USER_ID
    assert anonymous.status_code == 401


async def test_without_a_widget_package_the_portal_says_so(production: Tenant) -> None:
    portal = Portal(production, service_url="http://pms-sync.test:8200", widget_dir=None).app()
    token = production.mint_user_token("staff@sandbox.test")

    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=portal), base_url="http://sandbox.test"
    ) as http:
        page = await http.get("/", headers=signed_in(token))
        widget_file = await http.get("/_ideFiles/PmsSync/PmsSync.js")

    assert "widget package is not installed" in page.text
    assert "new Widget" not in page.text
    assert widget_file.status_code == 404
