"""From token to preview over real loopback HTTP, against the demo process."""

from __future__ import annotations

import httpx2
import pytest

from sandbox.calls import sequential_depth
from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def clean_sandbox(demo: Demo):  # type: ignore[no-untyped-def]
    demo.control("DELETE", "/faults")
    yield
    demo.control("DELETE", "/faults")


def test_health_and_readiness(demo: Demo) -> None:
    assert httpx2.get(f"{demo.service_url}/healthz").status_code == 200
    assert httpx2.get(f"{demo.service_url}/readyz").text == "ready"


def test_sandbox_json_describes_the_demo(demo: Demo) -> None:
    assert [e["name"] for e in demo.info["environments"]] == ["Production", "UAT"]
    assert {u["role"] for u in demo.info["users"]} == {"administrator", "staff", "uat-only administrator", "none"}
    assert all(e["portal_url"].startswith(demo.sandbox_url) for e in demo.info["environments"])


def test_an_impersonation_token_is_a_host_token_from_search_to_preview(demo: Demo) -> None:
    headers = {"Authorization": f"Bearer {demo.user_token()}"}
    with httpx2.Client(base_url=demo.service_url, headers=headers) as client:
        environments = client.get("/api/v1/environments").json()
        assert [e["name"] for e in environments] == ["Production", "UAT"]
        results = client.get("/api/v1/matters", params={"q": "82001"}).json()["results"]
        assert results[0]["matter_number"] == "82001" and results[0]["imported"] is False
        preview = client.get("/api/v1/matters/82001/preview").json()
        assert preview["work_type"] == "matter-litigation" and len(preview["parties"]) == 5
        coastal = next(p for p in preview["parties"] if p["key"] == "adv-90002")
        assert "Coastal Freight Ltd" in [c["name"] for c in coastal["candidates"]]


def test_embedded_sign_in_then_pages(demo: Demo) -> None:
    with httpx2.Client(base_url=demo.service_url) as client:
        embed = client.get("/embed")
        assert demo.sandbox_url in embed.headers["content-security-policy"]
        response = client.post(
            "/embed/session",
            json={"token": demo.user_token("admin@sandbox.test"), "portal_origin": demo.sandbox_url},
            headers={"Origin": demo.service_url},
        )
        assert response.status_code == 200
        cookie = response.headers["set-cookie"]
        assert all(a in cookie for a in ("Secure", "SameSite=None", "Partitioned", "HttpOnly"))
        session = cookie.split(";", 1)[0]
        page = client.get("/", params={"q": "Mary Citizen"}, headers={"Cookie": session})
        assert page.status_code == 200 and "Administrator" in page.text and "82001" in page.text


def test_agent_down_is_502_and_slow_agent_is_504(demo: Demo) -> None:
    headers = {"Authorization": f"Bearer {demo.user_token()}"}
    demo.control("POST", "/faults", json={"path": "/aderant/v1/matters", "status": 503})
    down = httpx2.get(f"{demo.service_url}/api/v1/matters", params={"q": "82001"}, headers=headers)
    assert down.status_code == 502 and "Aderant is not reachable for Production" in down.json()["error"]
    demo.control("DELETE", "/faults")
    demo.control("POST", "/faults", json={"path": "/aderant/v1/matters", "timeout": True})
    # The sandbox holds the call for minutes; the service gives up after its own timeout (3 s), long
    # before this client would (a ReadTimeout here fails the test).
    slow = httpx2.get(f"{demo.service_url}/api/v1/matters", params={"q": "82001"}, headers=headers, timeout=15)
    assert slow.status_code == 504 and "did not answer in time for Production" in slow.json()["error"]


def test_round_trips_of_search_and_preview(demo: Demo) -> None:
    headers = {"Authorization": f"Bearer {demo.user_token()}"}
    with httpx2.Client(base_url=demo.service_url, headers=headers) as client:
        client.get("/api/v1/matters/82004/preview")  # warm: keys, service token, sign-in
        # Latency makes concurrency visible: a second, so that calls sent at once still overlap
        # when a busy machine's sandbox accepts some of them late.
        for prefix in ("/aderant/*", "/production/api/*"):
            demo.control("POST", "/faults", json={"path": prefix, "delay": 1.0})
        demo.control("DELETE", "/calls")
        client.get("/api/v1/matters", params={"q": "CL080001"})
        search = demo.control("GET", "/calls").json()["calls"]
        demo.control("DELETE", "/calls")
        client.get("/api/v1/matters/82004/preview")  # 50 parties
        preview = demo.control("GET", "/calls").json()["calls"]
    assert (len(search), sequential_depth(search)) == (1, 1)
    assert sequential_depth(preview) == 2, "agent, then every Clio Operate lookup at once"
    paths = [c["path"] for c in preview]
    assert paths.count("/aderant/v1/matters/82004") == 1
    assert paths.count("/production/api/v1/public/workItem/findByQuery") == 1
    assert paths.count("/production/api/ods/_search") == 51, "one lookup per party (client + 50), never per row twice"
