"""Settings → Work Type Names: load the modeller's work type tree from a file or pasted text. The
public tree carries `systemName` and `children` only (sharedo-tech/sharedo-mobile-core
`src/infra/typesTree.js`); names and `isAbstract` are on `GET /api/modeller/sharedoTypes`, whose
nodes carry `systemName`, `name` or `title`, `isAbstract`, and `children` or `derivedTypes`
(jacquesonline/ShareDo-Tools `server/worktype-service.js`), and which needs a portal session."""

from __future__ import annotations

import html
import json

from store.work_type_names import WorkTypeNamesStore
from tests.settings.conftest import ADMIN, STAFF, csrf
from tests.views.conftest import Service

PAGE = "/settings/work-types?environment=1"
CHILDREN_TREE = [
    {"systemName": "matter", "name": "Matter", "isAbstract": True, "isCoreType": False, "children": [
        {"systemName": "matter-litigation", "name": "Disputes", "isAbstract": False, "children": []},
        {"systemName": "matter-commercial", "name": "Commercial", "isAbstract": False, "children": []},
        {"systemName": "matter-property", "children": []},  # no name: shown by its readable system name
    ]},
]
# worktype-service.js: the root may be an object whose `derivedTypes` are the nodes; `title` is read before `name`.
DERIVED_TREE = {"derivedTypes": [
    {"systemName": "matter", "title": "Matter", "isAbstract": True, "derivedTypes": [
        {"systemName": "matter-litigation", "name": "matter-litigation", "title": "Court Matters", "isAbstract": False},
    ]},
]}


def post(service: Service, token: str, files: dict | None = None, **form: str):  # type: ignore[no-untyped-def]
    return service.client.post(PAGE, data={"csrf_token": token, "action": "load", **form}, files=files, follow_redirects=False)


def loaded(service: Service):  # type: ignore[no-untyped-def]
    return WorkTypeNamesStore(service.store.engine).loaded(service.organisation_id, 1)


def source(page: str) -> str:
    return html.unescape(page.split('id="names-source">', 1)[1].split("</p>", 1)[0])


def row(page: str, work_type: str) -> str:
    return html.unescape(page.split(f'<tr data-work-type="{work_type}">', 1)[1].split("</tr>", 1)[0])


def events(service: Service) -> list:
    return [e for e in reversed(service.store.audit_events(service.organisation_id)) if e.type.startswith("work_type_names.")]


def staff_preview(service: Service) -> str:
    return service.client.get("/api/v1/matters/82001/preview?environment=1", headers=service.bearer(STAFF)).json()["work_type_name"]


def test_the_page_says_where_the_names_came_from_and_when(service: Service, admin: str) -> None:
    page = service.client.get(PAGE)
    assert page.status_code == 200
    said = source(page.text)
    assert said.startswith("Loaded from work-types.json by demo set-up on ") and " UTC" in said
    assert "Litigation" in row(page.text, "matter-litigation") and "no" in row(page.text, "matter-litigation")
    assert "Private Client" in row(page.text, "matter-private-client") and "yes" in row(page.text, "matter-private-client")
    assert 'id="not-named"' not in page.text
    assert '<a href="/settings/work-types' in page.text  # in the settings menu


def test_a_pasted_tree_of_children_is_loaded_audited_and_used_by_staff_previews(service: Service, admin: str) -> None:
    response = post(service, admin, pasted=json.dumps(CHILDREN_TREE))
    assert response.status_code == 303 and response.headers["location"] == "/settings/work-types?environment=1&done=loaded"

    row_ = loaded(service)
    assert (row_.source, row_.loaded_by) == ("pasted text", ADMIN)
    assert row_.types == {
        "matter": {"name": "Matter", "isAbstract": True},
        "matter-litigation": {"name": "Disputes", "isAbstract": False},
        "matter-commercial": {"name": "Commercial", "isAbstract": False},
        "matter-property": {},
    }
    page = service.client.get(PAGE).text
    assert source(page).startswith(f"Loaded from pasted text by {ADMIN} on ")
    assert "Matter property" in row(page, "matter-property") and "not said" in row(page, "matter-property")
    assert "matter-private-client-general" in page.split('id="not-named"', 1)[1].split("</p>", 1)[0]
    [event] = events(service)
    assert (event.type, event.actor, event.environment_id) == ("work_type_names.loaded", ADMIN, 1)
    assert event.data == {"source": "pasted text", "work_types": {
        "matter": "Matter", "matter-commercial": "Commercial", "matter-litigation": "Disputes", "matter-property": None,
    }}

    assert staff_preview(service) == "Disputes"
    service.sign_in(STAFF)
    staff = service.client.get("/matters/82001/preview", params={"environment": 1}).text
    assert '<dd id="work-type"><span class="named">Disputes</span></dd>' in staff


