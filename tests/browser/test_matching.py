"""Matching in a real browser: each candidate's details and reasons, the default rule, the bulk
buttons and the roll-up they change, the data-quality notes, the parties above the folded Aderant
metadata, and decision memory (an import links a party; the next matter with that party links it
by default, saying who linked it and when, in that environment only, and auto-import does too).

These tests import 82001, which the embedded-import test expects not to be imported, so they
drive demos of their own.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.clio.seed import HARBOUR_HOLDINGS_ID, MARY_CITIZEN_ID, MARY_CITIZENS_ID
from tests.browser.conftest import running_demo
from tests.browser.playwright import Page, expect
from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e

MARY = "wit-90003"  # Mary Citizen (Aderant NAME_UNO 90003), a witness on 82001 and 82002
CLIENT = "client-90001"  # Harbour Holdings Pty Ltd, stamped with its Aderant reference in Clio Operate
FAULTS = "82008"  # Aderant data with the faults a preview notes (sandbox/aderant_db.py DATA_QUALITY_MATTER)


@pytest.fixture(scope="module")
def matching_demo(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with running_demo(tmp_path_factory.mktemp("matching-demo")) as demo:
        yield demo


def open_preview(  # type: ignore[no-untyped-def]
    page: Page, demo: Demo, matter: str, *, environment: str = "Production", user: str = "staff@sandbox.test"
):
    """Sign in on the environment's portal as `user`, search in the widget and open the matter's preview."""
    page.goto(demo.environment(environment)["portal_url"])
    page.get_by_role("button", name=re.compile(re.escape(user))).click()
    widget = page.frame_locator("iframe[title='PMS Sync']")
    search(widget, matter)
    expect(widget.locator("h1 .tag")).to_have_text(environment)
    return widget


def search(widget, matter: str) -> None:  # type: ignore[no-untyped-def]
    widget.get_by_role("searchbox").fill(matter)
    widget.get_by_role("button", name="Search").click()
    widget.locator("table.results tbody tr", has_text=matter).get_by_role("link", name="Preview →").click()
    expect(widget.get_by_role("heading", name=f"Preview: matter {matter}")).to_be_visible()


def rollup(widget) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", widget.locator("p.rollup").inner_text()).strip()


def detail(candidate, term: str):  # type: ignore[no-untyped-def]
    """The value a candidate's details give for `term` (Reference, Created, E-mail, …)."""
    return candidate.locator("dl.contact-details dt", has_text=term).locator("xpath=following-sibling::dd[1]")


def import_82001_linking_mary(widget) -> None:  # type: ignore[no-untyped-def]
    """From 82001's preview: link Mary Citizen to the existing contact, import, and wait for the result."""
    widget.locator(f"tr[data-party='{MARY}']").get_by_label("Link to existing: Mary Citizen", exact=True).check()
    widget.get_by_role("button", name="Import into Clio Operate").click()
    widget.get_by_role("dialog").get_by_role("button", name="Confirm import").click()
    expect(widget.locator("#result-card .outcome")).to_have_text("Imported")


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
    # Score and reasons: the same postcode (10) and the same name (20); the look-alike's other
    # e-mail takes 10 off (Aderant has no phone for her), and its name is 96% similar (19).
    expect(citizen.locator(".score")).to_have_text("score 30")
    expect(citizen.locator(".reasons")).to_have_text("Why: same postcode 2042; name 100% similar")
    expect(citizens.locator(".score")).to_have_text("score 9")
    expect(citizens.locator(".reasons")).to_have_text("Why: different e-mail; name 96% similar")
    expect(widget.locator("#default-rule")).to_contain_text("Only contacts of the party's kind (person or organisation) are candidates")
    expect(widget.locator(".reasons", has_text="same kind")).to_have_count(0)
    # The client's contact is stamped with its Aderant reference: an exact, strong match, linked by default.
    stamped = widget.locator(f"tr[data-party='{CLIENT}'] .candidate[data-candidate='{HARBOUR_HOLDINGS_ID}']")
    expect(stamped.locator(".badge")).to_have_text(["exact match", "strong match"])
    expect(detail(stamped, "Reference")).to_have_text("ADERANT:90001")
    expect(detail(stamped, "Created")).to_have_text("03 Nov 2025")  # sandbox/clio/seed.py SEEDED_AT
    expect(stamped.locator(".score")).to_have_text("score 120")  # 100 + postcode 10 + name 20 - other phone 10
    expect(stamped.locator(".reasons")).to_have_text(
        "Why: carries the party's Aderant reference ADERANT:90001; different phone; same postcode 2000; name 100% similar"
    )
    expect(stamped.get_by_role("radio")).to_be_checked()
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


def test_the_data_quality_notes_stand_beside_the_party_or_field_and_do_not_block(matching_demo: Demo, page: Page) -> None:
    widget = open_preview(page, matching_demo, FAULTS)

    notes = {
        "adv-90008": [  # Sam Ortega
            "The e-mail 'sam.ortega@example' does not look like an e-mail address: check it in Aderant.",
            "The phone '5550 01' does not look like a phone number: check it in Aderant.",
        ],
        "int-90007": [  # Nora Quill, recorded as an organisation
            "Recorded in Aderant as an organisation, but the name looks like a person's: check its kind in Aderant.",
        ],
        "int-90009": [  # Priya Shah, and again under another Aderant name as a witness
            "Priya Shah is on this matter twice (also as Witness, a different Aderant name): check whether it is the same person.",
        ],
        "wit-90010": [
            "Priya Shah is on this matter twice (also as Interested party, a different Aderant name): "
            "check whether it is the same person.",
        ],
    }
    for party, texts in notes.items():
        expect(widget.locator(f"tr[data-party='{party}'] .note")).to_have_text(texts)
    expect(widget.locator("tr[data-party='int-90003'] .note")).to_have_count(0)  # Mary Citizen: nothing to note
    instruction = widget.locator("dl.fields dd", has_text="2062-03-02")
    expect(instruction.locator(".note")).to_have_text("The key date kd-instruction-date (2062-03-02) is in the future.")
    expect(widget.locator("#import-button")).to_be_enabled()  # notes inform; they do not block


