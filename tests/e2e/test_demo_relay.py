"""`pms-sync demo --relay` over real loopback HTTP: Production's Aderant agent is a listener on the
sandbox's stand-in Azure Relay (sandbox/relay.py), and the service signs its requests with the
relay's Send rule (Microsoft's "Azure Relay Hybrid Connections protocol" article)."""

from __future__ import annotations

import httpx2
import pytest

from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e


def test_82001_is_imported_through_the_relay(relay_demo: Demo) -> None:
    relay = relay_demo.info["relay"]
    assert relay["environment"] == "Production"
    assert relay["agent_url"] == f"{relay_demo.sandbox_url}/relay/aderant"
    relay_demo.control("DELETE", "/relay")
    relay_demo.control("DELETE", "/calls")
    headers = {"Authorization": f"Bearer {relay_demo.user_token()}"}

    with httpx2.Client(base_url=relay_demo.service_url, headers=headers, timeout=30) as client:
        found = client.get("/api/v1/matters", params={"q": "82001"}).json()["results"]
        preview = client.get("/api/v1/matters/82001/preview").json()
        imported = client.post("/api/v1/matters/82001/import", json={"decisions": {}})

    assert found[0]["matter_number"] == "82001"
    assert len(preview["parties"]) == 5
    assert imported.status_code == 201 and imported.json()["status"] == "imported"

    relayed = relay_demo.control("GET", "/relay").json()
    assert relayed["listeners"] == {"aderant": 1}
    targets = [(call["request_target"], call["status"]) for call in relayed["calls"]]
    assert ("/aderant/v1/matters/82001", 200) in targets
    assert all(status == 200 for _, status in targets) and len(targets) >= 3  # search, preview, import's preview
    paths = [call["path"] for call in relay_demo.control("GET", "/calls").json()["calls"]]
    assert any(path.startswith("/relay/aderant/v1/") for path in paths)
    assert not any(path.startswith("/aderant/") for path in paths), "Production never reaches the agent directly"


def test_uat_still_reaches_the_agent_directly(relay_demo: Demo) -> None:
    relay_demo.control("DELETE", "/relay")
    relay_demo.control("DELETE", "/calls")
    headers = {"Authorization": f"Bearer {relay_demo.user_token(environment='UAT')}"}

    results = httpx2.get(f"{relay_demo.service_url}/api/v1/matters", params={"q": "82002"}, headers=headers).json()

    assert results["results"][0]["matter_number"] == "82002"
    assert relay_demo.control("GET", "/relay").json()["calls"] == []
    paths = [call["path"] for call in relay_demo.control("GET", "/calls").json()["calls"]]
    assert "/aderant/v1/matters" in paths
