"""Settings → Mapping's form editor and Backup/share in a real browser inside the embedded widget:
a work type rule row and attribute rows changed in the form show in the JSON document, in
Preview mapping and in a staff member's preview; a mapping downloaded from one environment and
uploaded into another maps a matter the same way there.

Each test starts a demo of its own: they change the mapping in force, which the other browser
tests expect to be the built-in default whatever order they run in. Without a browser, the same
rules are pinned by tests/settings/test_mapping_form.py and
tests/settings/test_mapping_settings.py::test_backup_then_import_into_another_environment_gives_the_same_mapping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import running_demo
from tests.browser.playwright import FrameLocator, Page, expect
from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e

COMMERCIAL = "82002"  # department COM: the built-in mapping's second rule makes it matter-commercial
LITIGATION = "82001"  # the Sydney office, opened 2 Mar 2026


@pytest.fixture
def editor_demo(chromium: str, tmp_path: Path) -> Iterator[Demo]:
    with running_demo(tmp_path) as demo:
        yield demo


def mapping_page(page: Page, demo: Demo, environment: str = "Production") -> FrameLocator:
    """An administrator's Settings → Mapping for ``environment``, reached from the portal's widget."""
    page.goto(demo.environment(environment)["portal_url"])
    page.get_by_role("button", name=re.compile(r"admin@sandbox\.test")).click()
    widget = page.frame_locator("iframe[title='PMS Sync']")
    expect(widget.get_by_role("heading", name="Find a matter")).to_be_visible()
    widget.get_by_role("link", name="Settings", exact=True).click()
    widget.get_by_role("link", name="Mapping", exact=True).click()
    expect(widget.get_by_role("heading", name=re.compile(rf"^Mapping\s+{environment}"))).to_be_visible()
    return widget


def save_form(widget: FrameLocator, environment: str, note: str) -> None:
    widget.get_by_label("Note").first.fill(note)
    widget.get_by_role("button", name="Save form as new version").click()
    expect(widget.get_by_role("status")).to_have_text(
        re.compile(rf"Version \d+ is now the mapping in force for {environment}\.")
    )


def document(widget: FrameLocator) -> dict:
    """The JSON document the Draft shows (the mapping in force once the page is loaded)."""
    return json.loads(widget.get_by_label("Mapping document (JSON)").input_value())


def preview_mapping(widget: FrameLocator, matter: str) -> dict[str, str]:
    """Preview mapping of ``matter``: each row's label and what the mapping in force makes of it."""
    widget.get_by_label("Aderant matter number").fill(matter)
    widget.get_by_role("button", name="Preview mapping").click()
    section = widget.locator("#preview")
    expect(section.get_by_role("heading", name=f"Preview mapping: matter {matter}")).to_be_visible()
    expect(section).to_contain_text("No differences.")  # the draft is the mapping in force
    rows = section.locator("tr[data-row]")
    return dict(zip(
        rows.evaluate_all("rows => rows.map(r => r.dataset.row)"),
        rows.locator("td:nth-child(2)").all_inner_texts(),
        strict=True,
    ))


def staff_preview(widget: FrameLocator, matter: str) -> None:
    widget.get_by_role("link", name="Find a matter").click()
    widget.get_by_role("searchbox").fill(matter)
    widget.get_by_role("button", name="Search").click()
    widget.locator("table.results tbody tr", has_text=matter).get_by_role("link", name="Preview →").click()
    expect(widget.get_by_role("heading", name=f"Preview: matter {matter}")).to_be_visible()


def test_a_work_type_rule_changed_in_the_form_shows_in_the_document_and_the_previews(
    editor_demo: Demo, page: Page
) -> None:
    widget = mapping_page(page, editor_demo)
    rules = widget.locator("#form-rules tbody tr")
    expect(rules.nth(1).get_by_label(re.compile(r"equals$"))).to_have_value("COM")
    assert preview_mapping(widget, COMMERCIAL)["Work item: Work type"] == "matter-commercial"

    rules.nth(1).get_by_label(re.compile(r": work type$")).select_option("matter-property")
    new = widget.locator("#form-rules tr.new").first  # and a new rule in an empty row
    new.get_by_label(re.compile(r"Aderant field$")).select_option("office")
    new.get_by_label(re.compile(r"equals$")).fill("MEL")
    new.get_by_label(re.compile(r": work type$")).select_option("matter-private-client-general")
    save_form(widget, "Production", "Commercial matters are property matters now")

    saved = document(widget)["work_type_rules"]
    assert saved[1] == {"source": "department_code", "equals": "COM", "work_type": "matter-property"}
    assert saved[-1] == {"source": "office", "equals": "MEL", "work_type": "matter-private-client-general"}
    assert len(saved) == 5, "the other rules are kept"
    expect(widget.locator("#form-rules tbody tr").nth(4).get_by_label(re.compile(r"equals$"))).to_have_value("MEL")
    assert preview_mapping(widget, COMMERCIAL)["Work item: Work type"] == "matter-property"

    staff_preview(widget, COMMERCIAL)
    expect(widget.locator("#work-type")).to_have_text(re.compile(r"^\s*Property"))  # its Clio Operate name


