"""Settings → Participant Roles in a real browser, inside the embedded widget: an administrator
uploads a work type's roles as the modeller answers them, and the page says where they came from."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.browser.playwright import Page, expect
from tests.e2e.conftest import Demo

pytestmark = pytest.mark.e2e


def test_an_administrator_loads_a_work_types_roles_from_a_file(browser_demo: Demo, page: Page, tmp_path: Path) -> None:
    roles = json.loads((browser_demo.data_dir / "participant-roles.json").read_text())["matter-property"]
    upload = tmp_path / "property-roles.json"
    upload.write_text(json.dumps([r for r in roles if r["systemName"] != "client-read-only"]))

    page.goto(browser_demo.environment("Production")["portal_url"])
    page.get_by_role("button", name=re.compile(r"admin@sandbox\.test")).click()
    widget = page.frame_locator("iframe[title='PMS Sync']")
    expect(widget.get_by_role("heading", name="Find a matter")).to_be_visible()
    widget.get_by_role("link", name="Settings").click()
    widget.get_by_role("link", name="Participant Roles").click()
    row = widget.locator('tr[data-work-type="matter-property"]')
    expect(row).to_contain_text("Loaded from participant-roles.json by demo set-up on")
    expect(row).to_contain_text("client-read-only")

    widget.get_by_label("Work type (for a list of roles)").select_option("matter-property")
    widget.get_by_label("Upload a roles file").set_input_files(str(upload))
    widget.get_by_role("button", name="Load roles").click()

    expect(widget.get_by_role("status")).to_have_text("The participant roles were loaded.")
    expect(row).to_contain_text("Loaded from property-roles.json by admin@sandbox.test on")
    expect(row).not_to_contain_text("client-read-only")
