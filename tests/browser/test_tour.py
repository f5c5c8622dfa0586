"""The README's tour, walked in a real browser: a staff member imports a 4-party and a 50-party
matter from search to result, counting the clicks, and an administrator looks at History and
Settings → Connections. Each screen is checked before it is photographed.

The screenshots go to the test's temporary folder; with PMS_SYNC_WRITE_TOUR=1 they are also
written to docs/tour/, where the README shows them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.browser.conftest import running_demo
from tests.browser.playwright import FrameLocator, Locator, Page, expect
from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e

TOUR = Path(__file__).resolve().parents[2] / "docs" / "tour"
FOUR_PARTIES, FIFTY_PARTIES = "82001", "82007"  # the client and 4 parties; the client and 50 witnesses
ONE_PARTY = "82005"


@pytest.fixture(scope="module")
def tour_demo(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A demo of its own: the tour imports matters other browser tests expect not imported."""
    with running_demo(tmp_path_factory.mktemp("tour-demo")) as demo:
        yield demo


class Tour:
    """Clicks inside the widget, counted; screenshots of the portal page, kept."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page, self.folder, self.clicks = page, folder, 0
        self.widget: FrameLocator = page.frame_locator("iframe[title='PMS Sync']")

    def click(self, target: Locator) -> None:
        target.click()
        self.clicks += 1

    def photograph(self, name: str) -> None:
        path = self.folder / f"{name}.png"
        self.page.screenshot(path=str(path))
        if os.environ.get("PMS_SYNC_WRITE_TOUR") == "1":
            TOUR.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, TOUR / path.name)


def signed_in(page: Page, demo: Demo, user: str, folder: Path) -> Tour:
    page.goto(demo.environment("Production")["portal_url"])
    page.get_by_role("button", name=re.compile(re.escape(user))).click()  # the portal's sign-in, not PMS Sync's
    tour = Tour(page, folder)
    expect(tour.widget.get_by_role("heading", name="Find a matter")).to_be_visible()
    return tour


def import_from_search(tour: Tour, matter: str, title: str, *, photographs: bool) -> None:
    widget = tour.widget
    widget.get_by_role("searchbox").fill(matter)  # typing, not a click
    tour.click(widget.get_by_role("button", name="Search"))
    row = widget.locator("table.results tbody tr", has_text=matter)
    expect(row).to_contain_text(title)
    if photographs:
        tour.photograph("1-search")
    tour.click(row.get_by_role("link", name="Preview →"))
    expect(widget.get_by_role("heading", name=f"Preview: matter {matter}")).to_be_visible()
    if photographs:
        expect(widget.locator(".candidate").first).to_contain_text("Why:")
        tour.photograph("2-preview")
    tour.click(widget.get_by_role("button", name="Import into Clio Operate"))
    dialog = widget.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Import matter {matter} into Production?")
    tour.click(dialog.get_by_role("button", name="Confirm import"))
    expect(widget.locator("#result-summary")).to_have_text(
        f"Matter {matter} · {title} imported into Clio Operate (Production)."
    )
    if photographs:
        tour.photograph("3-result")


def test_a_staff_member_imports_a_4_and_a_50_party_matter_in_4_clicks_each(
    tour_demo: Demo, page: Page, tmp_path: Path
) -> None:
    tour = signed_in(page, tour_demo, "staff@sandbox.test", tmp_path)
    import_from_search(tour, FOUR_PARTIES, "Harbour Holdings v Coastal Freight", photographs=True)
    four = tour.clicks

    tour.click(tour.widget.get_by_role("navigation", name="Sections").get_by_role("link", name="Find a matter"))
    tour.clicks = 0
    import_from_search(tour, FIFTY_PARTIES, "Harbour Holdings v Fifty Parties", photographs=False)
    card = tour.widget.locator("#result-card")
    expect(card).to_contain_text("Contacts created (50)")  # the 50 witnesses; the client was linked

    print(f"clicks from search to result: {four} for 4 parties, {tour.clicks} for 50 parties")
    assert (four, tour.clicks) == (4, 4)


def test_one_click_changes_every_party_of_a_large_matter(tour_demo: Demo, page: Page, tmp_path: Path) -> None:
    """Where a person would change each party's decision, the bulk buttons do it at once."""
    tour = signed_in(page, tour_demo, "staff@sandbox.test", tmp_path)
    widget = tour.widget
    widget.get_by_role("searchbox").fill("82004")
    tour.click(widget.get_by_role("button", name="Search"))
    tour.click(widget.locator("table.results tbody tr", has_text="82004").get_by_role("link", name="Preview →"))
    parties = widget.locator("tr[data-party]")
    expect(parties).to_have_count(51)
    create = widget.locator("tr[data-party] input[value=create]")

    tour.click(widget.get_by_role("button", name="Create all unmatched"))

    expect(widget.locator("tr[data-party] input[value=create]:checked")).to_have_count(
        51 - widget.locator("tr[data-party] input[data-strong=yes]:checked").count()
    )
    assert create.count() == 51 and tour.clicks == 3


def test_an_administrator_sees_history_and_the_connections(tour_demo: Demo, page: Page, tmp_path: Path) -> None:
    imported = httpx2.post(  # something in History whichever test ran first
        f"{tour_demo.service_url}/api/v1/matters/{ONE_PARTY}/import", json={},
        headers={"Authorization": f"Bearer {tour_demo.user_token('staff@sandbox.test')}"}, timeout=30,
    )
    assert imported.status_code == 201, imported.text
    tour = signed_in(page, tour_demo, "admin@sandbox.test", tmp_path)
    sections = tour.widget.get_by_role("navigation", name="Sections")

    tour.click(sections.get_by_role("link", name="History"))
    expect(tour.widget.get_by_role("heading", name=re.compile("Import history"))).to_be_visible()
    expect(tour.widget.locator("table#history tbody tr", has_text=ONE_PARTY).first).to_contain_text("Imported")
    tour.photograph("4-history")

    tour.click(sections.get_by_role("link", name="Settings"))
    expect(tour.widget.get_by_role("heading", name="Connections")).to_be_visible()
    tour.click(tour.widget.locator("main table").get_by_role("link", name="Production", exact=True))
    tour.click(tour.widget.get_by_role("button", name="Test connection"))
    expect(tour.widget.locator("li.hop.ok")).to_have_count(4)
    tour.photograph("5-test-connection")

    tour.click(tour.widget.get_by_role("navigation", name="Settings").get_by_role("link", name="Status"))
    expect(tour.widget.get_by_role("heading", name=re.compile(r"^Status"))).to_be_visible()
    expect(tour.widget.get_by_role("img", name="Aderant agent: latency and failures, last hour")).to_be_visible()
    expect(tour.widget.locator("#status-problems")).to_have_text("Nothing needs attention.")
    tour.photograph("6-status")
