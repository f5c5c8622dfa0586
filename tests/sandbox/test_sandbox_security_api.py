"""`/api/security/userInfo` and the API's token check."""

from __future__ import annotations

import httpx2
import pytest

from sandbox.clio.seed import ADMIN_USER_ID, STAFF_USER_ID
from sandbox.clio.tenant import Tenant

USER_INFO = "/production/api/security/userInfo"


def claim_values(body: dict, name: str) -> list[str]:
    return [c["value"] for c in body["claims"] if c["claim"] == name]


async def test_user_info_for_a_portal_jwt(client: httpx2.AsyncClient, production: Tenant) -> None:
    token = production.mint_user_token("admin@sandbox.test")

    body = (await client.get(USER_INFO, headers={"Authorization": f"Bearer {token}"})).json()

    assert body["isAuthenticated"] is True
    assert (body["userId"], body["userName"], body["provider"]) == (
        ADMIN_USER_ID,
        "admin@sandbox.test",
        "idsrv",
    )
    assert (body["firstName"], body["surname"], body["fullName"]) == ("Ada", "Admin", "Ada Admin")
    assert body["roles"] == ["system-administrator", "matter-handler"]
    assert body["clientId"] == "sharedo"
    assert body["organisationId"] and body["persona"]
    assert claim_values(body, "sub") == ["admin@sandbox.test"]
    assert claim_values(body, "scope") == ["openid", "offline_access", "profile", "sharedo"]


async def test_user_info_resolves_a_reference_token(client: httpx2.AsyncClient, production: Tenant) -> None:
    token = production.mint_user_token("staff@sandbox.test", reference=True)

    response = await client.get(USER_INFO, headers={"Authorization": f"Bearer {token}"})

    assert token.count(".") == 0
    assert response.status_code == 200
    assert (response.json()["userId"], response.json()["roles"]) == (STAFF_USER_ID, ["matter-handler"])


async def test_user_info_for_a_client_token_has_no_user(
    client: httpx2.AsyncClient, client_auth: dict[str, str]
) -> None:
    body = (await client.get(USER_INFO, headers=client_auth)).json()

    assert body["isAuthenticated"] is True
    assert (body["clientId"], body["clientName"]) == ("pms-sync", "PMS Sync")
    assert body["userId"] is None and body["userName"] is None
    assert body["roles"] == []
    assert body["globalPermissions"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic cG1zLXN5bmM6c2FuZGJveC1zZWNyZXQ="},
    ],
    ids=["none", "garbage", "basic"],
)
async def test_requests_without_a_valid_token_are_refused(
    client: httpx2.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get(USER_INFO, headers=headers)

    assert response.status_code == 401
    assert "error" in response.json()


async def test_expired_and_foreign_tokens_are_refused(client: httpx2.AsyncClient, sandbox) -> None:  # type: ignore[no-untyped-def]
    expired = sandbox.tenants["production"].mint_user_token("staff@sandbox.test", lifetime=-1)
    expired_reference = sandbox.tenants["production"].mint_user_token(
        "staff@sandbox.test", lifetime=-1, reference=True
    )
    foreign = sandbox.tenants["uat"].mint_user_token("staff@sandbox.test")

    statuses = [
        (await client.get(USER_INFO, headers={"Authorization": f"Bearer {token}"})).status_code
        for token in (expired, expired_reference, foreign)
    ]

    assert statuses == [401, 401, 401]
