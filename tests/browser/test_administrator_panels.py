"""Administrator pages in a real browser, as the user guide's §8 has them used from the portal:
the Teams message of a scheduled run leads, through the Clio Operate portal page hosting the
widget, to the Close-sync or Auto-import panel; both start with nothing ticked and ask before
applying; Restore of a mapping version asks too; staff who follow such a link see only the
refusal; and the Connections list shows the last Test connection, not "Ready" while the agent is down."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import httpx2
import pytest

from sandbox.clio.seed import IMPORTED_WORK_ITEM_ID
from tests.browser.playwright import FrameLocator, Page, expect
from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e

ADMIN, STAFF = "admin@sandbox.test", "staff@sandbox.test"
WIDGET = "iframe[title='PMS Sync']"
ADMIN_PAGES = (
    "/settings/connections", "/settings/connections/1", "/settings/teams", "/settings/roles", "/settings/work-types", "/settings/mapping",
    "/settings/members", "/history/schedule", "/history/close-sync", "/history/auto-import",
)


def sign_in_on_the_portal(page: Page, username: str) -> FrameLocator:
    """On the portal's sign-in page (where a link to the portal lands first), pick `username`."""
    page.get_by_role("button", name=re.compile(re.escape(username))).click()
    expect(page.locator(".topbar-user")).to_be_visible()
    return page.frame_locator(WIDGET)


def widget_path(page: Page) -> str:
    """The path and query of the page the widget's iframe shows."""
    frame = page.locator(WIDGET).element_handle().content_frame()
    parts = httpx2.URL(frame.url)
    return parts.raw_path.decode()


def run_the_schedule_now(demo: Demo) -> None:
    """An administrator presses Run now on Production's schedule (over HTTP, as the widget would)."""
    with httpx2.Client(base_url=demo.service_url, timeout=60) as client:
        signed_in = client.post(
            "/embed/session", json={"token": demo.user_token(ADMIN), "portal_origin": demo.sandbox_url},
            headers={"Origin": demo.service_url},
        )
        assert signed_in.status_code == 200, signed_in.text
        session = {"Cookie": signed_in.headers["set-cookie"].split(";", 1)[0]}
        page = client.get("/history/schedule?environment=1", headers=session).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        ran = client.post("/history/schedule/run?environment=1", data={"csrf_token": csrf}, headers=session)
        assert ran.status_code == 303, ran.text


def card_link(demo: Demo, action: str) -> str:
    """The URL of `action` on the newest card the sandbox's Teams channel received with it."""
    messages = demo.control("GET", "/teams").json()["messages"].get("pms-sync", [])
    for message in reversed(messages):
        for attachment in message["attachments"]:
            for button in attachment["content"].get("actions", []):
                if button["title"] == action:
                    return button["url"]
    raise AssertionError(f"no Teams card with {action!r} among {len(messages)} messages")


@pytest.fixture
def close_sync_card(browser_demo: Demo) -> Iterator[str]:
    """82003 (imported before the demo started) closed in Aderant, then a scheduled run: the
    close-sync link of the Teams card it sent."""
    with sqlite3.connect(browser_demo.data_dir / "aderant.db") as db:
        db.execute("UPDATE HBM_MATTER SET STATUS_CODE = 'CLOSE', CLOSE_DATE = '2026-11-30' WHERE MATTER_UNO = 82003")
    run_the_schedule_now(browser_demo)
    yield card_link(browser_demo, "Review close-sync")


