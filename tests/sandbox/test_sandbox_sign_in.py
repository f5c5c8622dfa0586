"""The identity server's authorization code flow, for PMS Sync's standalone sign-in.

Shapes followed: reference/sharedo-api.md §1.2 (`/connect/authorize` with `client_id, scope,
response_type, redirect_uri, state, nonce`; `/connect/userinfo` answering `idp`, `sub`,
`sharedo/firstname`, `sharedo/lastname`) and §1.3 (the `authorization_code` grant with `code` and
`redirect_uri`; "auth code + PKCE is supported"), as IdentityServer behaves: unknown clients and
unregistered redirect URIs are never redirected to (RFC 6749 §4.1.2.1), a code is single-use and
short-lived (§4.1.2, §10.5), bound to its redirect URI (§4.1.3) and PKCE challenge (RFC 7636 §4.6,
S256 only); the ID token is signed with the tenant's key and carries the nonce and `at_hash`
(OpenID Connect Core §3.1.3.6).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2
import jwt
import pytest

from sandbox.clio.authorize import CODE_LIFETIME
from sandbox.clio.tenant import Tenant
from tests.sandbox.conftest import SIGN_IN_CALLBACK
from tests.sandbox.test_sandbox_identity import basic

IDENTITY = "http://sandbox.test/production/identity"
AUTHORIZE = "/production/identity/connect/authorize"
TOKEN = "/production/identity/connect/token"
CLIENT = ("pms-sync-sign-in", "sandbox-sign-in-secret")


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class SignIn:
    """One sign-in as PMS Sync starts it: state, nonce and a PKCE verifier of its own."""

    def __init__(self, **overrides: str) -> None:
        self.verifier = secrets.token_urlsafe(48)
        self.state = secrets.token_urlsafe(16)
        self.nonce = secrets.token_urlsafe(16)
        self.params = {
            "response_type": "code",
            "client_id": CLIENT[0],
            "redirect_uri": SIGN_IN_CALLBACK,
            "scope": "openid email profile",
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": challenge_of(self.verifier),
            "code_challenge_method": "S256",
            **overrides,
        }

    @property
    def url(self) -> str:
        return f"{AUTHORIZE}?{urlencode(self.params)}"


def answer(response: httpx2.Response) -> dict[str, str]:
    """The query the identity server sent the browser back to the client with."""
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(SIGN_IN_CALLBACK + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def hidden_fields(page: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)}


async def sign_in_as(client: httpx2.AsyncClient, sign_in: SignIn, username: str) -> dict[str, str]:
    form = await client.get(sign_in.url)
    assert form.status_code == 200
    return answer(await client.post(AUTHORIZE, data={**hidden_fields(form.text), "username": username}))


async def redeem(
    client: httpx2.AsyncClient, code: str, verifier: str, *, redirect_uri: str = SIGN_IN_CALLBACK, auth: tuple[str, str] = CLIENT
) -> httpx2.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    return await client.post(TOKEN, data=data, headers=basic(*auth))


async def test_discovery_offers_the_code_flow_with_s256_only(client: httpx2.AsyncClient) -> None:
    document = (await client.get("/production/identity/.well-known/openid-configuration")).json()

    assert "authorization_code" in document["grant_types_supported"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert {"openid", "email", "profile"} <= set(document["scopes_supported"])


async def test_the_sign_in_form_lists_the_tenants_users(client: httpx2.AsyncClient) -> None:
    page = await client.get(SignIn().url)

    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    listed = re.findall(r'name="username" value="([^"]+)"', page.text)
    assert listed == ["admin@sandbox.test", "staff@sandbox.test", "visitor@sandbox.test"]  # Production's users
    assert "uat-only@sandbox.test" not in page.text


async def test_a_user_who_signs_in_comes_back_with_a_code_and_gets_a_signed_id_token(client: httpx2.AsyncClient) -> None:
    sign_in = SignIn()
    came_back = await sign_in_as(client, sign_in, "admin@sandbox.test")
    assert came_back["state"] == sign_in.state and came_back["iss"] == IDENTITY

    response = await redeem(client, came_back["code"], sign_in.verifier)

    assert response.status_code == 200, response.text
    tokens = response.json()
    assert (tokens["token_type"], tokens["expires_in"]) == ("Bearer", 900)
    jwks = (await client.get("/production/identity/.well-known/openid-configuration/jwks")).json()
    key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == jwt.get_unverified_header(tokens["id_token"])["kid"]))
    claims = jwt.decode(tokens["id_token"], key.key, algorithms=["RS256"], audience=CLIENT[0], issuer=IDENTITY)
    assert claims["nonce"] == sign_in.nonce
    assert (claims["sub"], claims["email"], claims["email_verified"], claims["idp"]) == (
        "admin@sandbox.test", "admin@sandbox.test", True, "idsrv")
    digest = hashlib.sha256(tokens["access_token"].encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    userinfo = await client.get(
        "/production/identity/connect/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert userinfo.json() == {"sub": "admin@sandbox.test", "idp": "idsrv", "sharedo/firstname": "Ada", "sharedo/lastname": "Admin"}


async def test_a_code_is_used_once(client: httpx2.AsyncClient) -> None:
    sign_in = SignIn()
    code = (await sign_in_as(client, sign_in, "staff@sandbox.test"))["code"]

    first = await redeem(client, code, sign_in.verifier)
    again = await redeem(client, code, sign_in.verifier)

    assert first.status_code == 200
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_an_expired_code_is_refused(
    client: httpx2.AsyncClient, production: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in = SignIn()
    code = (await sign_in_as(client, sign_in, "staff@sandbox.test"))["code"]
    issued_clock = production.codes.clock
    monkeypatch.setattr(production.codes, "clock", lambda: issued_clock() + CODE_LIFETIME)

    response = await redeem(client, code, sign_in.verifier)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "The code has expired"}


@pytest.mark.parametrize(
    ("verifier", "why"),
    [
        (secrets.token_urlsafe(48), "The code_verifier does not match the code_challenge"),
        ("", "A valid code_verifier is required"),
    ],
    ids=["another verifier", "no verifier"],
)
async def test_a_code_with_a_bad_pkce_verifier_is_refused_and_used_up(
    client: httpx2.AsyncClient, verifier: str, why: str
) -> None:
    sign_in = SignIn()
    code = (await sign_in_as(client, sign_in, "staff@sandbox.test"))["code"]

    refused = await redeem(client, code, verifier)
    retried = await redeem(client, code, sign_in.verifier)

    assert (refused.status_code, refused.json()) == (400, {"error": "invalid_grant", "error_description": why})
    assert retried.status_code == 400 and retried.json()["error"] == "invalid_grant"


async def test_a_code_is_bound_to_its_redirect_uri(client: httpx2.AsyncClient) -> None:
    sign_in = SignIn()
    code = (await sign_in_as(client, sign_in, "staff@sandbox.test"))["code"]

    response = await redeem(client, code, sign_in.verifier, redirect_uri=SIGN_IN_CALLBACK + "/elsewhere")

    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_the_token_endpoint_refuses_unknown_clients_and_grants_a_client_may_not_use(client: httpx2.AsyncClient) -> None:
    sign_in = SignIn()
    code = (await sign_in_as(client, sign_in, "staff@sandbox.test"))["code"]

    wrong_secret = await redeem(client, code, sign_in.verifier, auth=(CLIENT[0], "not-the-secret"))
    unknown = await redeem(client, code, sign_in.verifier, auth=("somebody-else", "secret"))
    service_client = await redeem(client, code, sign_in.verifier, auth=("pms-sync", "sandbox-secret"))
    credentials = await client.post(TOKEN, data={"grant_type": "client_credentials", "scope": "sharedo"}, headers=basic(*CLIENT))

    assert (wrong_secret.status_code, wrong_secret.json()) == (401, {"error": "invalid_client"})
    assert (unknown.status_code, unknown.json()) == (401, {"error": "invalid_client"})
    assert (service_client.status_code, service_client.json()) == (400, {"error": "unauthorized_client"})
    assert (credentials.status_code, credentials.json()) == (400, {"error": "unauthorized_client"})
    assert (await redeem(client, code, sign_in.verifier)).status_code == 200, "refused attempts did not use the code"


@pytest.mark.parametrize(
    ("overrides", "shown"),
    [
        ({"client_id": "somebody-else"}, "not registered with this identity server"),
        ({"redirect_uri": "https://attacker.example/callback"}, "an address it has not registered"),
        ({"client_id": "pms-sync"}, "an address it has not registered"),  # the service client has no redirect URIs
    ],
    ids=["unknown client", "unregistered redirect uri", "service client"],
)
async def test_a_request_that_cannot_be_answered_to_the_client_is_refused_on_the_page(
    client: httpx2.AsyncClient, overrides: dict[str, str], shown: str
) -> None:
    sign_in = SignIn(**overrides)

    shown_form = await client.get(sign_in.url)
    posted = await client.post(AUTHORIZE, data={**sign_in.params, "username": "admin@sandbox.test"})

    for response in (shown_form, posted):
        assert response.status_code == 400 and "location" not in response.headers
        assert shown in response.text and "Sign-in refused" in response.text


@pytest.mark.parametrize(
    ("overrides", "error", "description"),
    [
        ({"code_challenge": ""}, "invalid_request", "code challenge required"),
        ({"code_challenge_method": "plain"}, "invalid_request", "Transform algorithm not supported"),
        ({"code_challenge": "too-short"}, "invalid_request", "Invalid code_challenge"),
        ({"response_type": "token"}, "unsupported_response_type", "Only response_type=code is supported"),
        ({"response_mode": "form_post"}, "invalid_request", "Only response_mode=query is supported"),
        ({"scope": "openid admin"}, "invalid_scope", "Invalid scope"),
    ],
    ids=["no pkce", "plain pkce", "malformed challenge", "implicit", "form post", "unknown scope"],
)
async def test_a_bad_request_goes_back_to_the_client_with_its_state(
    client: httpx2.AsyncClient, overrides: dict[str, str], error: str, description: str
) -> None:
    sign_in = SignIn(**overrides)

    came_back = answer(await client.get(sign_in.url))

    assert came_back == {"error": error, "error_description": description, "state": sign_in.state}


async def test_cancelling_tells_the_client_access_was_denied(client: httpx2.AsyncClient) -> None:
    sign_in = SignIn()
    form = await client.get(sign_in.url)

    came_back = answer(await client.post(AUTHORIZE, data={**hidden_fields(form.text), "cancel": "1"}))

    assert came_back["error"] == "access_denied" and came_back["state"] == sign_in.state and "code" not in came_back


async def test_an_unknown_user_is_asked_again_without_a_code(client: httpx2.AsyncClient) -> None:
    sign_in = SignIn()
    form = await client.get(sign_in.url)

    again = await client.post(AUTHORIZE, data={**hidden_fields(form.text), "username": "uat-only@sandbox.test"})

    assert again.status_code == 400 and "location" not in again.headers
    assert "Unknown user" in again.text and 'name="username" value="admin@sandbox.test"' in again.text