def test_a_pasted_tree_of_derived_types_with_titles_is_loaded(service: Service, admin: str) -> None:
    assert post(service, admin, pasted=json.dumps(DERIVED_TREE)).status_code == 303
    assert loaded(service).types == {
        "matter": {"name": "Matter", "isAbstract": True},
        "matter-litigation": {"name": "Court Matters", "isAbstract": False},
    }
    assert staff_preview(service) == "Court Matters"


def test_a_file_is_loaded_and_its_names_are_offered_in_settings(service: Service, admin: str) -> None:
    upload = {"file": ("sharedoTypes.json", json.dumps(CHILDREN_TREE).encode(), "application/json")}
    assert post(service, admin, files=upload).status_code == 303
    assert (loaded(service).source, loaded(service).loaded_by) == ("sharedoTypes.json", ADMIN)
    assert source(service.client.get(PAGE).text).startswith(f"Loaded from sharedoTypes.json by {ADMIN} on ")
    roles = service.client.get("/settings/roles?environment=1").text
    assert '<option value="matter-litigation">Disputes (matter-litigation)</option>' in roles
    assert '<option value="matter-property">Matter property (matter-property)</option>' in roles
    teams = service.client.get("/settings/teams?environment=1").text
    assert ">Disputes (matter-litigation)</option>" in teams


def test_a_document_that_does_not_validate_is_refused_naming_each_value_and_changes_nothing(service: Service, admin: str) -> None:
    before = loaded(service).types
    cases = {
        "{not json": "(document): not valid JSON",
        "": "(document): is empty",
        "[]": "(document): lists no work types",
        '"matter"': "(document): must be a list of work types, or an object with systemName, children or derivedTypes",
        json.dumps({"children": {"systemName": "matter"}}): "children: must be a list of work types",
        json.dumps([{"name": "Matter"}]): "[0].systemName: is missing",
        json.dumps([{"systemName": "matter", "isAbstract": "yes"}]): "[0].isAbstract: must be true or false",
        json.dumps([{"systemName": "matter", "title": ""}]): "[0].title: must be text, not blank",
        json.dumps([{"systemName": "matter", "children": [7]}]): "[0].children[0]: must be an object with at least systemName",
        json.dumps([{"systemName": "matter", "derivedTypes": [{"systemName": "matter"}]}]):
            "[0].derivedTypes[0].systemName: matter is listed twice",
    }
    for pasted, expected in cases.items():
        refused = post(service, admin, pasted=pasted)
        assert refused.status_code == 400, pasted
        assert expected in html.unescape(refused.text), (pasted, expected)
        assert "Not loaded: nothing has changed." in refused.text
    not_text = post(service, admin, files={"file": ("types.json", b"\xff\xfe\x00", "application/json")})
    assert not_text.status_code == 400 and "types.json is not UTF-8 text" in not_text.text
    assert loaded(service).types == before
    assert events(service) == []
    assert staff_preview(service) == "Litigation"


def test_forms_without_a_valid_csrf_token_are_refused(service: Service, admin: str) -> None:
    assert post(service, "forged", pasted=json.dumps(CHILDREN_TREE)).status_code == 403
    assert loaded(service).source == "work-types.json"


def test_staff_cannot_see_or_load_names(service: Service) -> None:
    service.sign_in(STAFF)
    token = csrf(service.client.get("/").text)
    page = service.client.get(PAGE)
    assert page.status_code == 403 and "Only administrators" in page.text
    assert post(service, token, pasted=json.dumps(CHILDREN_TREE)).status_code == 403
    assert loaded(service).source == "work-types.json"
