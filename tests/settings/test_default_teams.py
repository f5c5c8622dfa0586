"""Settings → Default Teams: add with a valid role, refusals saying why, flags when Clio Operate's
roles change later, removal, audit events, CSRF and administrators only."""

from __future__ import annotations

import html
import json

from sandbox.clio.seed import (
    TEAM_COMMERCIAL_SYDNEY_ID,
    TEAM_LITIGATION_SYDNEY_ID,
    TEAM_PROPERTY_MELBOURNE_ID,
    TEAM_RISK_COMPLIANCE_ID,
)
from sandbox.demo import participant_roles_document
from tests.settings.conftest import STAFF, csrf
from tests.views.conftest import Service

PAGE = "/settings/teams?environment=1"
SEEDED = {("matter-commercial", "Commercial – Sydney", "reader"), ("matter-litigation", "Litigation – Sydney", "reader")}


def post(service: Service, token: str, url: str = PAGE, **form: str):  # type: ignore[no-untyped-def]
    return service.client.post(url, data={"csrf_token": token, **form}, follow_redirects=False)


def add(service: Service, token: str, work_type: str, query: str, team_id: str, role: str):  # type: ignore[no-untyped-def]
    return post(service, token, action="add", work_type=work_type, q=query, team_id=team_id, role=role)


def saved(service: Service, environment_id: int = 1) -> set[tuple[str, str, str]]:
    rows = service.store.teams.all(service.organisation_id, environment_id)
    return {(r.work_type, r.team_name, r.role) for r in rows}


def row(page: str, team_id: str, work_type: str) -> str:
    return html.unescape(page.split(f'data-team="{team_id}" data-work-type="{work_type}"', 1)[1].split("</tr>", 1)[0])


def audit(service: Service) -> list:
    return [e for e in reversed(service.store.audit_events(service.organisation_id)) if e.type.startswith("default_team.")]


def test_the_list_checks_each_pairing_and_offers_teams_and_the_roles_that_take_one(service: Service, admin: str) -> None:
    page = service.client.get(f"{PAGE}&work_type=matter-litigation&q=Sydney")
    assert page.status_code == 200
    litigation = row(page.text, TEAM_LITIGATION_SYDNEY_ID, "matter-litigation")
    assert 'data-flagged="no"' in litigation and "OK" in litigation
    form = page.text.split('id="add-team"', 1)[1]
    assert f'value="{TEAM_LITIGATION_SYDNEY_ID}"' in form and f'value="{TEAM_PROPERTY_MELBOURNE_ID}"' not in form  # the search
    offered = {part.split('"', 1)[0] for part in form.split('<option value="')[1:]}
    assert {"reader", "contributor", "client-read-only", "matter-owner"} <= offered
    assert not offered & {"witness", "client", "other-side"}, "only roles that take a team are offered"


def test_adding_a_team_in_a_valid_role_is_saved_audited_and_used_by_imports(service: Service, admin: str) -> None:
    response = add(service, admin, "matter-litigation", "Property", TEAM_PROPERTY_MELBOURNE_ID, "contributor")
    assert response.status_code == 303 and response.headers["location"] == "/settings/teams?environment=1&done=added"
    assert saved(service) == SEEDED | {("matter-litigation", "Property – Melbourne", "contributor")}
    (event,) = audit(service)
    assert (event.type, event.environment_id, event.actor) == ("default_team.added", 1, "admin@sandbox.test")
    assert event.data == {"work_type": "matter-litigation", "team_id": TEAM_PROPERTY_MELBOURNE_ID,
                          "team_name": "Property – Melbourne", "role": "contributor"}
    assert "The default team was added." in service.client.get(response.headers["location"]).text
    preview = service.client.get("/api/v1/matters/82001/preview?environment=1", headers=service.bearer(STAFF)).json()
    melbourne = {
        "id": TEAM_PROPERTY_MELBOURNE_ID, "name": "Property – Melbourne", "role": "contributor", "problem": None,
        "role_name": "Contributor",
    }
    assert melbourne in preview["teams"]