def test_the_parties_come_first_and_the_aderant_metadata_folds_away(matching_demo: Demo, page: Page) -> None:
    widget = open_preview(page, matching_demo, FAULTS)

    parties = widget.locator("#parties").bounding_box()
    source = widget.locator("details#source")
    assert parties and (box := source.bounding_box()) and parties["y"] < box["y"], "the party decisions stand above"
    metadata = source.locator("dl.fields")
    expect(source).not_to_have_attribute("open", re.compile(".*"))
    expect(metadata).to_be_hidden()

    source.locator("summary").click()
    expect(source).to_have_attribute("open", "")
    expect(metadata).to_be_visible()
    expect(metadata).to_contain_text("Harbour Holdings v Ortega")


@pytest.fixture
def fresh_demo(chromium: str, tmp_path: Path) -> Iterator[Demo]:
    """A demo of this test's own: nothing linked yet in any environment."""
    with running_demo(tmp_path) as demo:
        yield demo


def test_a_link_is_remembered_per_environment_and_auto_import_links_the_remembered_party(
    fresh_demo: Demo, page: Page
) -> None:
    admin = "admin@sandbox.test"
    panel = f"{fresh_demo.environment('Production')['portal_url']}?pms-sync-panel=auto-import&pms-sync-environment=1"
    page.goto(panel)
    page.get_by_role("button", name=re.compile(re.escape(admin))).click()
    widget = page.frame_locator("iframe[title='PMS Sync']")
    mary_planned = widget.locator(f"tr[data-matter='{FAULTS}'] li[data-decision]", has_text="Mary Citizen")
    expect(mary_planned).to_contain_text("— Create new")  # before anyone linked her

    # Production: an import of 82001 links Mary Citizen to the existing contact.
    widget.get_by_role("navigation", name="Sections").get_by_role("link", name="Find a matter").click()
    search(widget, "82001")
    import_82001_linking_mary(widget)

    # Production's auto-import plan now links her on 82008, and applying it does.
    page.goto(panel)
    expect(widget.get_by_role("heading", name=re.compile(r"^Auto-import"))).to_be_visible()
    expect(mary_planned).to_have_attribute("data-decision", "link")
    expect(mary_planned).to_contain_text("— Link to existing: Mary Citizen")
    widget.locator(f"tr[data-matter='{FAULTS}']").get_by_role("checkbox").check()
    widget.get_by_role("button", name="Import selected").click()
    widget.get_by_role("dialog").get_by_role("button", name="Import matters").click()
    # The four faulty parties are created; Mary Citizen and the client (stamped) are linked.
    expect(widget.locator("#outcomes")).to_contain_text(f"{FAULTS}: imported — 4 contacts created, 2 linked")

    # UAT remembers nothing of Production's link: Mary Citizen is created by default there.
    widget = open_preview(page, fresh_demo, "82001", environment="UAT", user=admin)
    mary = widget.locator(f"tr[data-party='{MARY}']")
    expect(mary.get_by_label("Create new")).to_be_checked()
    expect(mary.locator(f".candidate[data-candidate='{MARY_CITIZEN_ID}'] .reasons")).not_to_contain_text("linked before")


def test_a_key_date_before_the_matter_opened_is_noted(fresh_demo: Demo, page: Page) -> None:
    """UAT's mapping takes a second key date from the close date; 82001's, typed wrongly in
    Aderant, is before the matter opened (02 Mar 2026)."""
    with sqlite3.connect(fresh_demo.data_dir / "aderant.db") as db:
        db.execute("UPDATE HBM_MATTER SET CLOSE_DATE = '2025-01-31 00:00:00' WHERE MATTER_UNO = 82001")
    page.goto(fresh_demo.environment("UAT")["portal_url"])
    page.get_by_role("button", name=re.compile(r"admin@sandbox\.test")).click()
    widget = page.frame_locator("iframe[title='PMS Sync']")
    widget.get_by_role("link", name="Settings", exact=True).click()
    widget.get_by_role("link", name="Mapping", exact=True).click()
    document = widget.locator("textarea#document")
    mapping = json.loads(document.input_value())
    mapping["key_dates"].append({"type": "kd-close-date", "source": "close_date"})
    document.fill(json.dumps(mapping, indent=2))
    widget.locator("input[name=note]").fill("close date as a key date")
    widget.get_by_role("button", name="Save as new version").click()
    expect(widget.locator("#in-force")).to_contain_text("close date as a key date")

    widget.get_by_role("navigation", name="Sections").get_by_role("link", name="Find a matter").click()
    search(widget, "82001")
    closed = widget.locator("dl.fields dd", has_text="2025-01-31")
    expect(closed.locator(".note")).to_have_text("The key date kd-close-date (2025-01-31) is before the matter opened (02 Mar 2026).")
    expect(widget.locator("dl.fields dd", has_text="2026-03-02").locator(".note")).to_have_count(0)
