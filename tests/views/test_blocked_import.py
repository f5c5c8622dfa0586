"""A preview whose import would fail: Import is disabled with the reason, administrators get a link
to the mapping rule at fault, the API refuses the import with the same reason, and the demo's
one-line mapping change (README, "The demo") lets matter 82002 import."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from sandbox.clio.seed import IMPORTED_WORK_ITEM_ID
from tests.views.conftest import Service

ADMIN = "admin@sandbox.test"
REASON = (
    "The mapping gives a party a role this work type does not allow (Mary Citizen: the role witness is not valid "
    "for work type matter-commercial.) Ask your administrator to fix the mapping, then import again."
)
# The line the README's demo section tells an administrator to add to "party_roles".
DEMO_LINE = '{"aderant_role": "WIT", "work_type": "matter-commercial", "role": "interested-party"},'
README = Path(__file__).resolve().parents[2] / "README.md"


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def import_area(page: str) -> str:
    return html.unescape(page.split('<section class="card actions">', 1)[1].split("</section>", 1)[0])


def test_import_is_disabled_with_the_reason_and_only_an_administrator_gets_the_link(service: Service) -> None:
    service.sign_in()
    staff = import_area(service.client.get("/matters/82002/preview?environment=1").text)
    assert re.search(r'<button type="button" id="import-button" disabled', staff), staff
    assert REASON in staff and "/settings/mapping" not in staff

    service.sign_in(ADMIN)
    admin = import_area(service.client.get("/matters/82002/preview?environment=1").text)
    assert 'id="import-button" disabled' in admin and REASON in admin
    link = re.search(r'<a href="([^"]+)">Fix the role of Witness in Settings → Mapping</a>', admin)
    assert link and link.group(1) == "/settings/mapping?environment=1#role-WIT"
    mapping = service.client.get("/settings/mapping?environment=1").text
    assert 'id="role-WIT"' in mapping, "the link lands on the rule in the form editor"

    fine = import_area(service.client.get("/matters/82001/preview?environment=1").text)
    assert '<button type="submit" id="import-button">' in fine and "would fail" not in fine


def test_the_api_refuses_the_import_with_the_reason_the_preview_gives(service: Service) -> None:
    headers = service.bearer()
    preview = service.client.get("/api/v1/matters/82002/preview", headers=headers).json()
    refused = service.client.post("/api/v1/matters/82002/import", json={}, headers=headers)
    assert refused.status_code == 409 and refused.json() == {"error": REASON}
    assert any("witness is not valid for work type matter-commercial" in w for w in preview["warnings"])
    assert not service.tenant().state.work_items.keys() - {IMPORTED_WORK_ITEM_ID}, "nothing was written"
    assert not any(c.method == "POST" and c.path.endswith("/workItem") for c in service.calls.calls)


def test_the_readmes_one_line_change_lets_82002_import(service: Service) -> None:
    assert DEMO_LINE in README.read_text(), "the README's demo section gives the exact line"
    headers = service.bearer()
    before = service.client.get("/api/v1/matters/82002/preview", headers=headers).json()
    assert any("not valid for work type matter-commercial" in w for w in before["warnings"])

    service.sign_in(ADMIN)
    page = service.client.get("/settings/mapping?environment=1").text
    draft = html.unescape(page.split('name="document"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0])
    edited = draft.replace('"party_roles": [\n', '"party_roles": [\n    ' + DEMO_LINE + "\n", 1)
    assert edited.count("\n") == draft.count("\n") + 1, "one line added"
    saved = service.client.post(
        "/settings/mapping?environment=1",
        data={"csrf_token": csrf(page), "action": "save", "document": edited, "note": "Witnesses on commercial matters"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, html.unescape(saved.text)

    after = service.client.get("/api/v1/matters/82002/preview", headers=headers).json()
    mary = next(p for p in after["parties"] if p["name"] == "Mary Citizen")
    assert mary["role"] == "interested-party" and not any("role" in w for w in after["warnings"]), after["warnings"]
    imported = service.client.post("/api/v1/matters/82002/import", json={}, headers=headers)
    assert imported.status_code == 201, imported.text
    work_item = service.tenant().state.work_items[imported.json()["work_item_id"]]
    roles = {(p.role.system_name, p.ods_type) for p in work_item.participants}
    assert work_item.type_system_name == "matter-commercial" and ("interested-party", "person") in roles
    assert json.loads(json.dumps(imported.json()["warnings"])) == []
