"""Waiting and searching in a real browser, inside the embedded widget: the search is busy at once
while a slow Aderant answers (the sandbox's `delay` fault), says which system is slow, can be
cancelled; so can a preview, which names the system it waits for now (Aderant, then Clio
Operate); a search at its cap says so and pages; the environment switcher keeps the search text;
names people use, with system names for administrators; counts in words."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from tests.browser.playwright import FrameLocator, Page, expect
from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e

SEARCH = "/aderant/v1/matters"
CONTACT_SEARCH = "/production/api/ods/_search"  # Clio Operate's, asked for each party's candidates
MATTER = "82005"  # Harbour Holdings v One Party: the client (an exact match) and one other party


@pytest.fixture
def faults(browser_demo: Demo) -> Iterator[Demo]:
    """The sandbox's faults and call log, cleared after the test (the demo is shared)."""
    browser_demo.control("DELETE", "/calls")
    yield browser_demo
    browser_demo.control("DELETE", "/faults")


def widget_of(page: Page, demo: Demo, user: str = "staff@sandbox.test") -> FrameLocator:
    page.goto(demo.environment("Production")["portal_url"])
    page.get_by_role("button", name=re.compile(re.escape(user))).click()
    widget = page.frame_locator("iframe[title='PMS Sync']")
    expect(widget.get_by_role("heading", name="Find a matter")).to_be_visible()
    return widget


def frame_url(page: Page) -> str:
    return page.locator("iframe[title='PMS Sync']").element_handle().content_frame().url


def search_calls_finished(demo: Demo) -> list[dict]:
    calls = demo.control("GET", "/calls").json()["calls"]
    return [c for c in calls if c["path"] == SEARCH and c["status"] is not None]


def delays_fired(demo: Demo) -> list[int]:
    return [rule["fired"] for rule in demo.control("GET", "/faults").json()["rules"]]


def slow_search(demo: Demo, seconds: float) -> None:
    added = demo.control("POST", "/faults", json={"path": SEARCH, "method": "GET", "delay": seconds, "times": 1})
    assert added.status_code == 201


# While a navigation is on its way Playwright waits for it before it reads the frame again, so
# what the page shows meanwhile is reported as it changes, through the console (test-side only).
RECORDER = """() => {
  const say = (what) => console.log('pms-wait ' + what);
  const button = document.querySelector('#search-form button[type=submit]');
  const panel = document.getElementById('search-results');
  const text = document.getElementById('wait-text');
  new MutationObserver(() => say('button disabled=' + button.disabled + ' label=' + button.textContent))
    .observe(button, {attributes: true, childList: true, characterData: true, subtree: true});
  if (panel) new MutationObserver(() => say('panel busy=' + panel.getAttribute('aria-busy')))
    .observe(panel, {attributes: true, attributeFilter: ['aria-busy']});
  new MutationObserver(() => say('status ' + text.textContent))
    .observe(text, {childList: true, characterData: true, subtree: true});
}"""


