"""Settings → Status in a real browser, inside the embedded widget: with the sandbox failing the
Aderant agent's search (`/_sandbox/faults`), the agent hop shows its error rate, is failing and
needs attention; once the fault is gone and a search answers, it clears (its failures stay counted
in the last hour), on the open page, which refreshes itself. Each wait is for the service's answer
or for what the page shows."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.browser.conftest import STATUS_REFRESH_SECONDS, TIMEOUT_MS
from tests.browser.playwright import FrameLocator, Page, expect
from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e

ADMIN = "admin@sandbox.test"
SEARCH = "/aderant/v1/matters"
MATTER = "82001"


@pytest.fixture
def faults(browser_demo: Demo) -> Iterator[Demo]:
    """The sandbox's faults, cleared after the test (the demo is shared)."""
    yield browser_demo
    browser_demo.control("DELETE", "/faults")


def signed_in_widget(page: Page, demo: Demo) -> FrameLocator:
    page.goto(demo.environment("Production")["portal_url"])
    page.get_by_role("button", name=re.compile(re.escape(ADMIN))).click()
    widget = page.frame_locator("iframe[title='PMS Sync']")
    expect(widget.get_by_role("heading", name="Find a matter")).to_be_visible()
    return widget


def search(page: Page, widget: FrameLocator) -> int:
    """Search for the matter; returns once the service has answered, with its status."""
    with page.expect_response(lambda response: f"q={MATTER}" in response.url) as answered:
        widget.get_by_role("button", name="Search", exact=True).click()
    return answered.value.status


def open_status(widget: FrameLocator) -> None:
    widget.get_by_role("link", name="Settings").click()
    widget.get_by_role("navigation", name="Settings").get_by_role("link", name="Status").click()
    expect(widget.get_by_role("heading", name=re.compile(r"^Status"))).to_be_visible()


def test_a_failing_hop_shows_its_error_rate_and_clears(page: Page, faults: Demo) -> None:
    widget = signed_in_widget(page, faults)
    widget.get_by_role("searchbox").fill(MATTER)
    assert search(page, widget) == 200  # the agent answers: no failure streak to begin with

    failing = faults.control("POST", "/faults", json={"path": SEARCH, "method": "GET", "status": 500})
    assert failing.status_code == 201
    for _ in range(3):
        assert search(page, widget) == 502
        expect(widget.get_by_role("alert")).to_contain_text("Aderant")

    open_status(widget)
    agent = widget.locator('tr[data-hop="agent"]')
    expect(agent).to_have_attribute("data-state", "failing")
    expect(agent.locator('[data-figure="error-rate"]')).to_contain_text(re.compile(r"^\s*[1-9]\d*%"))
    expect(agent.locator('[data-figure="now"]')).to_contain_text("3 calls failed in a row (last: 5xx)")
    expect(widget.locator("#status-problems")).to_contain_text("Aderant agent: the last 3 calls failed")
    chart = widget.get_by_role("img", name="Aderant agent: latency and failures, last hour")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.failure")).not_to_have_count(0)
    expect(widget.get_by_text("Since this replica started, last hour")).to_be_visible()

    assert faults.control("DELETE", "/faults").status_code in (200, 204)
    answered = httpx.get(
        f"{faults.service_url}/api/v1/matters", params={"q": MATTER},
        headers={"Authorization": f"Bearer {faults.user_token()}"}, timeout=30,
    )
    assert answered.status_code == 200, answered.text  # a staff member's search, while the page stays open

    # The page refreshes itself every STATUS_REFRESH_SECONDS; the time allowed is for a slow machine.
    live = {"timeout": TIMEOUT_MS + 3 * STATUS_REFRESH_SECONDS * 1000}
    expect(agent).to_have_attribute("data-state", "ok", **live)
    expect(agent.locator('[data-figure="now"]')).to_have_text("Answering")
    expect(agent.locator('[data-figure="error-rate"]')).to_contain_text(re.compile(r"\(\d+ of \d+\)"))
    expect(widget.locator("#status-problems")).to_have_text("Nothing needs attention.")
