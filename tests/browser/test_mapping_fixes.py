"""A matter whose import would fail, in a real browser inside the embedded widget: Import is
disabled with the reason, an administrator's link lands on the mapping rule at fault, and the
form editor's one-row change lets the matter preview with no problem. Also the schedule's
closed phase, chosen from a list.

The form editor test changes UAT's mapping only, so Production's 82002 keeps its problem for the
other tests whatever order they run in."""

from __future__ import annotations

import re

import pytest

from tests.browser.playwright import FrameLocator, Page, expect
from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e

MATTER = "82002"  # a commercial matter with a witness, a role matter-commercial does not allow
REASON = "the role witness is not valid for work type matter-commercial"


def widget_as(page: Page, demo: Demo, username: str, environment: str = "Production") -> FrameLocator:
    page.goto(demo.environment(environment)["portal_url"])
    page.get_by_role("button", name=re.compile(re.escape(username))).click()
    widget = page.frame_locator("iframe[title='PMS Sync']")
    expect(widget.get_by_role("heading", name="Find a matter")).to_be_visible()
    return widget


def open_preview(widget: FrameLocator, matter: str = MATTER) -> None:
    widget.get_by_role("searchbox").fill(matter)
    widget.get_by_role("button", name="Search").click()
    widget.locator("table.results tbody tr", has_text=matter).get_by_role("link", name="Preview →").click()
    expect(widget.get_by_role("heading", name=f"Preview: matter {matter}")).to_be_visible()


def test_import_is_disabled_with_its_reason(browser_demo: Demo, page: Page) -> None:
    widget = widget_as(page, browser_demo, "staff@sandbox.test")
    open_preview(widget)
    button = widget.get_by_role("button", name="Import into Clio Operate")
    expect(button).to_be_disabled()
    reason = widget.locator("#import-blocked")
    expect(reason).to_contain_text("This import would fail:")
    expect(reason).to_contain_text(f"Mary Citizen: {REASON}")
    expect(reason).to_contain_text("Ask your administrator to fix the mapping")
    expect(reason.get_by_role("link")).to_have_count(0)  # staff cannot open Settings


def test_the_administrators_link_lands_on_the_mapping_rule(browser_demo: Demo, page: Page) -> None:
    widget = widget_as(page, browser_demo, "admin@sandbox.test")
    open_preview(widget)
    expect(widget.get_by_role("button", name="Import into Clio Operate")).to_be_disabled()
    widget.get_by_role("link", name="Fix the role of Witness in Settings → Mapping").click()
    expect(widget.get_by_role("heading", name=re.compile(r"^Mapping"))).to_be_visible()
    frame = page.locator("iframe[title='PMS Sync']").element_handle().content_frame()
    assert frame.url.endswith("/settings/mapping?environment=1#role-WIT"), frame.url
    rule = widget.locator("#role-WIT")
    expect(rule).to_be_in_viewport()
    expect(rule.get_by_label(re.compile(r"Aderant role$"))).to_have_value("WIT")
    expect(rule.get_by_label(re.compile(r"Clio Operate role$"))).to_have_value("witness")


def test_the_form_editor_maps_a_role_per_work_type_so_the_matter_previews_with_no_problem(browser_demo: Demo, page: Page) -> None:
    widget = widget_as(page, browser_demo, "admin@sandbox.test", "UAT")
    open_preview(widget)
    expect(widget.locator(".alert.warn", has_text=REASON)).to_have_count(1)

    widget.get_by_role("link", name="Settings", exact=True).click()
    widget.get_by_role("link", name="Mapping", exact=True).click()
    expect(widget.get_by_role("heading", name="Form editor")).to_be_visible()
    # The form editor's script offers each work type's roles: it listens once the page has loaded.
    page.locator("iframe[title='PMS Sync']").element_handle().content_frame().wait_for_load_state()
    row = widget.locator("#form-roles tr.new").first
    row.get_by_label(re.compile(r"Aderant role$")).fill("WIT")
    row.get_by_label(re.compile(r"work type$")).select_option("matter-commercial")
    role = row.get_by_label(re.compile(r"Clio Operate role$"))
    expect(role.locator("option", has_text="witness")).to_have_count(0)  # matter-commercial's roles only
    role.select_option("interested-party")
    widget.get_by_label("Note").first.fill("Witnesses on commercial matters")
    widget.get_by_role("button", name="Save form as new version").click()
    expect(widget.get_by_role("status")).to_have_text(re.compile(r"Version \d+ is now the mapping in force for UAT\."))
    expect(widget.locator("#role-WIT-in-matter-commercial")).to_have_count(1)

    widget.get_by_role("link", name="Find a matter").click()
    open_preview(widget)
    expect(widget.locator("tr", has_text="Mary Citizen").first).to_contain_text("Interested Party")  # the role by its display name
    expect(widget.locator(".alert.warn", has_text="role")).to_have_count(0)
    expect(widget.locator("#import-blocked")).to_have_count(0)


def test_the_schedule_offers_its_closed_phase_from_a_list(browser_demo: Demo, page: Page) -> None:
    """By system name here: whether matter-closed shows as "Closed" depends on whether close-sync
    has closed a matter in this demo yet (tests/browser/test_administrator_panels.py)."""
    widget = widget_as(page, browser_demo, "admin@sandbox.test")
    widget.get_by_role("link", name="History").click()
    widget.get_by_role("link", name="Schedule").click()
    phase = widget.get_by_label("Closed phase", exact=True)
    values = lambda: phase.locator("option").evaluate_all("options => options.map(o => o.value)")  # noqa: E731
    expect(phase).to_have_value("matter-closed")
    assert values() == ["matter-closed", ""]  # "" is "Another phase (type it below)"

    phase.select_option(label="Another phase (type it below)")
    widget.get_by_label("Another closed phase").fill("matter-completed")
    widget.get_by_role("button", name="Save schedule").click()
    expect(widget.get_by_text("Schedule saved.")).to_be_visible()
    expect(phase).to_have_value("matter-completed")
    assert values() == ["matter-closed", "matter-completed", ""]
    expect(phase.locator("option[value='matter-completed']")).to_have_text("matter-completed")  # no name known: as typed

    phase.select_option("matter-closed")  # back as it was, chosen from the list
    widget.get_by_role("button", name="Save schedule").click()
    expect(widget.get_by_text("Schedule saved.")).to_be_visible()
    expect(phase).to_have_value("matter-closed")
