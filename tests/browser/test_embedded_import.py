"""The widget in a real browser: sign in on the portal, let the widget sign in inside its
cross-origin iframe, search, preview, link a party, import, see the result, find the attempt in
History, then open the work item in the portal.

Party names shown as text (not markup) are covered by
tests/views/test_search_preview_api.py::test_party_names_are_shown_as_text.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sandbox.clio.seed import MARY_CITIZEN_ID, MARY_CITIZENS_ID
from tests.browser.playwright import Page, expect
from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e

MATTER = "82001"
MARY = "wit-90003"  # the party key of Mary Citizen (Aderant NAME_UNO 90003, a witness)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def console_problems(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on(
        "console",
        lambda message: problems.append(f"{message.type}: {message.text} ({message.location.get('url')})")
        if message.type in ("error", "warning")
        else None,
    )
    return problems


def test_staff_import_a_matter_from_the_embedded_widget(browser_demo: Demo, page: Page, tmp_path: Path) -> None:
    portal_url = browser_demo.environment("Production")["portal_url"]
    problems = console_problems(page)  # script errors and CSP violations, in the portal and the iframe

    # Sign in on the portal; the widget signs in inside its iframe with the portal's token.
    page.goto(portal_url)
    page.get_by_role("button", name=re.compile(r"staff@sandbox\.test")).click()
    expect(page.locator(".topbar-user")).to_contain_text("Sam Staff")
    widget = page.frame_locator("iframe[title='PMS Sync']")
    expect(widget.get_by_role("heading", name="Find a matter")).to_be_visible()
    frame = page.locator("iframe[title='PMS Sync']").element_handle().content_frame()
    assert origin(frame.url) == origin(browser_demo.service_url) != origin(portal_url)

    # Search and open the preview.
    widget.get_by_role("searchbox").fill(MATTER)
    widget.get_by_role("button", name="Search").click()
    row = widget.locator("table.results tbody tr", has_text=MATTER)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Harbour Holdings v Coastal Freight")
    row.get_by_role("link", name="Preview →").click()
    expect(widget.get_by_role("heading", name=f"Preview: matter {MATTER}")).to_be_visible()

    # Link Mary Citizen to the existing contact, not to the look-alike "Mary Citizens".
    mary = widget.locator(f"tr[data-party='{MARY}']")
    expect(mary.locator(f"input[value='link:{MARY_CITIZENS_ID}']")).to_have_count(1)
    link_mary = mary.get_by_label("Link to existing: Mary Citizen", exact=True)
    expect(link_mary).to_have_value(f"link:{MARY_CITIZEN_ID}")
    expect(link_mary).not_to_be_checked()
    link_mary.check()
    expect(widget.locator("#count-create")).to_have_text("3")
    expect(widget.locator("#count-link")).to_have_text("2")  # the client (exact match) and Mary
    teams = widget.locator("#teams li[data-added=yes]").count()
    assert teams >= 1, "the demo configures a default team for litigation matters"

    # Import: the confirmation summarises what will be created, linked and added.
    widget.get_by_role("button", name="Import into Clio Operate").click()
    dialog = widget.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Import matter {MATTER} into Production?")
    expect(dialog).to_contain_text("Harbour Holdings v Coastal Freight")
    expect(dialog.locator("[data-confirm=create]")).to_have_text("3")
    expect(dialog.locator("[data-confirm=link]")).to_have_text("2")
    expect(dialog.locator("[data-confirm=teams]")).to_have_text(str(teams))
    dialog.get_by_role("button", name="Confirm import").click()

    # The result card.
    card = widget.locator("#result-card")
    expect(card).to_contain_text(f"Matter {MATTER}")
    expect(card.locator(".outcome")).to_have_text("Imported")
    expect(card.locator("#result-summary")).to_have_text(
        f"Matter {MATTER} · Harbour Holdings v Coastal Freight imported into Clio Operate (Production)."
    )
    expect(card).to_contain_text("Contacts linked (2)")
    expect(card).to_contain_text("Contacts created (3)")
    expect(card.locator("li", has_text="Mary Citizen")).to_have_text(re.compile(r"^\s*Mary Citizen\s*$"))
    open_link = card.get_by_role("link", name="Open in Clio Operate →")
    expect(open_link).to_have_attribute("target", "_top")
    work_item_id = card.locator(".mono").inner_text().strip()
    assert work_item_id and work_item_id in (open_link.get_attribute("href") or "")
    card.screenshot(path=str(tmp_path / "result-card.png"))

    # History lists the attempt.
    widget.get_by_role("navigation", name="Sections").get_by_role("link", name="History").click()
    expect(widget.get_by_role("heading", name=re.compile("Import history"))).to_be_visible()
    attempt = widget.locator("table.results tbody tr", has_text=MATTER)
    expect(attempt).to_have_count(1)
    expect(attempt.locator(".outcome")).to_have_text("Imported")
    expect(attempt.get_by_title("staff@sandbox.test")).to_have_text("Sam Staff")  # by name, the user name as a tooltip

    # Back to the attempt, and out of the widget into the portal's page of the work item.
    attempt.get_by_role("link", name="Details →").click()
    widget.locator("#result-card").get_by_role("link", name="Open in Clio Operate →").click()
    page.wait_for_url(re.compile(rf"/production/portal/sharedo/{work_item_id}$"))
    item = page.locator("#work-item")
    expect(item.get_by_role("heading", level=1)).to_have_text("Harbour Holdings v Coastal Freight")
    expect(page.locator("#work-item-phase")).to_have_text("Discovery")
    expect(page.locator("#work-item-type")).to_contain_text("matter-litigation")
    expect(page.locator("#work-item-attributes")).to_contain_text(MATTER)
    participants = page.locator("#work-item-participants tbody tr")
    expect(participants.filter(has_text="Harbour Holdings Pty Ltd")).to_contain_text("Client")
    expect(participants.filter(has_text="Mary Citizen")).to_have_count(1)
    expect(participants.filter(has_text="Mary Citizens")).to_have_count(0)
    expect(participants.filter(has_text="Mary Citizen")).to_contain_text("Witness")
    assert problems == []


def test_a_token_the_service_refuses_shows_sign_in_refused_in_the_widget(browser_demo: Demo, page: Page) -> None:
    portal_url, service = browser_demo.environment("Production")["portal_url"], origin(browser_demo.service_url)
    # On the portal's origin (its sign-in page, no widget yet): frame the service and hand it a
    # token that is not one, as a broken or hostile portal page could.
    page.goto(portal_url)
    page.evaluate(
        """service => {
            addEventListener("message", event => {
                if (event.data && event.data.type === "pms-sync:ready")
                    event.source.postMessage({type: "pms-sync:token", token: "not-a-token"}, service);
            });
            const frame = document.createElement("iframe");
            frame.title = "Forged PMS Sync";
            frame.src = service + "/embed";
            document.body.append(frame);
        }""",
        service,
    )

    widget = page.frame_locator("iframe[title='Forged PMS Sync']")
    expect(widget.get_by_role("heading", name="Sign-in refused")).to_be_visible()
    expect(widget.locator("#embed-error-text")).to_contain_text("token")
    expect(widget.get_by_role("status")).to_be_hidden()