def test_the_teams_link_opens_close_sync_in_the_portal_and_closing_asks_first(
    browser_demo: Demo, page: Page, close_sync_card: str
) -> None:
    portal = browser_demo.environment("Production")["portal_url"]
    assert close_sync_card.startswith(portal) and "pms-sync-panel=close-sync" in close_sync_card

    page.goto(close_sync_card)
    widget = sign_in_on_the_portal(page, ADMIN)
    expect(widget.get_by_role("heading", name=re.compile(r"^Close-sync"))).to_be_visible()
    expect(widget.locator("h1 .tag")).to_have_text("Production")
    assert widget_path(page) == "/history/close-sync?environment=1"
    assert page.url.startswith(portal), "the reader stays on the portal page"

    box = widget.get_by_label("Close 82003")
    expect(box).not_to_be_checked()
    now = widget.locator("tr", has=box).locator("td.phase .named")
    expect(now).to_have_text("Handling")  # its phase as Clio Operate shows it, the system name for administrators
    expect(now).to_have_attribute("title", "matter-handling")
    widget.get_by_role("button", name="Apply to selected").click()
    expect(widget.get_by_text("Tick the matters to close first.")).to_be_visible()
    expect(widget.get_by_role("dialog")).to_have_count(0)

    box.check()
    widget.get_by_role("button", name="Apply to selected").click()
    dialog = widget.get_by_role("dialog")
    expect(dialog).to_contain_text("Close matters in Production?")
    expect(dialog.locator("[data-fill=items]")).to_have_text("1")
    expect(dialog).to_contain_text("matter-closed")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(widget.locator("#outcomes")).to_have_count(0)
    phase = browser_demo.environment("Production")["api_url"] + f"/api/v1/public/workItem/{IMPORTED_WORK_ITEM_ID}/phase"
    token = {"Authorization": f"Bearer {browser_demo.user_token(ADMIN)}"}
    assert httpx2.get(phase, headers=token).json()["systemName"] != "matter-closed", "cancelled: nothing closed"

    widget.get_by_role("button", name="Apply to selected").click()
    dialog.get_by_role("button", name="Close matters").click()
    expect(widget.locator("#outcomes li.ok")).to_contain_text("82003: Closed (Closing → Closed).")
    assert httpx2.get(phase, headers=token).json()["systemName"] == "matter-closed"

    # The Schedule's list of closed phases now names it as Clio Operate answered close-sync.
    widget.get_by_role("link", name="Schedule").click()
    closed_phase = widget.get_by_label("Closed phase", exact=True)
    expect(closed_phase).to_have_value("matter-closed")
    chosen = closed_phase.locator("option[value='matter-closed']")
    expect(chosen).to_have_text("Closed")
    expect(chosen).to_have_attribute("title", "matter-closed")


def test_the_teams_link_opens_auto_import_with_each_matters_parties_and_importing_asks_first(
    browser_demo: Demo, page: Page
) -> None:
    run_the_schedule_now(browser_demo)
    link = card_link(browser_demo, "Review auto-import")
    assert "pms-sync-panel=auto-import" in link

    page.goto(link)
    widget = sign_in_on_the_portal(page, ADMIN)
    expect(widget.get_by_role("heading", name=re.compile(r"^Auto-import"))).to_be_visible()
    assert widget_path(page) == "/history/auto-import?environment=1"

    row = widget.locator("tr[data-matter='82004']")
    parties = row.locator("li[data-decision]")
    expect(parties.first).to_be_visible()
    for text in parties.all_inner_texts():
        assert re.search(r" — (Create new|Link to existing: .+)$", text), text
    box = row.get_by_role("checkbox")
    expect(box).not_to_be_checked()
    expect(widget.locator("input[name=matter]:checked")).to_have_count(0)

    box.check()
    widget.get_by_role("button", name="Import selected").click()
    dialog = widget.get_by_role("dialog")
    expect(dialog).to_contain_text("Import matters into Production?")
    expect(dialog.locator("[data-fill=items]")).to_have_text("1")
    creates, links = row.locator("li[data-decision=create]").count(), row.locator("li[data-decision=link]").count()
    expect(dialog.locator("[data-fill=create]")).to_have_text(str(creates))
    expect(dialog.locator("[data-fill=link]")).to_have_text(str(links))
    dialog.get_by_role("button", name="Import matters").click()
    expect(widget.locator("#outcomes")).to_contain_text("82004: imported")
    expect(widget.locator("tr[data-matter='82004']")).to_have_count(0)


