"""Settings → Participant Roles: load a work type's roles from a file or pasted text (the shape the
modeller's `…/participantRoles/for/{type}` answers, which needs a portal session, so PMS Sync does
not call it: jacquesonline/ShareDo-Tools `server/auth.js`), refusals naming the value at fault,
where each work type's roles came from, removal, audit, CSRF and administrators only."""

from __future__ import annotations

import html
import json

from sandbox.demo import participant_roles_document
from store.work_type_roles import WorkTypeRolesStore
from tests.settings.conftest import ADMIN, STAFF, csrf
from tests.views.conftest import Service

PAGE = "/settings/roles?environment=1"
LITIGATION = json.loads(participant_roles_document())["matter-litigation"]


def post(service: Service, token: str, files: dict | None = None, **form: str):  # type: ignore[no-untyped-def]
    return service.client.post(PAGE, data={"csrf_token": token, **form}, files=files, follow_redirects=False)


def loaded(service: Service) -> dict:
    return {r.work_type: r for r in WorkTypeRolesStore(service.store.engine).all(service.organisation_id, 1)}


def row(page: str, work_type: str) -> str:
    return html.unescape(page.split(f'<tr data-work-type="{work_type}">', 1)[1].split("</tr>", 1)[0])


def events(service: Service) -> list:
    return [e for e in reversed(service.store.audit_events(service.organisation_id)) if e.type.startswith("work_type_roles.")]


def test_the_page_says_where_each_work_types_roles_came_from(service: Service, admin: str) -> None:
    page = service.client.get(PAGE)
    assert page.status_code == 200
    litigation = row(page.text, "matter-litigation")
    assert "Loaded from participant-roles.json by demo set-up on " in litigation and " UTC" in litigation
    assert "witness</span> (person)" in litigation
    assert 'id="not-loaded"' not in page.text


def test_a_file_for_one_work_type_is_loaded_audited_and_used_by_previews(service: Service, admin: str) -> None:
    without_witness = [r for r in LITIGATION if r["systemName"] != "witness"]
    upload = {"file": ("litigation-roles.json", json.dumps(without_witness).encode(), "application/json")}
    response = post(service, admin, files=upload, action="load", work_type="matter-litigation")
    assert response.status_code == 303 and response.headers["location"] == "/settings/roles?environment=1&done=loaded"

    entry = loaded(service)["matter-litigation"]
    assert (entry.source, entry.loaded_by) == ("litigation-roles.json", ADMIN)
    assert [r["systemName"] for r in entry.roles] == [r["systemName"] for r in without_witness]
    assert f"Loaded from litigation-roles.json by {ADMIN} on " in row(service.client.get(PAGE).text, "matter-litigation")
    [event] = [e for e in events(service) if e.actor == ADMIN]
    assert event.type == "work_type_roles.loaded" and event.data["source"] == "litigation-roles.json"
    assert "witness" not in event.data["work_types"]["matter-litigation"]
    # 82001's witness (Aderant role WIT) is now in a role the work type does not allow.
    preview = service.client.get("/api/v1/matters/82001/preview?environment=1", headers=service.bearer(STAFF)).json()
    assert any("the role witness is not valid for work type matter-litigation" in w for w in preview["warnings"])


def test_pasted_roles_of_several_work_types_with_participant_types_as_objects(service: Service, admin: str) -> None:
    """`allowedParticipantTypes` entries may be objects (Alter-Igor/Test
    `src/Typings/WidgetsOdsEntityPicker/IAddParticipantService.ts`)."""
    user = {"systemName": "user", "name": "User", "iconClass": "fa-user", "addCommand": {"invoke": "x"}, "odsEntityTypeSystemName": "person"}
    owner = {"systemName": "matter-owner", "name": "Matter Owner", "allowedParticipantTypes": [user, "team"]}
    pasted = json.dumps({"matter-property": [owner], "matter-commercial": LITIGATION})
    assert post(service, admin, action="load", pasted=pasted).status_code == 303
    property_roles = loaded(service)["matter-property"]
    assert property_roles.source == "pasted text"
    assert property_roles.roles == [{
        "systemName": "matter-owner", "name": "Matter Owner", "isTeamRole": False, "isSecurityTeamRole": False,
        "allowedParticipantTypes": [{"systemName": "user", "name": "User", "odsEntityTypeSystemName": "person"}, "team"],
    }]


def test_a_document_that_does_not_validate_is_refused_naming_each_value_and_changes_nothing(service: Service, admin: str) -> None:
    before = {t: r.roles for t, r in loaded(service).items()}
    cases = {
        json.dumps(LITIGATION): "(document): a list of roles is for one work type: choose the work type it belongs to",
        "{not json": "(document): not valid JSON",
        "": "(document): is empty",
        json.dumps({"matter-tax": LITIGATION}): "matter-tax: not a work type a matter can be created as in Production",
        json.dumps({"matter-litigation": []}): "matter-litigation: must be a non-empty list of roles",
        json.dumps({"matter-litigation": [{"name": "Reader"}]}): "matter-litigation[0].systemName: is missing",
        json.dumps({"matter-litigation": [{"systemName": "reader", "isTeamRole": "yes"}]}): "matter-litigation[0].isTeamRole: must be true or false",
        json.dumps({"matter-litigation": [{"systemName": "reader", "allowedParticipantTypes": [7]}]}):
            "matter-litigation[0].allowedParticipantTypes[0]: must be a participant type",
        json.dumps({"matter-litigation": [{"systemName": "reader"}, {"systemName": "reader"}]}): "matter-litigation[1].systemName: reader is listed twice",
    }
    for pasted, expected in cases.items():
        refused = post(service, admin, action="load", pasted=pasted)
        assert refused.status_code == 400, pasted
        assert expected in html.unescape(refused.text), (pasted, expected)
        assert "Not loaded: nothing has changed." in refused.text
    assert {t: r.roles for t, r in loaded(service).items()} == before
    assert events(service) == []


def test_removing_a_work_types_roles_leaves_previews_working_with_a_warning(service: Service, admin: str) -> None:
    assert post(service, admin, action="remove", work_type="matter-litigation").status_code == 303
    assert "matter-litigation" not in loaded(service)
    page = service.client.get(PAGE).text
    assert "matter-litigation" in page.split('id="not-loaded"', 1)[1].split("</p>", 1)[0]
    preview = service.client.get("/api/v1/matters/82001/preview?environment=1", headers=service.bearer(STAFF))
    assert preview.status_code == 200
    assert any("participant roles of matter-litigation have not been loaded" in w for w in preview.json()["warnings"])
    assert [e.type for e in events(service)] == ["work_type_roles.removed"]
    assert post(service, admin, action="remove", work_type="matter-litigation").status_code == 404


def test_forms_without_a_valid_csrf_token_are_refused(service: Service, admin: str) -> None:
    assert post(service, "forged", action="remove", work_type="matter-litigation").status_code == 403
    assert "matter-litigation" in loaded(service)


def test_staff_cannot_see_or_change_roles(service: Service) -> None:
    service.sign_in(STAFF)
    token = csrf(service.client.get("/").text)
    page = service.client.get(PAGE)
    assert page.status_code == 403 and "Only administrators" in page.text
    assert post(service, token, action="remove", work_type="matter-litigation").status_code == 403
    assert "matter-litigation" in loaded(service)