def test_a_role_that_does_not_take_a_team_is_refused_saying_why(service: Service, admin: str) -> None:
    witness = add(service, admin, "matter-litigation", "Property", TEAM_PROPERTY_MELBOURNE_ID, "witness")
    assert witness.status_code == 400
    assert ("Property – Melbourne was not added: the role witness of work type matter-litigation does not take a team."
            in html.unescape(witness.text))
    not_on_type = add(service, admin, "matter-commercial", "Property", TEAM_PROPERTY_MELBOURNE_ID, "witness")
    assert not_on_type.status_code == 400
    assert "the role witness is not valid for work type matter-commercial" in html.unescape(not_on_type.text)
    assert 'id="add-team"' in witness.text, "the page is shown again to pick another role"
    assert saved(service) == SEEDED and audit(service) == []


def test_other_refusals_say_why(service: Service, admin: str) -> None:
    cases = [
        (("matter-litigation", "Risk", TEAM_RISK_COMPLIANCE_ID, "reader"), "Risk & Compliance is an ACL team"),
        (("matter-litigation", "Sydney", TEAM_LITIGATION_SYDNEY_ID, "contributor"),
         "Litigation – Sydney is already a default team of matter-litigation"),
        (("matter-litigation", "Property", TEAM_LITIGATION_SYDNEY_ID, "reader"), "That team was not found in Clio Operate"),
        (("matter-private-client", "Property", TEAM_PROPERTY_MELBOURNE_ID, "reader"),
         "matter-private-client is not a work type a matter can be created as"),
        (("matter-litigation", "Property", TEAM_PROPERTY_MELBOURNE_ID, ""), "Choose a work type, a team and a role"),
    ]
    for form, message in cases:
        response = add(service, admin, *form)
        assert response.status_code == 400 and message in html.unescape(response.text), (form, response.text)
    assert saved(service) == SEEDED and audit(service) == []


def test_every_work_type_takes_a_role_valid_on_each_of_them(service: Service, admin: str) -> None:
    refused = add(service, admin, "*", "Property", TEAM_PROPERTY_MELBOURNE_ID, "witness")
    text = html.unescape(refused.text)
    assert refused.status_code == 400
    assert "the role witness of work type matter-litigation does not take a team" in text
    assert "the role witness is not valid for work type matter-property" in text
    assert add(service, admin, "*", "Property", TEAM_PROPERTY_MELBOURNE_ID, "reader").status_code == 303
    assert "every work type" in row(service.client.get(PAGE).text, TEAM_PROPERTY_MELBOURNE_ID, "*")
    commercial = service.client.get("/api/v1/matters/82002/preview?environment=1", headers=service.bearer(STAFF)).json()
    assert {"id": TEAM_PROPERTY_MELBOURNE_ID, "name": "Property – Melbourne", "role": "reader", "problem": None, "role_name": "Reader"} in commercial["teams"]


def test_pairings_are_flagged_when_the_work_types_roles_change_later(service: Service, admin: str) -> None:
    without_reader = [r for r in json.loads(participant_roles_document())["matter-litigation"] if r["systemName"] != "reader"]
    roles = json.dumps({"matter-litigation": without_reader, "matter-commercial": without_reader})
    loaded = post(service, admin, "/settings/roles?environment=1", action="load", pasted=roles)
    assert loaded.status_code == 303
    page = service.client.get(PAGE).text
    for team_id, work_type in ((TEAM_LITIGATION_SYDNEY_ID, "matter-litigation"), (TEAM_COMMERCIAL_SYDNEY_ID, "matter-commercial")):
        flagged = row(page, team_id, work_type)
        assert 'data-flagged="yes"' in flagged and "Not added on import" in flagged
        assert f"The role reader is not valid for work type {work_type}." in flagged
    preview = service.client.get("/api/v1/matters/82001/preview?environment=1", headers=service.bearer(STAFF)).json()
    assert any("Default team Litigation – Sydney will not be added" in w for w in preview["warnings"])


def test_a_pairing_saved_before_is_flagged_when_invalid_or_its_work_type_is_gone(service: Service, admin: str) -> None:
    store = service.store.teams
    store.add(service.organisation_id, 1, work_type="matter-litigation", team_id=TEAM_PROPERTY_MELBOURNE_ID,
              team_name="Property – Melbourne", role="witness", actor="an earlier release")
    store.add(service.organisation_id, 1, work_type="matter-property", team_id=TEAM_COMMERCIAL_SYDNEY_ID,
              team_name="Commercial – Sydney", role="reader", actor="an earlier release")
    del service.tenant().state.work_types["matter-property"]
    page = service.client.get(PAGE).text
    witness = row(page, TEAM_PROPERTY_MELBOURNE_ID, "matter-litigation")
    assert 'data-flagged="yes"' in witness and "The role witness of work type matter-litigation does not take a team." in witness
    gone = row(page, TEAM_COMMERCIAL_SYDNEY_ID, "matter-property")
    assert 'data-flagged="yes"' in gone
    assert "The work type matter-property no longer exists, or matters can no longer be created as it." in gone
    assert 'data-flagged="no"' in row(page, TEAM_COMMERCIAL_SYDNEY_ID, "matter-commercial")