def test_staff_who_follow_the_link_see_only_the_refusal_on_every_administrator_page(
    browser_demo: Demo, page: Page
) -> None:
    run_the_schedule_now(browser_demo)
    page.goto(card_link(browser_demo, "Review auto-import"))
    widget = sign_in_on_the_portal(page, STAFF)
    frame = page.locator(WIDGET).element_handle().content_frame()
    for index, path in enumerate(ADMIN_PAGES):
        if index:  # the first is the one the link opened
            frame.goto(f"{browser_demo.service_url}{path}")
        refusal = widget.get_by_role("alert")
        expect(refusal).to_contain_text("Only administrators can open")
        expect(widget.locator("main form")).to_have_count(0)
        expect(widget.locator("nav.subtabs")).to_have_count(0)
        expect(widget.locator("nav.envs")).to_have_count(0)
        expect(widget.get_by_role("link", name="← Back to Find a matter")).to_be_visible()
        if path.startswith("/history"):
            expect(refusal).not_to_contain_text("Settings")
    widget.get_by_role("link", name="← Back to Find a matter").click()
    expect(widget.get_by_role("heading", name="Find a matter")).to_be_visible()


def test_restoring_a_mapping_version_asks_first(browser_demo: Demo, page: Page) -> None:
    page.goto(browser_demo.environment("UAT")["portal_url"])
    widget = sign_in_on_the_portal(page, ADMIN)
    expect(widget.get_by_role("heading", name="Find a matter")).to_be_visible()
    widget.get_by_role("link", name="Settings").click()
    widget.get_by_role("navigation", name="Settings").get_by_role("link", name="Mapping").click()
    for note in ("first", "second"):
        widget.locator("input[name=note]").fill(note)
        widget.get_by_role("button", name="Save as new version").click()
        expect(widget.locator("#in-force")).to_contain_text(note)
    first = widget.locator("#versions tr", has_text="first")
    version = first.get_attribute("data-version")
    in_force = widget.locator("#versions tr", has_text="second").get_attribute("data-version")

    first.get_by_role("button", name="Restore").click()
    dialog = widget.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Restore mapping version {version}?")
    expect(dialog).to_contain_text(f"Version {in_force}, in force now, stays in the list")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(widget.locator("#in-force")).to_contain_text(f"version {in_force}")

    first.get_by_role("button", name="Restore").click()
    dialog.get_by_role("button", name=f"Restore version {version}").click()
    expect(widget.get_by_role("status")).to_contain_text(f"Version {int(in_force or 0) + 1} is now the mapping in force for UAT")
    expect(widget.locator("#in-force")).to_contain_text(f"Restored version {version}")


def test_the_connections_list_shows_the_last_test_connection_with_the_agent_down(browser_demo: Demo, page: Page) -> None:
    page.goto(browser_demo.environment("UAT")["portal_url"])
    widget = sign_in_on_the_portal(page, ADMIN)
    widget.get_by_role("link", name="Settings").click()
    uat = widget.locator("tr", has=widget.get_by_role("link", name="UAT", exact=True))
    expect(uat.locator(".connection-status")).not_to_contain_text("Ready")

    assert browser_demo.control("POST", "/faults", json={"path": "/aderant/*", "status": 503}).status_code == 201
    try:
        uat.get_by_role("link", name="UAT", exact=True).click()
        widget.get_by_role("button", name="Test connection").click()
        expect(widget.locator("#check-summary")).to_contain_text("A hop failed")
    finally:
        browser_demo.control("DELETE", "/faults")
    widget.get_by_role("link", name="← Connections").click()
    status = widget.locator("tr", has=widget.get_by_role("link", name="UAT", exact=True)).locator(".connection-status")
    expect(status).to_contain_text(re.compile(r"Aderant agent not reachable · (just now|\d+ min ago)"))
    expect(status).not_to_contain_text("Ready")