class Reported:
    """What the recorder reported, in order."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.lines: list[str] = []
        page.on("console", lambda m: self.lines.append(m.text.removeprefix("pms-wait ")) if m.text.startswith("pms-wait ") else None)

    def watch(self, widget: FrameLocator) -> None:
        widget.locator("body").evaluate(RECORDER)

    def wait_for(self, line: str) -> None:
        deadline = time.monotonic() + 15
        while not any(seen.startswith(line) for seen in self.lines):
            assert time.monotonic() < deadline, f"the page never showed {line!r}; it showed {self.lines}"
            self.page.wait_for_timeout(50)


def test_search_is_busy_at_once_while_aderant_is_slow(page: Page, faults: Demo) -> None:
    reported = Reported(page)
    widget = widget_of(page, faults)
    widget.get_by_role("searchbox").fill("CL080001")
    widget.get_by_role("button", name="Search").click()
    expect(widget.locator("table.results tbody tr", has_text="82001")).to_have_count(1)
    reported.watch(widget)

    slow_search(faults, 2)
    widget.get_by_role("searchbox").fill(MATTER)
    widget.get_by_role("button", name="Search").click(no_wait_after=True)

    reported.wait_for("button disabled=true label=Searching…")
    reported.wait_for("panel busy=true")
    reported.wait_for("status Waiting for Aderant (Production)…")
    expect(widget.locator("table.results tbody tr", has_text=MATTER)).to_have_count(1)  # the answer came
    expect(widget.get_by_role("button", name="Search", exact=True)).to_be_enabled()
    expect(widget.locator("#wait")).to_be_hidden()
    assert delays_fired(faults) == [1]


def test_a_slow_aderant_is_named_and_its_timeout_said_by_the_service(page: Page, faults: Demo) -> None:
    reported = Reported(page)
    widget = widget_of(page, faults)
    reported.watch(widget)
    slow_search(faults, 30)  # longer than the demo's time limit for remote calls (5 s)
    widget.get_by_role("searchbox").fill(MATTER)
    widget.get_by_role("button", name="Search").click(no_wait_after=True)

    reported.wait_for("status Still waiting for Aderant (Production): it is taking longer than usual.")
    expect(widget.get_by_role("alert")).to_contain_text("Aderant did not answer in time for Production")
    expect(widget.get_by_role("button", name="Search", exact=True)).to_be_enabled()


def test_cancel_stops_the_wait_and_the_page_stays_as_it_was(page: Page, faults: Demo) -> None:
    reported = Reported(page)
    widget = widget_of(page, faults)
    reported.watch(widget)
    before = frame_url(page)
    slow_search(faults, 3)
    widget.get_by_role("searchbox").fill(MATTER)
    widget.get_by_role("button", name="Search").click(no_wait_after=True)
    reported.wait_for("button disabled=true")
    deadline = time.monotonic() + 15
    while delays_fired(faults) != [1]:  # cancel only once the search has reached Aderant
        assert time.monotonic() < deadline, "the search never reached the sandbox"
        page.wait_for_timeout(50)

    page.keyboard.press("Enter")  # Cancel has the focus while the page waits

    expect(widget.get_by_role("button", name="Search", exact=True)).to_be_enabled()
    expect(widget.locator("#wait-text")).to_have_text(re.compile(r"^Cancelled: nothing was changed\."))
    expect(widget.get_by_role("searchbox")).to_have_value(MATTER)
    deadline = time.monotonic() + 15
    while not search_calls_finished(faults):  # Aderant answered the abandoned search meanwhile
        assert time.monotonic() < deadline, "the sandbox never answered the delayed search"
        page.wait_for_timeout(100)
    assert frame_url(page) == before
    expect(widget.locator("table.results")).to_have_count(0)

    widget.get_by_role("button", name="Search", exact=True).click()  # the page works again
    expect(widget.locator("table.results tbody tr", has_text=MATTER)).to_have_count(1)


def results_of(widget: FrameLocator, q: str = MATTER):  # type: ignore[no-untyped-def]
    """Search for ``q``; the result row of MATTER."""
    widget.get_by_role("searchbox").fill(q)
    widget.get_by_role("button", name="Search").click()
    row = widget.locator("table.results tbody tr", has_text=MATTER)
    expect(row).to_have_count(1)
    return row


def wait_until_fired(page: Page, demo: Demo) -> None:
    """Until the sandbox has started the delay (the request reached the slow system)."""
    deadline = time.monotonic() + 15
    while delays_fired(demo) != [1]:
        assert time.monotonic() < deadline, "the request never reached the sandbox"
        page.wait_for_timeout(50)


def test_opening_a_preview_is_busy_at_once_and_names_aderant_while_it_reads_the_matter(page: Page, faults: Demo) -> None:
    reported = Reported(page)
    widget = widget_of(page, faults)
    link = results_of(widget).get_by_role("link", name="Preview →")
    expect(link).to_have_attribute("data-waits-for", "Aderant and Clio Operate (Production)")
    reported.watch(widget)
    added = faults.control("POST", "/faults", json={"path": f"{SEARCH}/{MATTER}", "method": "GET", "delay": 2, "times": 1})
    assert added.status_code == 201

    link.click(no_wait_after=True)

    reported.wait_for("button disabled=true")  # the search is not open to a second click meanwhile
    reported.wait_for("panel busy=true")
    reported.wait_for("status Waiting for Aderant and Clio Operate (Production)…")  # at once, before the service says
    reported.wait_for("status Waiting for Aderant (Production)…")  # then the one it waits for
    expect(widget.get_by_role("heading", name=f"Preview: matter {MATTER}")).to_be_visible()
    assert delays_fired(faults) == [1], "the matter's read was the slow one"


def test_a_preview_names_clio_operate_when_its_contact_search_is_the_slow_one(page: Page, faults: Demo) -> None:
    reported = Reported(page)
    widget = widget_of(page, faults)
    link = results_of(widget).get_by_role("link", name="Preview →")
    reported.watch(widget)
    added = faults.control("POST", "/faults", json={"path": CONTACT_SEARCH, "method": "POST", "delay": 4, "times": 1})
    assert added.status_code == 201

    link.click(no_wait_after=True)

    reported.wait_for("status Waiting for Clio Operate (Production)…")
    reported.wait_for("status Still waiting for Clio Operate (Production): it is taking longer than usual.")
    expect(widget.get_by_role("heading", name=f"Preview: matter {MATTER}")).to_be_visible()
    assert delays_fired(faults) == [1], "a contact search was the slow one"
    assert not any("Aderant and Clio Operate" in line for line in reported.lines if line.startswith("status Still")), (
        "once the service said, the slow message named Clio Operate alone"
    )


def test_cancelling_a_slow_preview_stops_the_wait_and_the_results_stay(page: Page, faults: Demo) -> None:
    reported = Reported(page)
    widget = widget_of(page, faults)
    row = results_of(widget)
    link = row.get_by_role("link", name="Preview →")
    before = frame_url(page)
    reported.watch(widget)
    added = faults.control("POST", "/faults", json={"path": f"{SEARCH}/{MATTER}", "method": "GET", "delay": 3, "times": 1})
    assert added.status_code == 201

    link.click(no_wait_after=True)
    reported.wait_for("status Waiting for Aderant (Production)…")
    wait_until_fired(page, faults)  # cancel only once the preview has reached Aderant

    page.keyboard.press("Enter")  # Cancel has the focus while the page waits

    expect(widget.locator("#wait-text")).to_have_text(re.compile(r"^Cancelled: nothing was changed\."))
    expect(widget.get_by_role("button", name="Search", exact=True)).to_be_enabled()
    expect(widget.locator("#search-results")).not_to_have_attribute("aria-busy", "true")
    expect(link).not_to_have_attribute("aria-disabled", "true")
    deadline = time.monotonic() + 15
    while not [c for c in faults.control("GET", "/calls").json()["calls"] if c["path"] == f"{SEARCH}/{MATTER}" and c["status"] is not None]:
        assert time.monotonic() < deadline, "the sandbox never answered the delayed read"  # Aderant answered meanwhile
        page.wait_for_timeout(100)
    assert frame_url(page) == before
    expect(row).to_have_count(1)  # the results are still there
    expect(widget.get_by_role("heading", name=f"Preview: matter {MATTER}")).to_have_count(0)

    link.click()  # the page works again
    expect(widget.get_by_role("heading", name=f"Preview: matter {MATTER}")).to_be_visible()


def test_a_search_at_its_cap_says_so_and_pages(page: Page, faults: Demo) -> None:
    widget = widget_of(page, faults)
    widget.get_by_role("searchbox").fill("CL")
    widget.get_by_role("button", name="Search").click()
    cap = widget.locator("#search-cap")
    expect(cap).to_contain_text("Showing matters 1–25: more matters match “CL”. Refine your search, or see the next 25.")
    expect(widget.locator("table.results tbody tr")).to_have_count(25)
    first = widget.locator("table.results tbody tr td.mono").first.inner_text()

    widget.get_by_role("link", name="Next 25 →").click()
    expect(cap).to_contain_text("Showing matters 26–50")
    expect(widget.locator("table.results tbody tr")).to_have_count(25)
    expect(widget.locator("table.results tbody tr td.mono").first).not_to_have_text(first)

    widget.get_by_role("link", name="← Previous 25").click()
    expect(cap).to_contain_text("Showing matters 1–25")
    expect(widget.locator("table.results tbody tr td.mono").first).to_have_text(first)


def test_the_environment_switcher_keeps_the_search_text(page: Page, faults: Demo) -> None:
    widget = widget_of(page, faults)
    widget.get_by_role("searchbox").fill("82001")
    widget.get_by_role("button", name="Search").click()
    expect(widget.locator("table.results tbody tr", has_text="82001")).to_have_count(1)

    widget.get_by_role("navigation", name="Environment").get_by_role("link", name="UAT").click()
    expect(widget.locator("nav.envs a.current")).to_have_text("UAT")
    expect(widget.get_by_role("searchbox")).to_have_value("82001")  # the results' query
    expect(widget.locator("table.results tbody tr", has_text="82001")).to_have_count(1)

    widget.get_by_role("searchbox").fill("Harbour Holdings v One")  # typed, not searched yet
    widget.get_by_role("navigation", name="Environment").get_by_role("link", name="Production").click()
    expect(widget.locator("nav.envs a.current")).to_have_text("Production")
    expect(widget.get_by_role("searchbox")).to_have_value("Harbour Holdings v One")
    expect(widget.locator("table.results tbody tr", has_text=MATTER)).to_have_count(1)


def test_staff_see_clio_operate_names_and_counts_in_words(page: Page, faults: Demo) -> None:
    widget = widget_of(page, faults)
    page_of_matter(widget)
    work_type = widget.locator("#work-type .named")
    expect(work_type).to_have_text("Litigation")  # the name the demo loaded from the sandbox's modeller tree
    expect(work_type).not_to_have_attribute("title", re.compile("."))
    expect(widget.locator("td.role .named", has_text="Other Side")).to_have_count(1)
    expect(widget.locator("dl.fields .named", has_text="Instruction date")).to_have_count(1)

    rollup = widget.locator("p.rollup")
    expect(rollup).to_have_text(re.compile(r"^\s*1\s+contact will be created,\s+1\s+linked\.\s*$"))
    widget.locator("tr[data-party] input[value=create]").first.check()  # the client too: 2 to create
    expect(rollup).to_have_text(re.compile(r"^\s*2\s+contacts will be created,\s+0\s+linked\.\s*$"))

    widget.get_by_role("button", name="Import into Clio Operate").click()
    dialog = widget.get_by_role("dialog")
    expect(dialog).to_contain_text("2 contacts to create")
    expect(dialog).to_contain_text("0 contacts to link")
    expect(dialog).to_contain_text("1 default team to add")
    dialog.get_by_role("button", name="Cancel").click()  # nothing imported: the demo is shared


def test_administrators_also_see_the_system_names(page: Page, faults: Demo) -> None:
    widget = widget_of(page, faults, "admin@sandbox.test")
    page_of_matter(widget)
    expect(widget.locator("#work-type .named")).to_have_attribute("title", "matter-litigation")
    expect(widget.locator("td.role .named", has_text="Other Side")).to_have_attribute("title", "other-side")
    expect(widget.locator("dl.fields .named", has_text="Instruction date")).to_have_attribute("title", "kd-instruction-date")


def page_of_matter(widget: FrameLocator) -> None:
    widget.get_by_role("searchbox").fill(MATTER)
    widget.get_by_role("button", name="Search").click()
    widget.locator("table.results tbody tr", has_text=MATTER).get_by_role("link", name="Preview →").click()
    expect(widget.get_by_role("heading", name=f"Preview: matter {MATTER}")).to_be_visible()
