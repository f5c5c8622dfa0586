"""The preview of an imported matter shows what changed since its import, end to end on the sandbox:
Aderant changed through the sandbox's control, the work item edited in the sandbox tenant."""

from __future__ import annotations

import re

from sandbox.aderant_db import LEE_WONG
from tests.views.conftest import Service


def drift_rows(html: str) -> set[tuple[str, str]]:
    return set(re.findall(r'<tr data-kind="(\w+)" data-field="([^"]+)">', html))


def drift_cells(html: str, field: str) -> list[str]:
    """The Aderant now and Clio Operate now cells of the change to `field`."""
    row = re.search(rf'<tr data-kind="\w+" data-field="{re.escape(field)}">(.*?)</tr>', html, re.S)
    assert row is not None, field
    return [cell.strip() for cell in re.findall(r"<td>(.*?)</td>", row.group(1), re.S)[2:]]


def test_the_preview_of_an_imported_matter_shows_its_changes_since_import(service: Service) -> None:
    service.sign_in()
    imported = service.client.post("/api/v1/matters/82001/import", json={}, headers=service.bearer())
    assert imported.status_code == 201, imported.text
    unchanged = service.client.get("/matters/82001/preview?environment=1").text
    assert "Matter was already imported" in unchanged and "No changes in Aderant since import" in unchanged
    assert drift_rows(unchanged) == set()

    aderant = service.sandbox.state.sandbox.aderant
    changed = aderant.change_matter(
        "82001", {"title": "Harbour v Coastal Freight (appeal)", "open_date": "2026-05-05",
                  "add_parties": [{"name_uno": LEE_WONG.name_uno, "role": "WIT"}]},
    )
    try:
        work_item = service.tenant().state.work_items[imported.json()["work_item_id"]]
        work_item.attributes["aderant-office"] = "Melbourne"  # edited by someone in Clio Operate
        work_item.key_dates["kd-instruction-date"] = "2026-04-01"  # moved there too: a conflict

        page = service.client.get("/matters/82001/preview?environment=1").text

        assert "3 changes in Aderant since import; 1 in conflict with Clio Operate; 1 edited in Clio Operate" in page
        assert drift_rows(page) == {
            ("aderant_only", "title"),
            ("both", "key_date:kd-instruction-date"),
            ("party_added", f"party:{LEE_WONG.name_uno}"),
            ("clio_only", "attribute:aderant-office"),
        }
        assert "Harbour v Coastal Freight (appeal)" in page and "Melbourne" in page
        # the value at import is not kept, only whether each side is as imported or changed
        assert "At import" not in page
        assert drift_cells(page, "title") == [
            'Harbour v Coastal Freight (appeal) <span class="tag">changed</span>',
            'Harbour Holdings v Coastal Freight <span class="tag">as imported</span>',
        ]
        office_in_aderant, office_in_clio = drift_cells(page, "attribute:aderant-office")
        assert office_in_aderant.endswith('<span class="tag">as imported</span>')
        assert office_in_clio == 'Melbourne <span class="tag">changed</span>'
    finally:  # the Aderant database is shared by the other tests
        aderant.change_matter(
            "82001", {"title": "Harbour Holdings v Coastal Freight", "open_date": "2026-03-02",
                      "remove_parties": changed["add_parties"]},
        )


def test_a_matter_found_already_in_clio_operate_has_no_baseline_to_compare(service: Service) -> None:
    service.sign_in()
    page = service.client.get("/matters/82003/preview?environment=1").text
    assert "Matter was already imported" in page and "No baseline" in page
