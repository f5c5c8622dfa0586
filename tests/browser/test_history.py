"""History in a real browser, inside the embedded widget: times in the organisation's time zone,
a row opening its details, the filters, all environments for administrators only, and the CSV
download of what is filtered.

The attempts are made through the JSON API (refused or failed imports: nothing is created in
Clio Operate, so the other browser tests see the demo as it was)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx2
import pytest

from tests.browser.playwright import FrameLocator, Page, expect
from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e

ADMIN, STAFF = "admin@sandbox.test", "staff@sandbox.test"
FORMULA = "=1+2"  # no such matter: a failed attempt whose matter a spreadsheet would run
ADMINS = "HIST-ADMIN-1"  # no such matter either, tried by the administrator
IN_UAT = "HIST-UAT-1"  # refused in UAT, where import writes are off


def try_import(demo: Demo, user: str, matter: str, environment: str = "Production") -> None:
    response = httpx2.post(  # in the environment whose tenant issued the token
        f"{demo.service_url}/api/v1/matters/{quote(matter, safe='')}/import",
        json={}, headers={"Authorization": f"Bearer {demo.user_token(user, environment)}"}, timeout=30,
    )
    assert response.status_code in (403, 404), response.text


@pytest.fixture(scope="module")
def attempts(browser_demo: Demo) -> Iterator[Demo]:
    try_import(browser_demo, STAFF, FORMULA)
    try_import(browser_demo, ADMIN, ADMINS)
    try_import(browser_demo, STAFF, IN_UAT, "UAT")
    yield browser_demo


def open_history(demo: Demo, page: Page, user: str) -> FrameLocator:
    page.goto(demo.environment("Production")["portal_url"])
    page.get_by_role("button", name=re.compile(re.escape(user))).click()
    widget = page.frame_locator("iframe[title='PMS Sync']")
    expect(widget.get_by_role("heading", name="Find a matter")).to_be_visible()
    widget.get_by_role("navigation", name="Sections").get_by_role("link", name="History").click()
    expect(widget.get_by_role("heading", name=re.compile("Import history"))).to_be_visible()
    return widget


def save_time_zone(widget: FrameLocator, zone: str) -> None:
    widget.get_by_role("link", name="Settings").click()
    widget.get_by_role("link", name="Organisation").click()
    widget.get_by_label("Time zone").fill(zone)
    widget.get_by_role("button", name="Save time zone").click()
    expect(widget.get_by_text("The time zone was saved.")).to_be_visible()  # the save has landed
    expect(widget.get_by_label("Time zone")).to_have_value(zone)


def test_history_shows_times_in_the_time_zone_an_administrator_chose(attempts: Demo, page: Page) -> None:
    widget = open_history(attempts, page, ADMIN)
    save_time_zone(widget, "Australia/Sydney")
    try:
        widget.get_by_role("navigation", name="Sections").get_by_role("link", name="History").click()
        table = widget.locator("table#history")
        expect(table.locator("thead")).to_contain_text("When (Australia/Sydney)")
        row = table.locator("tbody tr", has_text=FORMULA)
        expect(row.locator("td").first).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d AE[DS]T$"))
        expect(widget.get_by_text("Times and dates are in Australia/Sydney time.")).to_be_visible()
    finally:
        save_time_zone(widget, "UTC")


def test_a_row_opens_the_attempts_details(attempts: Demo, page: Page) -> None:
    widget = open_history(attempts, page, STAFF)
    row = widget.locator("table#history tbody tr", has_text=FORMULA)
    expect(row.get_by_title(STAFF)).to_have_text("Sam Staff")
    row.locator("td", has_text="Sam Staff").click()  # not a link: the row itself opens the details
    card = widget.locator("#result-card")
    expect(card.get_by_role("heading", level=1)).to_contain_text(f"Matter {FORMULA}")
    expect(card.locator(".outcome")).to_have_text("Failed")
    expect(card.get_by_title(STAFF)).to_have_text("Sam Staff")


def test_history_filters_by_user_and_dates(attempts: Demo, page: Page) -> None:
    widget = open_history(attempts, page, STAFF)
    rows = widget.locator("table#history tbody tr")
    expect(rows.filter(has_text=ADMINS)).to_have_count(1)
    filters = widget.locator("#history-filters")
    filters.get_by_label("User").select_option(label=f"Ada Admin ({ADMIN})")
    filters.get_by_role("button", name="Filter").click()
    expect(rows.filter(has_text=ADMINS)).to_have_count(1)
    expect(rows.filter(has_text=FORMULA)).to_have_count(0)
    expect(filters.get_by_label("User")).to_have_value(ADMIN)

    filters.get_by_label("User").select_option(value="")
    filters.get_by_label("From").fill("2099-01-01")
    filters.get_by_role("button", name="Filter").click()
    expect(widget.get_by_text("No import attempts match this filter yet.")).to_be_visible()
    filters.get_by_label("From").fill("2000-01-01")
    filters.get_by_label("To").fill("2099-12-31")
    filters.get_by_role("button", name="Filter").click()
    expect(rows.filter(has_text=FORMULA)).to_have_count(1)
    expect(rows.filter(has_text=ADMINS)).to_have_count(1)


def test_staff_are_not_offered_all_environments(attempts: Demo, page: Page) -> None:
    widget = open_history(attempts, page, STAFF)
    expect(widget.locator("table#history tbody tr", has_text=FORMULA)).to_have_count(1)
    expect(widget.locator("#history-filters").get_by_label("Environment")).to_have_count(0)
    expect(widget.locator("table#history tbody tr", has_text=IN_UAT)).to_have_count(0)


def test_an_administrator_sees_history_across_all_environments(attempts: Demo, page: Page) -> None:
    widget = open_history(attempts, page, ADMIN)
    expect(widget.locator("table#history tbody tr", has_text=IN_UAT)).to_have_count(0)
    filters = widget.locator("#history-filters")
    filters.get_by_label("Environment").select_option(label="All environments")
    filters.get_by_role("button", name="Filter").click()
    expect(widget.get_by_role("heading", name=re.compile("Import history"))).to_contain_text("All environments")
    uat_row = widget.locator("table#history tbody tr", has_text=IN_UAT)
    expect(uat_row.locator("td").nth(3)).to_have_text("UAT")
    expect(widget.locator("table#history tbody tr", has_text=FORMULA).locator("td").nth(3)).to_have_text("Production")


def test_the_csv_download_holds_what_is_filtered(attempts: Demo, page: Page, tmp_path: Path) -> None:
    widget = open_history(attempts, page, STAFF)
    filters = widget.locator("#history-filters")
    filters.get_by_label("Outcome").select_option(label="Failed")
    filters.get_by_label("User").select_option(label=f"Sam Staff ({STAFF})")
    filters.get_by_label("Matter").fill(FORMULA)  # other tests of this demo leave failed attempts of their own
    filters.get_by_role("button", name="Filter").click()
    expect(widget.locator("table#history tbody tr")).to_have_count(1)
    with page.expect_download() as started:
        widget.get_by_role("link", name="Download these attempts as CSV").click()
    download = started.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert re.fullmatch(r"pms-sync-history-Production-\d{4}-\d\d-\d\d\.csv", download.suggested_filename)
    rows = list(csv.reader(io.StringIO(saved.read_text())))
    assert rows[0][:6] == ["Started (UTC)", "Finished (UTC)", "Environment", "Matter", "Name", "User name"]
    assert [(r[2], r[3], r[4], r[5], r[7]) for r in rows[1:]] == [("Production", "'" + FORMULA, "Sam Staff", STAFF, "failed")]
