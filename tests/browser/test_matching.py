"""Matching in a real browser: each candidate's details and reasons, the default rule, the bulk
buttons and the roll-up they change, a data-quality note, and decision memory (an import links a
party; the next matter with that party links it by default, saying who linked it and when).

These tests import 82001, which the embedded-import test expects not to be imported, so they
drive a demo of their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.clio.seed import MARY_CITIZEN_ID, MARY_CITIZENS_ID
from tests.browser.conftest import running_demo
from tests.e2e.conftest import Demo

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser not available: install Debian's chromium and the playwright package"
)
expect = sync_api.expect
Page = sync_api.Page

pytestmark = pytest.mark.e2e

MARY = "wit-90003"  # Mary Citizen (Aderant NAME_UNO 90003), a witness on 82001 and 82002
CLIENT = "client-90001"  # Harbour Holdings Pty Ltd, stamped with its Aderant reference in Clio Operate


@pytest.fixture(scope="module")
def matching_demo(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with running_demo(tmp_path_factory.mktemp("matching-demo")) as demo:
        yield demo


def open_preview(page: Page, demo: Demo, matter: str):  # type: ignore[no-untyped-def]
    """Sign in on the portal as staff, search in the widget and open the matter's preview."""
    page.goto(demo.environment("Production")["portal_url"])
    page.get_by_role("button", name=re.compile(r"staff@sandbox\.test")).click()
    widget = page.frame_locator("iframe[title='PMS Sync']")
    search(widget, matter)
    return widget


def search(widget, matter: str) -> None:  # type: ignore[no-untyped-def]
    widget.get_by_role("searchbox").fill(matter)
    widget.get_by_role("button", name="Search").click()
    widget.locator("table.results tbody tr", has_text=matter).get_by_role("link", name="Preview →").click()
    expect(widget.get_by_role("heading", name=f"Preview: matter {matter}")).to_be_visible()


def rollup(widget) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", widget.locator("p.rollup").inner_text()).strip()


def test_candidates_show_details_and_reasons_and_the_bulk_buttons_change_the_rollup(matching_demo: Demo, page: Page) -> None:
    widget = open_preview(page, matching_demo, "82001")

    expect(widget.locator("#default-rule")).to_contain_text("linked by default only on strong evidence")
    mary = widget.locator(f"tr[data-party='{MARY}']")
    citizen = mary.locator(f".candidate[data-candidate='{MARY_CITIZEN_ID}']")
    citizens = mary.locator(f".candidate[data-candidate='{MARY_CITIZENS_ID}']")
    expect(citizen).to_contain_text("4 Example Street, Newtown, 2042")
    expect(citizen.locator(".reasons")).to_contain_text("same postcode 2042")
    expect(citizens).to_contain_text("mary.citizens@example.org")
    expect(citizens).to_contain_text("+61 400 555 042")
    expect(citizens.locator(".reasons")).to_contain_text("different e-mail")
    assert mary.locator(".candidate").first.get_attribute("data-candidate") == MARY_CITIZEN_ID, "best score first"
    opens = citizen.get_by_role("link", name=re.compile("Open in Clio Operate"))
    expect(opens).to_have_attribute("target", "_top")
    expect(opens).to_have_attribute("rel", "noopener")
    expect(widget.locator("tr[data-party='int-90005'] .note")).to_have_text(
        "Aderant has no e-mail or phone for this party: the contact will have no way to reach them."
    )

    assert rollup(widget) == "4 contacts will be created, 1 linked."
    mary.get_by_label("Link to existing: Mary Citizen", exact=True).check()
    widget.locator(f"tr[data-party='{CLIENT}']").get_by_label("Create new").check()
    assert rollup(widget) == "4 contacts will be created, 1 linked."

    widget.get_by_role("button", name="Create all unmatched").click()
    expect(mary.get_by_label("Create new")).to_be_checked()
    expect(widget.locator("#count-create")).to_have_text("5")
    widget.get_by_role("button", name="Link all strong matches").click()
    expect(widget.locator(f"tr[data-party='{CLIENT}'] input[data-strong=yes]")).to_be_checked()
    expect(widget.locator("#count-link")).to_have_text("1")
    assert rollup(widget) == "4 contacts will be created, 1 linked."

    # The candidate's link leaves the widget for the contact's page in the portal.
    opens.click()
    page.wait_for_url(re.compile(rf"/production/portal/ods/person/{MARY_CITIZEN_ID}$"))
    expect(page.locator("#contact").get_by_role("heading", level=1)).to_have_text("Mary Citizen")
    expect(page.locator("#contact")).to_contain_text("4 Example Street, Newtown 2042")


def test_a_party_linked_in_one_import_is_linked_by_default_in_the_next_matter(matching_demo: Demo, page: Page) -> None:
    widget = open_preview(page, matching_demo, "82002")
    expect(widget.locator("#matter-note")).to_have_text(
        "This matter is closed in Aderant on 30 Jun 2026: check that it should be imported."
    )
    expect(widget.locator(f"tr[data-party='{MARY}']").get_by_label("Create new")).to_be_checked()
    assert rollup(widget) == "1 contact will be created, 1 linked."

    # Import 82001, linking Mary Citizen to the existing contact.
    widget.get_by_role("link", name="← Back to search").click()
    search(widget, "82001")
    widget.locator(f"tr[data-party='{MARY}']").get_by_label("Link to existing: Mary Citizen", exact=True).check()
    widget.get_by_role("button", name="Import into Clio Operate").click()
    widget.get_by_role("dialog").get_by_role("button", name="Confirm import").click()
    expect(widget.locator("#result-card .outcome")).to_have_text("Imported")

    # The next matter with Mary Citizen links her to the same contact, and says why.
    widget.get_by_role("navigation", name="Sections").get_by_role("link", name="Find a matter").click()
    search(widget, "82002")
    mary = widget.locator(f"tr[data-party='{MARY}']")
    expect(mary.get_by_label("Link to existing: Mary Citizen", exact=True)).to_be_checked()
    expect(mary.locator(f".candidate[data-candidate='{MARY_CITIZEN_ID}'] .reasons")).to_contain_text(
        re.compile(r"linked before by staff@sandbox\.test on \d\d \w{3} \d{4}")
    )
    assert rollup(widget) == "0 contacts will be created, 2 linked."
    widget.get_by_role("button", name="Create all unmatched").click()
    expect(widget.locator("#count-link")).to_have_text("2")
