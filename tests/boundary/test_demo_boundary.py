"""The demo shows the boundary over real loopback HTTP: the user only UAT knows is refused in Production."""

from __future__ import annotations

import httpx2
import pytest

from tests.boundary.conftest import NOT_KNOWN_IN_PRODUCTION, UAT_ONLY
from tests.e2e.conftest import Demo, demo  # noqa: F401

pytestmark = pytest.mark.e2e


def test_the_demo_user_only_uat_knows_is_refused_in_production(demo: Demo) -> None:  # noqa: F811
    assert {"username": UAT_ONLY, "role": "uat-only administrator"} in demo.info["users"]
    headers = {"Authorization": f"Bearer {demo.user_token(UAT_ONLY, 'UAT')}"}
    with httpx2.Client(base_url=demo.service_url, headers=headers) as client:
        environments = {e["name"]: e["id"] for e in client.get("/api/v1/environments").json()}
        in_uat = client.get("/api/v1/matters", params={"q": "82001"})
        in_production = client.get("/api/v1/matters", params={"q": "82001", "environment": environments["Production"]})

    assert in_uat.status_code == 200 and in_uat.json()["results"][0]["matter_number"] == "82001"
    assert in_production.status_code == 403 and in_production.json() == {"error": NOT_KNOWN_IN_PRODUCTION}
    with pytest.raises(httpx2.HTTPStatusError):
        demo.user_token(UAT_ONLY, "Production")  # Production's identity server does not know them either
