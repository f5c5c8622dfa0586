"""Settings → Mapping: versions, restore, Preview mapping, Backup/share, and imports using the saved mapping."""

from __future__ import annotations

import copy
import html
import json

from plugin.mapping import DEFAULT_MAPPING
from plugin.mapping_document import from_document, to_document
from store.mappings import MappingStore
from store.work_type_roles import WorkTypeRolesStore
from tests.settings.conftest import STAFF, csrf
from tests.views.conftest import Service

PAGE = "/settings/mapping?environment=1"


def document(**changes: object) -> dict:
    doc = copy.deepcopy(to_document(DEFAULT_MAPPING))
    doc.update(changes)
    return doc


def post(service: Service, token: str, url: str = PAGE, **form: str):  # type: ignore[no-untyped-def]
    return service.client.post(url, data={"csrf_token": token, **form}, follow_redirects=False)


def save(service: Service, token: str, doc: dict, note: str = "") -> int:
    response = post(service, token, action="save", document=json.dumps(doc), note=note)
    assert response.status_code == 303, html.unescape(response.text)
    return int(response.headers["location"].rsplit("saved=", 1)[1])


def versions(service: Service, environment_id: int = 1):  # type: ignore[no-untyped-def]
    return MappingStore(service.store.engine).versions(service.organisation_id, environment_id)


def audit(service: Service, prefix: str) -> list:
    return [e for e in reversed(service.store.audit_events(service.organisation_id)) if e.type.startswith(prefix)]


