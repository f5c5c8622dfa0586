"""The identity server: discovery, JWKS, the token endpoint, and the tokens it signs."""

from __future__ import annotations

import base64

import httpx2
import jwt
import pytest

from sandbox.clio.seed import ADMIN_USER_ID, STAFF_USER_ID
from sandbox.clio.tenant import Tenant

IDENTITY = "http://sandbox.test/production/identity"
TOKEN_URL = "/production/identity/connect/token"


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


async def verified_claims(client: httpx2.AsyncClient, token: str, tenant: str = "production") -> dict:
    """Verify a token as a relying party would: keys from the published JWKS, iss, aud, exp, nbf."""
    jwks = (await client.get(f"/{tenant}/identity/.well-known/openid-configuration/jwks")).json()
    header = jwt.get_unverified_header(token)
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    issuer = f"http://sandbox.test/{tenant}/identity"
    return jwt.decode(
        token,
        jwt.PyJWK(key).key,
        algorithms=["RS256"],
        issuer=issuer,
        audience=f"{issuer}/resources",
        options={"require": ["exp", "nbf", "iss", "aud"]},
    )


async def test_discovery_names_the_endpoints(client: httpx2.AsyncClient) -> None:
    document = (await client.get("/production/identity/.well-known/openid-configuration")).json()

    assert document["issuer"] == IDENTITY
    assert document["jwks_uri"] == f"{IDENTITY}/.well-known/openid-configuration/jwks"
    assert document["token_endpoint"] == f"{IDENTITY}/connect/token"
    assert document["userinfo_endpoint"] == f"{IDENTITY}/connect/userinfo"
    assert document["authorization_endpoint"] == f"{IDENTITY}/connect/authorize"


async def test_jwks_publishes_one_rs256_key_per_tenant(client: httpx2.AsyncClient) -> None:
    production = (await client.get("/production/identity/.well-known/openid-configuration/jwks")).json()[
        "keys"
    ]
    uat = (await client.get("/uat/identity/.well-known/openid-configuration/jwks")).json()["keys"]

    assert len(production) == 1
    key = production[0]
    assert (key["kty"], key["use"], key["alg"]) == ("RSA", "sig", "RS256")
    assert key["kid"] == key["x5t"] and key["n"] and key["e"]
    assert key["kid"] != uat[0]["kid"] and key["n"] != uat[0]["n"]


async def test_client_credentials_token_has_no_user_claims(client: httpx2.AsyncClient) -> None:
    response = await client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "scope": "sharedo"},
        headers=basic("pms-sync", "sandbox-secret"),
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["expires_in"], body["token_type"]) == (900, "Bearer")
    header = jwt.get_unverified_header(body["access_token"])
    assert (header["typ"], header["alg"]) == ("JWT", "RS256")
    assert header["kid"] == header["x5t"]
    claims = await verified_claims(client, body["access_token"])
    assert claims["client_id"] == "pms-sync"
    assert claims["scope"] == ["sharedo"]
    assert claims["exp"] - claims["nbf"] == 900
    assert "sub" not in claims and "sharedo/userid" not in claims


async def test_impersonation_token_carries_the_portal_claims(client: httpx2.AsyncClient) -> None:
    response = await client.post(
        TOKEN_URL,
        data={
            "grant_type": "Impersonate.Specified",
            "scope": "sharedo",
            "impersonate_user": "staff@sandbox.test",
            "impersonate_provider": "idsrv",
        },
        headers=basic("pms-sync", "sandbox-secret"),
    )

    claims = await verified_claims(client, response.json()["access_token"])
    assert claims["sub"] == "staff@sandbox.test"
    assert claims["idp"] == "idsrv"
    assert claims["sharedo/userid"] == STAFF_USER_ID
    assert claims["scope"] == ["openid", "offline_access", "profile", "sharedo"]
    assert claims["name"] == claims["upn"] == "staff@sandbox.test"
    assert claims["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"] == "staff@sandbox.test"
    assert claims["amr"] == ["external"]
    assert claims["client_id"] == "pms-sync"
    assert isinstance(claims["auth_time"], int) and claims["debug/issuedAt"]
    assert claims["exp"] - claims["nbf"] == 900
    assert not {"email", "role", "roles"} & set(claims)


async def test_client_credentials_posted_in_the_form_are_accepted(client: httpx2.AsyncClient) -> None:
    response = await client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "client_id": "pms-sync", "client_secret": "sandbox-secret"},
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [basic("pms-sync", "wrong"), basic("someone-else", "sandbox-secret"), {}],
    ids=["secret", "id", "none"],
)
async def test_a_bad_client_is_refused(client: httpx2.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.post(
        TOKEN_URL, data={"grant_type": "client_credentials", "scope": "sharedo"}, headers=headers
    )

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


@pytest.mark.parametrize(
    ("user", "provider"),
    [("nobody@sandbox.test", "idsrv"), ("staff@sandbox.test", "aad")],
    ids=["user", "provider"],
)
async def test_impersonating_an_unknown_user_is_refused(
    client: httpx2.AsyncClient, user: str, provider: str
) -> None:
    response = await client.post(
        TOKEN_URL,
        data={
            "grant_type": "Impersonate.Specified",
            "scope": "sharedo",
            "impersonate_user": user,
            "impersonate_provider": provider,
        },
        headers=basic("pms-sync", "sandbox-secret"),
    )

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant"}


async def test_unsupported_grant_and_scope_are_refused(client: httpx2.AsyncClient) -> None:
    auth = basic("pms-sync", "sandbox-secret")
    password = await client.post(TOKEN_URL, data={"grant_type": "password", "scope": "sharedo"}, headers=auth)
    scope = await client.post(
        TOKEN_URL, data={"grant_type": "client_credentials", "scope": "admin"}, headers=auth
    )

    assert (password.status_code, password.json()) == (400, {"error": "unsupported_grant_type"})
    assert (scope.status_code, scope.json()) == (400, {"error": "invalid_scope"})


async def test_minted_portal_token_verifies_against_the_jwks(
    client: httpx2.AsyncClient, production: Tenant
) -> None:
    claims = await verified_claims(client, production.mint_user_token("admin@sandbox.test"))

    assert claims["client_id"] == "sharedo"
    assert claims["sharedo/userid"] == ADMIN_USER_ID
    assert claims["exp"] - claims["nbf"] == 900


def test_minting_for_an_unknown_user_fails(production: Tenant) -> None:
    with pytest.raises(LookupError):
        production.mint_user_token("nobody@sandbox.test")


async def test_a_token_of_one_tenant_does_not_verify_against_the_other(
    client: httpx2.AsyncClient, production: Tenant
) -> None:
    token = production.mint_user_token("admin@sandbox.test")
    uat_key = (await client.get("/uat/identity/.well-known/openid-configuration/jwks")).json()["keys"][0]

    assert jwt.get_unverified_header(token)["kid"] != uat_key["kid"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, jwt.PyJWK(uat_key).key, algorithms=["RS256"], options={"verify_aud": False})


async def test_oidc_userinfo_answers_for_users_only(client: httpx2.AsyncClient, production: Tenant) -> None:
    url = "/production/identity/connect/userinfo"
    user = await client.get(
        url, headers={"Authorization": f"Bearer {production.mint_user_token('admin@sandbox.test')}"}
    )
    service = await client.get(url, headers={"Authorization": f"Bearer {production.mint_client_token()}"})

    assert user.json() == {
        "sub": "admin@sandbox.test",
        "idp": "idsrv",
        "sharedo/firstname": "Ada",
        "sharedo/lastname": "Admin",
    }
    assert service.status_code == 403
