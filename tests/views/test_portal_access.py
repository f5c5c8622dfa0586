"""Who may use PMS Sync from the portal (user guide §1 and §9): the environment's staff roles, and
members whose role overrides their Clio Operate roles. The demo's Production lists the staff role
matter-handler, which admin@ and staff@sandbox.test hold and visitor@sandbox.test does not."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from sqlmodel import Session

from embed_auth.portal_access import REFUSED, PortalAccess, PortalRefused, clio_role, refusal
from store.members import MemberStore
from store.models import Environment
from tests.conftest import MovableClock
from tests.views.conftest import Service
from views.demo import ACCESS_CONTACT

VISITOR = "visitor@sandbox.test"
REFUSED_HERE = refusal(ACCESS_CONTACT)  # the demo organisation names who to ask


@pytest.fixture
def members(service: Service) -> MemberStore:
    return MemberStore(service.store.engine)


def refusals(service: Service) -> list[object]:
    return [e for e in service.store.audit_events(service.organisation_id) if e.type == "sign_in.refused"]


def test_clio_roles_decide_when_no_member_says_otherwise() -> None:
    assert clio_role(("Matter-Handler",), ("system-administrator",), ("matter-handler",)) == "staff"
    assert clio_role(("system-administrator",), ("system-administrator",), ("matter-handler",)) == "administrator"
    assert clio_role(("portal-user",), ("system-administrator",), ("matter-handler",)) is None
    assert clio_role(("portal-user",), ("system-administrator",), ()) == "staff"  # no staff roles: everyone


def test_staff_and_administrators_with_the_staff_role_are_let_in(service: Service) -> None:
    assert service.sign_in("staff@sandbox.test").status_code == 200
    assert service.sign_in("admin@sandbox.test").status_code == 200
    assert "Administrator" in service.client.get("/").text


def test_a_portal_user_without_a_staff_role_is_refused_in_the_widget(service: Service) -> None:
    response = service.sign_in(VISITOR)
    assert response.status_code == 403 and response.json() == {"error": REFUSED_HERE}
    assert "set-cookie" not in response.headers
    [refused] = refusals(service)
    assert (refused.actor, refused.environment_id, refused.data["reason"]) == (VISITOR, 1, REFUSED_HERE)


def test_a_portal_user_without_a_staff_role_is_refused_by_the_api(service: Service) -> None:
    response = service.client.get("/api/v1/environments", headers=service.bearer(VISITOR))
    assert response.status_code == 403 and response.json() == {"error": REFUSED_HERE}
    assert service.client.get("/api/v1/environments", headers=service.bearer()).status_code == 200


def test_repeated_refusals_are_audited_once_per_user_and_environment_per_ten_minutes(service: Service, clock: MovableClock) -> None:
    for _ in range(3):
        assert service.sign_in(VISITOR).status_code == 403
    service.client.get("/api/v1/environments", headers=service.bearer(VISITOR))
    assert len(refusals(service)) == 1
    restarted = PortalAccess(service.store, clock=clock.now)  # another replica, or after a restart
    with pytest.raises(PortalRefused):
        asyncio.run(restarted.role(service.store.environment(service.organisation_id, 1), VISITOR, ()))  # type: ignore[arg-type]
    assert len(refusals(service)) == 1  # the hold-back is the last audit row, not one replica's memory
    clock.advance(timedelta(seconds=599))
    assert service.sign_in(VISITOR).status_code == 403
    assert len(refusals(service)) == 1
    clock.advance(timedelta(seconds=2))
    assert service.sign_in(VISITOR).status_code == 403
    assert len(refusals(service)) == 2


def test_a_member_given_staff_is_let_in_without_the_clio_operate_role(service: Service, members: MemberStore) -> None:
    members.add(service.organisation_id, VISITOR, "Vic Visitor", "staff", actor="admin@sandbox.test")
    assert service.sign_in(VISITOR).status_code == 200
    page = service.client.get("/")
    assert page.status_code == 200 and "Find a matter" in page.text and "Administrator" not in page.text
    assert service.client.get("/api/v1/environments", headers=service.bearer(VISITOR)).status_code == 200


def test_a_member_with_no_role_is_refused_although_clio_operate_would_allow(service: Service, members: MemberStore) -> None:
    members.add(service.organisation_id, "Staff@Sandbox.test", "Sam Staff", None, actor="admin@sandbox.test")
    response = service.sign_in("staff@sandbox.test")
    assert response.status_code == 403 and response.json() == {"error": REFUSED_HERE}
    assert refusals(service)[0].data["why"] == "member without a role"
    assert service.client.get("/api/v1/environments", headers=service.bearer()).status_code == 403


def test_a_member_role_taken_away_ends_the_portal_session_at_once(service: Service, members: MemberStore) -> None:
    member = members.add(service.organisation_id, VISITOR, "Vic Visitor", "staff", actor="admin@sandbox.test")
    assert service.sign_in(VISITOR).status_code == 200
    assert service.client.get("/").status_code == 200
    assert member.id is not None
    members.set_role(service.organisation_id, member.id, None, actor="admin@sandbox.test")
    assert service.client.get("/", follow_redirects=False).status_code == 303  # signed out
    assert service.sign_in(VISITOR).status_code == 403  # and the widget's new sign-in is refused


def test_a_member_removed_from_an_administrator_role_is_staff_at_once(service: Service, members: MemberStore) -> None:
    member = members.add(service.organisation_id, "admin@sandbox.test", "Ada", "administrator", actor="x")
    members.add(service.organisation_id, "other@sandbox.test", "Other", "administrator", actor="x")
    service.sign_in("admin@sandbox.test")
    assert "Administrator" in service.client.get("/").text
    assert member.id is not None
    members.set_role(service.organisation_id, member.id, "staff", actor="x")
    assert service.sign_in("admin@sandbox.test").status_code == 200
    assert "Administrator" not in service.client.get("/").text


def test_a_bearer_token_loses_access_within_its_minute(service: Service, members: MemberStore, clock: MovableClock) -> None:
    member = members.add(service.organisation_id, VISITOR, "Vic Visitor", "staff", actor="admin@sandbox.test")
    headers = service.bearer(VISITOR)
    assert service.client.get("/api/v1/environments", headers=headers).status_code == 200
    assert member.id is not None
    members.set_role(service.organisation_id, member.id, None, actor="admin@sandbox.test")
    clock.advance(timedelta(seconds=61))
    assert service.client.get("/api/v1/environments", headers=headers).status_code == 403


def test_the_organisations_roles_apply_where_an_environment_lists_none_and_are_edited_in_members(service: Service) -> None:
    with Session(service.store.engine) as session:
        production = session.get(Environment, 1)
        assert production is not None
        production.staff_roles = []
        session.add(production)
        session.commit()
    assert service.sign_in(VISITOR).status_code == 200  # no list anywhere: every portal user is staff

    assert service.sign_in("admin@sandbox.test").status_code == 200
    page = service.client.get("/settings/members")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {"admin_roles": "system-administrator", "staff_roles": "matter-handler\nmatter-handler", "access_contact": ACCESS_CONTACT}
    assert service.client.post("/settings/members/access", data=form, follow_redirects=False).status_code == 403
    saved = service.client.post("/settings/members/access", data={"csrf_token": token, **form}, follow_redirects=False)

    assert saved.status_code == 303
    assert service.store.staff_roles(service.organisation_id) == ("matter-handler",)
    [changed] = [e for e in service.store.audit_events(service.organisation_id) if e.type == "organisation.changed"]
    assert changed.data == {"field": "staff_roles", "old": [], "new": ["matter-handler"]}
    assert ">matter-handler</textarea>" in service.client.get("/settings/members").text
    assert service.sign_in(VISITOR).status_code == 403  # the organisation's list now decides Production
    assert service.sign_in("staff@sandbox.test").status_code == 200


def test_an_unreadable_role_list_is_refused_and_changes_nothing(service: Service) -> None:
    assert service.sign_in("admin@sandbox.test").status_code == 200
    page = service.client.get("/settings/members")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    before = service.store.staff_roles(service.organisation_id)

    refused = service.client.post(
        "/settings/members/access", data={"csrf_token": token, "admin_roles": "", "staff_roles": "x" * 201}
    )

    assert refused.status_code == 400 and "Staff roles: list at most 50" in refused.text
    assert 'id="organisation-roles"' in refused.text  # the form is still there
    assert service.store.staff_roles(service.organisation_id) == before
    assert service.store.admin_roles(service.organisation_id) == ("system-administrator",)


def test_the_refusal_names_who_to_ask_once_an_administrator_has_said(service: Service) -> None:
    assert service.sign_in("admin@sandbox.test").status_code == 200
    page = service.client.get("/settings/members")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "admin_roles": "system-administrator", "staff_roles": "", "access_contact": "  Jane Smith,\tIT desk <ext. 4321> "}

    saved = service.client.post("/settings/members/access", data=form, follow_redirects=False)

    assert saved.status_code == 303
    [changed] = [e for e in service.store.audit_events(service.organisation_id) if e.type == "organisation.changed"]
    assert changed.data == {"field": "access_contact", "old": ACCESS_CONTACT, "new": "Jane Smith, IT desk <ext. 4321>"}
    assert 'value="Jane Smith, IT desk &lt;ext. 4321&gt;"' in service.client.get("/settings/members").text
    response = service.sign_in(VISITOR)  # Production's own staff roles still leave the visitor out
    assert response.status_code == 403
    assert response.json() == {"error": f"{REFUSED}: Jane Smith, IT desk <ext. 4321>"}
    assert refusals(service)[-1].data["reason"] == response.json()["error"]


def test_an_unprintable_contact_is_refused_and_changes_nothing(service: Service) -> None:
    assert service.sign_in("admin@sandbox.test").status_code == 200
    page = service.client.get("/settings/members")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "admin_roles": "system-administrator", "staff_roles": "", "access_contact": "x" * 201}

    refused = service.client.post("/settings/members/access", data=form)

    assert refused.status_code == 400 and "Who to ask: up to 200 characters" in refused.text
    assert service.store.access_contact(service.organisation_id) == ACCESS_CONTACT
    assert 'id="organisation-access-contact"' in refused.text  # the form is still there


def test_without_a_contact_the_refusal_says_only_ask_your_administrator(service: Service) -> None:
    assert service.sign_in("admin@sandbox.test").status_code == 200
    page = service.client.get("/settings/members")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "admin_roles": "system-administrator", "staff_roles": "", "access_contact": ""}
    assert service.client.post("/settings/members/access", data=form, follow_redirects=False).status_code == 303

    response = service.sign_in(VISITOR)

    assert response.status_code == 403 and response.json() == {"error": REFUSED}
    assert REFUSED.endswith("ask your administrator")