def test_the_page_starts_from_the_built_in_default(service: Service, admin: str) -> None:
    page = service.client.get(PAGE)
    assert page.status_code == 200
    assert "the built-in default mapping" in page.text and "Preview mapping" in page.text and "Backup/share" in page.text
    shown = html.unescape(page.text.split('name="document"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0])
    assert from_document(json.loads(shown)) == DEFAULT_MAPPING
    assert "matter-private-client-general" in page.text  # the environment's work types, to choose from


def test_saving_makes_versions_and_restoring_makes_a_new_one_equal_to_the_old(service: Service, admin: str) -> None:
    first = document(title_template="{matter_number}: {title}")
    assert save(service, admin, first, note="Number first") == 1
    assert save(service, admin, document(title_template="{title}"), note="Back to plain titles") == 2
    page = service.client.get(f"{PAGE}&saved=2").text
    assert "Version 2 is now the mapping in force for Production." in page
    assert "Number first" in page and "admin@sandbox.test" in page

    restored = post(service, admin, action="restore", version="1")
    assert restored.status_code == 303 and restored.headers["location"].endswith("saved=3")
    newest, second, oldest = versions(service)
    assert (newest.version, newest.note, newest.author) == (3, "Restored version 1", "admin@sandbox.test")
    assert newest.document == oldest.document == first and second.document != first
    assert [(e.type, e.data["version"], e.actor) for e in audit(service, "mapping.")] == [
        ("mapping.saved", 1, "admin@sandbox.test"),
        ("mapping.saved", 2, "admin@sandbox.test"),
        ("mapping.restored", 3, "admin@sandbox.test"),
    ]
    assert audit(service, "mapping.restored")[0].data["restored_from"] == 1
    assert post(service, admin, action="restore", version="9").status_code == 404


def test_a_draft_that_does_not_validate_is_refused_pointing_at_each_field(service: Service, admin: str) -> None:
    broken = document(title_template="{title.upper}")
    broken["attributes"][2]["source"] = "offfice"
    response = post(service, admin, action="save", document=json.dumps(broken), note="typo")
    text = html.unescape(response.text)
    assert response.status_code == 400 and "Nothing was saved." in text
    assert 'attributes[2].source: unknown Aderant field "offfice" (did you mean "office"?)' in text
    assert "title_template: is not a valid template" in text
    assert '"offfice"' in text.split("</textarea>")[0], "the draft is shown again as typed"
    assert versions(service) == [] and audit(service, "mapping.") == []


def test_a_draft_naming_a_work_type_the_environment_cannot_create_is_refused(service: Service, admin: str) -> None:
    doc = document(default_work_type="matter-private-client")  # abstract
    doc["work_type_rules"][1]["work_type"] = "matter-comercial"
    text = html.unescape(post(service, admin, action="save", document=json.dumps(doc)).text)
    assert 'work_type_rules[1].work_type: "matter-comercial" is not a work type a matter can be created as in Production' in text
    assert 'default_work_type: "matter-private-client" is not a work type' in text
    assert versions(service) == []


def test_preview_shows_the_mapping_in_force_and_the_draft_side_by_side(service: Service, admin: str) -> None:
    draft = document()
    draft["work_type_rules"][0]["work_type"] = "matter-commercial"  # department LIT
    work_items = set(service.tenant().state.work_items)
    response = post(service, admin, action="preview", document=json.dumps(draft), matter_number="82001")
    assert response.status_code == 200
    text = html.unescape(response.text)
    section = text.split('id="preview"', 1)[1]
    work_type = section.split('data-row="Work item: Work type"', 1)[1].split("</tr>", 1)[0]
    assert 'data-changed="yes"' in work_type and "matter-litigation" in work_type and "<mark>matter-commercial</mark>" in work_type
    title = section.split('data-row="Work item: Title"', 1)[1].split("</tr>", 1)[0]
    assert 'data-changed="no"' in title and "Harbour Holdings v Coastal Freight" in title
    witness = section.split('data-row="Party roles: Mary Citizen (Witness)"', 1)[1].split("</tr>", 1)[0]
    assert "the role witness is not valid for work type matter-commercial" in witness, "the draft's party roles are checked"
    assert "1 difference." in section and "In force (the built-in default)" in section
    assert versions(service) == [] and set(service.tenant().state.work_items) == work_items, "nothing is written"


def test_preview_without_loaded_roles_says_the_party_roles_were_not_checked(service: Service, admin: str) -> None:
    WorkTypeRolesStore(service.store.engine).remove(service.organisation_id, 1, "matter-commercial", actor="admin")
    draft = document()
    draft["work_type_rules"][0]["work_type"] = "matter-commercial"
    response = post(service, admin, action="preview", document=json.dumps(draft), matter_number="82001")
    assert response.status_code == 200
    text = html.unescape(response.text)
    assert "The participant roles of matter-commercial have not been loaded, so party roles were not checked" in text
    witness = text.split('data-row="Party roles: Mary Citizen (Witness)"', 1)[1].split("</tr>", 1)[0]
    assert "is not valid for work type" not in witness


def test_preview_of_an_unknown_matter_or_an_invalid_draft_says_so(service: Service, admin: str) -> None:
    missing = post(service, admin, action="preview", document=json.dumps(document()), matter_number="99999")
    assert missing.status_code == 404 and "Matter 99999 was not found in Aderant (Production)" in missing.text
    invalid = post(service, admin, action="preview", document="{", matter_number="82001")
    assert invalid.status_code == 400 and "(document): not valid JSON" in invalid.text


def test_backup_then_import_into_another_environment_gives_the_same_mapping(service: Service, admin: str) -> None:
    doc = document()
    doc["attributes"][4] = {"source": "office_code", "target": "aderant-office", "transforms": ["lookup"],
                            "lookup": {"SYD": "Sydney CBD"}, "lookup_default": "Elsewhere"}
    doc["attributes"].append({"source": "open_date", "target": "opened", "transforms": ["date:%d/%m/%Y"]})
    save(service, admin, doc, note="Offices by name")
    download = service.client.get("/settings/mapping/export?environment=1")
    assert download.status_code == 200 and download.headers["content-type"].startswith("application/json")
    assert download.headers["content-disposition"] == 'attachment; filename="pms-sync-mapping-production-v1.json"'
    assert json.loads(download.text) == doc

    uploaded = service.client.post(
        "/settings/mapping?environment=2",
        data={"csrf_token": admin, "action": "import"},
        files={"file": ("pms-sync-mapping-production-v1.json", download.content, "application/json")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303
    (uat,) = versions(service, 2)
    assert uat.document == doc and uat.note == "Imported from pms-sync-mapping-production-v1.json"
    assert [e.environment_id for e in audit(service, "mapping.imported")] == [2]

    pasted = post(service, admin, "/settings/mapping?environment=2", action="import", pasted=download.text, import_note="Again")
    assert pasted.status_code == 303 and versions(service, 2)[0].note == "Again"
    earlier = service.client.get("/settings/mapping/export?environment=2&version=1")
    assert json.loads(earlier.text) == doc


def test_an_import_that_does_not_validate_is_refused_and_replaces_nothing(service: Service, admin: str) -> None:
    save(service, admin, document(title_template="{matter_number}"))
    before = versions(service)
    broken = document(colour="blue")
    broken["attributes"][1]["transforms"] = ["shout"]
    response = service.client.post(
        PAGE, data={"csrf_token": admin, "action": "import"},
        files={"file": ("mapping.json", json.dumps(broken).encode(), "application/json")},
    )
    text = html.unescape(response.text)
    assert response.status_code == 400 and "Not imported: the mapping in force is unchanged." in text
    assert "colour: unknown field" in text and 'attributes[1].transforms[0]: unknown transform "shout"' in text
    not_text = service.client.post(
        PAGE, data={"csrf_token": admin, "action": "import"}, files={"file": ("mapping.json", b"\xff\xfe\x00", "application/json")}
    )
    assert not_text.status_code == 400 and "is not UTF-8 text" in not_text.text
    nothing = post(service, admin, action="import", pasted="  ")
    assert nothing.status_code == 400 and "is empty" in nothing.text
    assert versions(service) == before and audit(service, "mapping.imported") == []


def test_the_import_uses_the_saved_mapping_of_the_environment(service: Service, admin: str) -> None:
    save(service, admin, document(title_template="{matter_number} – {client_name}", reference_template="AD-{matter_number}"))
    preview = service.client.get("/api/v1/matters/82001/preview?environment=1", headers=service.bearer(STAFF)).json()
    assert (preview["title"], preview["reference"]) == ("82001 – Harbour Holdings Pty Ltd", "AD-82001")
    imported = service.client.post("/api/v1/matters/82001/import?environment=1", json={}, headers=service.bearer(STAFF))
    assert imported.status_code == 201, imported.text
    item = service.tenant().state.work_items[imported.json()["work_item_id"]]
    assert (item.title, item.reference) == ("82001 – Harbour Holdings Pty Ltd", "AD-82001")
    uat = service.client.get("/api/v1/matters/82001/preview?environment=2", headers=service.bearer(STAFF)).json()
    assert uat["title"] == "Harbour Holdings v Coastal Freight", "each environment has its own mapping"


def test_a_saved_mapping_that_no_longer_validates_stops_imports_but_can_be_fixed(service: Service, admin: str) -> None:
    MappingStore(service.store.engine).save(
        service.organisation_id, 1, document(title_template="{matter_title}"), author="an older release", note="", event="mapping.saved"
    )
    preview = service.client.get("/api/v1/matters/82001/preview?environment=1", headers=service.bearer(STAFF))
    assert preview.status_code == 409
    assert "The saved mapping of Production (version 1) is no longer valid" in preview.json()["error"]
    assert 'unknown Aderant field "{matter_title}"' in preview.json()["error"]
    page = service.client.get(PAGE)
    assert page.status_code == 200 and "{matter_title}" in html.unescape(page.text), "shown so it can be fixed"
    assert save(service, admin, document()) == 2
    assert service.client.get("/api/v1/matters/82001/preview?environment=1", headers=service.bearer(STAFF)).status_code == 200


def test_only_administrators_see_or_change_the_mapping(service: Service) -> None:
    service.sign_in(STAFF)
    token = csrf(service.client.get("/").text)
    assert service.client.get(PAGE).status_code == 403
    assert service.client.get("/settings/mapping/export?environment=1").status_code == 403
    response = post(service, token, action="save", document=json.dumps(document(title_template="{matter_number}")))
    assert response.status_code == 403 and "Only administrators" in response.text
    assert post(service, token, action="import", pasted=json.dumps(document())).status_code == 403
    assert versions(service) == []


def test_mapping_forms_without_a_valid_csrf_token_are_refused(service: Service, admin: str) -> None:
    for token in ("", "forged"):
        for form in ({"action": "save", "document": json.dumps(document())}, {"action": "import", "pasted": json.dumps(document())},
                     {"action": "preview", "document": json.dumps(document()), "matter_number": "82001"}):
            response = post(service, token, **form)
            assert response.status_code == 403 and "This form has expired" in response.text
    assert versions(service) == []


def test_nothing_is_saved_while_clio_operate_cannot_confirm_the_work_types(service: Service, admin: str) -> None:
    service.faults.add("/production/api/v2/public/types/tree", status=503)
    page = service.client.get(PAGE)
    assert page.status_code == 200 and "The work types could not be listed" in page.text
    refused = post(service, admin, action="save", document=json.dumps(document()), note="while down")
    assert refused.status_code == 502 and "Clio Operate is not reachable for Production" in refused.text
    assert '"matter-litigation"' in html.unescape(refused.text), "the draft is kept"
    assert versions(service) == []