def test_removing_a_default_team_is_audited_and_scoped_to_the_environment(service: Service, admin: str) -> None:
    store = service.store.teams
    production = {r.team_name: r.id for r in store.all(service.organisation_id, 1)}
    uat = {r.team_name: r.id for r in store.all(service.organisation_id, 2)}
    elsewhere = post(service, admin, action="remove", id=str(uat["Litigation – Sydney"]))  # a UAT row through Production
    assert elsewhere.status_code == 404 and saved(service, 2) == SEEDED
    response = post(service, admin, action="remove", id=str(production["Litigation – Sydney"]))
    assert response.status_code == 303 and response.headers["location"].endswith("done=removed")
    assert saved(service) == {("matter-commercial", "Commercial – Sydney", "reader")}
    (event,) = audit(service)
    assert (event.type, event.actor, event.data["team_name"], event.data["work_type"]) == (
        "default_team.removed", "admin@sandbox.test", "Litigation – Sydney", "matter-litigation")
    assert post(service, admin, action="remove", id=str(production["Litigation – Sydney"])).status_code == 404
    assert post(service, admin, action="remove", id="x").status_code == 400


def test_team_forms_without_a_valid_csrf_token_are_refused(service: Service, admin: str) -> None:
    row_id = service.store.teams.all(service.organisation_id, 1)[0].id
    for token in ("", "forged"):
        added = add(service, token, "matter-litigation", "Property", TEAM_PROPERTY_MELBOURNE_ID, "reader")
        removed = post(service, token, action="remove", id=str(row_id))
        assert added.status_code == removed.status_code == 403
    assert saved(service) == SEEDED and audit(service) == []


def test_only_administrators_see_or_change_default_teams(service: Service) -> None:
    service.sign_in(STAFF)
    token = csrf(service.client.get("/").text)
    page = service.client.get(PAGE)
    assert page.status_code == 403 and "Only administrators" in page.text
    assert add(service, token, "matter-litigation", "Property", TEAM_PROPERTY_MELBOURNE_ID, "reader").status_code == 403
    row_id = service.store.teams.all(service.organisation_id, 1)[0].id
    assert post(service, token, action="remove", id=str(row_id)).status_code == 403
    assert saved(service) == SEEDED and audit(service) == []


def test_when_clio_operate_does_not_answer_the_list_still_shows_and_nothing_is_added(service: Service, admin: str) -> None:
    service.faults.add("/production/api/v2/public/types/tree", status=503)
    page = service.client.get(PAGE)
    assert page.status_code == 200
    litigation = row(page.text, TEAM_LITIGATION_SYDNEY_ID, "matter-litigation")
    assert "Not checked" in litigation and "Clio Operate is not reachable for Production" in litigation
    assert "no team can be added now" in page.text
    refused = add(service, admin, "matter-litigation", "Property", TEAM_PROPERTY_MELBOURNE_ID, "reader")
    assert refused.status_code == 502 and saved(service) == SEEDED


def test_without_loaded_roles_a_pairing_is_not_checked_and_none_can_be_added(service: Service, admin: str) -> None:
    service.store.work_type_roles.remove(service.organisation_id, 1, "matter-litigation", actor="admin")
    page = service.client.get(f"{PAGE}&work_type=matter-litigation&q=Sydney").text
    litigation = row(page, TEAM_LITIGATION_SYDNEY_ID, "matter-litigation")
    assert 'data-flagged="no"' in litigation and "Not checked" in litigation
    assert "The participant roles of matter-litigation have not been loaded" in litigation
    assert "Settings → Participant Roles" in html.unescape(page)
    refused = add(service, admin, "matter-litigation", "Property", TEAM_PROPERTY_MELBOURNE_ID, "reader")
    assert refused.status_code == 400 and "have not been loaded" in html.unescape(refused.text)
    assert ("matter-litigation", "Property – Melbourne", "reader") not in saved(service)

