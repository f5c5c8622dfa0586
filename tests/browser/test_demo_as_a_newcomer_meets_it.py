"""The demo as its README tells a newcomer to use it, in a real browser inside the embedded widget:
82002 imports into Production (where imports write) once the README's one line is added to the
mapping document, and a demo stopped and started again over the same data folder still opens,
from search's "View →" and from History, the work item it imported.

Each test starts a demo of its own: the first changes Production's mapping, which the shared
demo's tests expect as it starts, and the second needs a restart."""

from __future__ import annotations

import re
from pathlib import Path

import httpx2
import pytest

from tests.browser.conftest import running_demo
from tests.browser.playwright import FrameLocator, Page, expect
from tests.e2e.conftest import Demo
from tests.views.test_blocked_import import DEMO_LINE, README

pytestmark = pytest.mark.e2e

ADMIN, STAFF = "admin@sandbox.test", "staff@sandbox.test"


def widget_as(page: Page, demo: Demo, username: str) -> FrameLocator:
    page.goto(demo.environment("Production")["portal_url"])
    page.get_by_role("button", name=re.compile(re.escape(username))).click()
    widget = page.frame_locator("iframe[title='PMS Sync']")
    expect(widget.get_by_role("heading", name="Find a matter")).to_be_visible()
    return widget


def search(widget: FrameLocator, matter: str):  # type: ignore[no-untyped-def]
    widget.get_by_role("searchbox").fill(matter)
    widget.get_by_role("button", name="Search").click()
    row = widget.locator("table.results tbody tr", has_text=matter)
    expect(row).to_have_count(1)
    return row


def open_preview(widget: FrameLocator, matter: str) -> None:
    search(widget, matter).get_by_role("link", name="Preview →").click()
    expect(widget.get_by_role("heading", name=f"Preview: matter {matter}")).to_be_visible()


def test_82002_imports_after_the_readmes_one_line_mapping_change(chromium: str, tmp_path: Path, page: Page) -> None:
    assert DEMO_LINE in README.read_text(), "the README's demo section gives the exact line"
    with running_demo(tmp_path) as demo:
        environments = httpx2.get(
            f"{demo.service_url}/api/v1/environments", headers={"Authorization": f"Bearer {demo.user_token(ADMIN)}"}
        ).json()
        assert next(e for e in environments if e["name"] == "Production")["import_writes_enabled"], "imports write here"
        widget = widget_as(page, demo, ADMIN)
        open_preview(widget, "82002")
        expect(widget.get_by_role("button", name="Import into Clio Operate")).to_be_disabled()

        # The README's one line, at the top of "party_roles" in the mapping document.
        widget.get_by_role("link", name="Settings", exact=True).click()
        widget.get_by_role("link", name="Mapping", exact=True).click()
        document = widget.get_by_label("Mapping document (JSON)")
        draft = document.input_value()
        edited = draft.replace('"party_roles": [\n', '"party_roles": [\n    ' + DEMO_LINE + "\n", 1)
        assert edited.count("\n") == draft.count("\n") + 1, "one line added"
        document.fill(edited)
        widget.locator("input[name=note]").fill("Witnesses on commercial matters")
        widget.get_by_role("button", name="Save as new version").click()
        expect(widget.get_by_role("status")).to_have_text(re.compile(r"Version \d+ is now the mapping in force for Production\."))

        widget.get_by_role("link", name="Find a matter").click()
        open_preview(widget, "82002")
        expect(widget.locator("#import-blocked")).to_have_count(0)
        expect(widget.locator("tr", has_text="Mary Citizen").first).to_contain_text("Interested Party")
        widget.get_by_role("button", name="Import into Clio Operate").click()
        widget.get_by_role("dialog").get_by_role("button", name="Confirm import").click()

        card = widget.locator("#result-card")
        expect(card.locator(".outcome")).to_have_text("Imported")
        expect(card.locator("#result-summary")).to_contain_text("Matter 82002")
        expect(card.locator("#result-summary")).to_contain_text("imported into Clio Operate (Production).")
        work_item_id = card.locator(".mono").inner_text().strip()
        card.get_by_role("link", name="Open in Clio Operate →").click()
        page.wait_for_url(re.compile(rf"/production/portal/sharedo/{re.escape(work_item_id)}$"))
        expect(page.locator("#work-item-type")).to_contain_text("matter-commercial")
        participants = page.locator("#work-item-participants tbody tr")
        expect(participants.filter(has_text="Mary Citizen")).to_contain_text("Interested Party")


def test_a_restarted_demo_still_opens_the_work_item_it_imported(chromium: str, tmp_path: Path, page: Page) -> None:
    with running_demo(tmp_path) as first:
        imported = httpx2.post(
            f"{first.service_url}/api/v1/matters/82001/import", json={"decisions": {}},
            headers={"Authorization": f"Bearer {first.user_token(STAFF)}"}, timeout=30,
        )
        assert imported.status_code == 201, imported.text
        work_item_id = imported.json()["work_item_id"]

    with running_demo(tmp_path) as second:  # new ports, the same data folder
        work_item_page = re.compile(rf"/production/portal/sharedo/{re.escape(work_item_id)}$")
        widget = widget_as(page, second, STAFF)
        row = search(widget, "82001")
        expect(row.locator(".badge.imported")).to_have_text("Imported")
        row.get_by_role("link", name="View →").click()
        page.wait_for_url(work_item_page)
        assert page.url.startswith(second.environment("Production")["portal_url"])
        expect(page.locator("#work-item").get_by_role("heading", level=1)).to_have_text("Harbour Holdings v Coastal Freight")

        page.goto(second.environment("Production")["portal_url"])  # still signed in on the portal
        widget = page.frame_locator("iframe[title='PMS Sync']")
        widget.get_by_role("navigation", name="Sections").get_by_role("link", name="History").click()
        widget.locator("table.results tbody tr", has_text="82001").get_by_role("link", name="Details →").click()
        widget.locator("#result-card").get_by_role("link", name="Open in Clio Operate →").click()
        page.wait_for_url(work_item_page)
        expect(page.locator("#work-item").get_by_role("heading", level=1)).to_have_text("Harbour Holdings v Coastal Freight")
        expect(page.locator("#work-item-attributes")).to_contain_text("82001")