def test_attribute_rows_changed_in_the_form_show_in_the_document_and_the_previews(
    editor_demo: Demo, page: Page
) -> None:
    widget = mapping_page(page, editor_demo)
    office = widget.locator("#form-attributes tbody tr").nth(4)
    expect(office.get_by_label(re.compile(r"Aderant field$"))).to_have_value("office")
    assert preview_mapping(widget, LITIGATION)["Attributes: aderant-office"] == "Sydney"

    office.get_by_label(re.compile(r"transforms$")).fill("trim lower")
    new = widget.locator("#form-attributes tr.new").first
    new.get_by_label(re.compile(r"Aderant field$")).select_option("open_date")
    new.get_by_label(re.compile(r"Clio Operate attribute$")).fill("aderant-opened")
    new.get_by_label(re.compile(r"transforms$")).fill("date:%d/%m/%Y")
    save_form(widget, "Production", "Offices in lower case; the opening date")

    attributes = document(widget)["attributes"]
    assert attributes[4] == {"source": "office", "target": "aderant-office", "transforms": ["trim", "lower"]}
    assert attributes[-1] == {"source": "open_date", "target": "aderant-opened", "transforms": ["date:%d/%m/%Y"]}
    mapped = preview_mapping(widget, LITIGATION)
    assert (mapped["Attributes: aderant-office"], mapped["Attributes: aderant-opened"]) == ("sydney", "02/03/2026")

    staff_preview(widget, LITIGATION)
    attribute = widget.locator("dl.fields dt", has_text=re.compile(r"^aderant-opened$"))
    expect(attribute.locator("xpath=following-sibling::dd[1]")).to_have_text("02/03/2026")
    expect(widget.locator("dl.fields dt", has_text=re.compile(r"^aderant-office$")).locator(
        "xpath=following-sibling::dd[1]"
    )).to_have_text("sydney")


def test_a_mapping_downloaded_and_imported_into_another_environment_maps_the_same(
    editor_demo: Demo, page: Page, tmp_path: Path
) -> None:
    production = mapping_page(page, editor_demo)
    production.locator("#form-rules tbody tr").nth(1).get_by_label(re.compile(r": work type$")).select_option(
        "matter-property"
    )
    production.locator("#form-attributes tbody tr").nth(4).get_by_label(re.compile(r"transforms$")).fill("lower")
    save_form(production, "Production", "To share with UAT")
    in_production = document(production)
    mapped_in_production = {m: preview_mapping(production, m) for m in (COMMERCIAL, LITIGATION)}

    with page.expect_download() as downloading:
        production.get_by_role("link", name="Download mapping (JSON)").click()
    download = downloading.value
    assert re.fullmatch(r"pms-sync-mapping-production-v\d+\.json", download.suggested_filename)
    file = tmp_path / download.suggested_filename
    download.save_as(file)
    assert json.loads(file.read_text()) == in_production

    uat = mapping_page(page, editor_demo, "UAT")
    assert preview_mapping(uat, COMMERCIAL) != mapped_in_production[COMMERCIAL], "UAT maps it otherwise until the import"
    share = uat.locator("#backup-share")
    share.get_by_label("Upload a mapping file").set_input_files(file)
    share.get_by_role("button", name="Import mapping").click()
    expect(uat.get_by_role("status")).to_have_text(re.compile(r"Version \d+ is now the mapping in force for UAT\."))

    expect(uat.locator("#versions tr[data-version]").first).to_contain_text("Imported from " + file.name)
    assert document(uat) == in_production
    assert {m: preview_mapping(uat, m) for m in (COMMERCIAL, LITIGATION)} == mapped_in_production
