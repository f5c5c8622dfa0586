"""Settings → Members: add, change role, remove; CSRF on every form; the last administrator stays."""

from __future__ import annotations

import re

import httpx2
import pytest
from sqlmodel import Session, select

from store.members import MemberStore
from store.models import AuditEvent, Membership
from tests.access.conftest import Service

PAGE = "/settings/members"
ACTOR = "admin@sandbox.test"  # the sandbox's administrator, signed in through Clio Operate


@pytest.fixture
def admin(service: Service) -> Service:
    assert service.sign_in(ACTOR).status_code == 200
    return service


@pytest.fixture
def members(service: Service) -> MemberStore:
    return MemberStore(service.store.engine)


def csrf(service: Service) -> str:
    page = service.client.get(PAGE)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def post(service: Service, path: str, form: dict[str, str], *, token: str | None = None) -> httpx2.Response:
    return service.client.post(path, data={"csrf_token": token or csrf(service), **form}, follow_redirects=False)


def rows(service: Service) -> dict[str, str | None]:
    return {m.email: m.role for m in MemberStore(service.store.engine).members(service.organisation_id)}


def audit(service: Service, prefix: str = "member.") -> list[AuditEvent]:
    with Session(service.store.engine) as session:
        query = select(AuditEvent).where(AuditEvent.organisation_id == service.organisation_id)
        return [e for e in session.exec(query.order_by(AuditEvent.id)) if e.type.startswith(prefix)]


def member_id(service: Service, email: str) -> int:
    with Session(service.store.engine) as session:
        member = session.exec(select(Membership).where(Membership.email == email)).one()
        assert member.id is not None
        return member.id


def test_an_administrator_adds_changes_and_removes_members_and_each_change_is_audited(admin: Service) -> None:
    page = admin.client.get(PAGE)
    assert page.status_code == 200 and "No members yet" in page.text and 'aria-current="page">Members' in page.text

    added = post(admin, PAGE, {"email": " New.Person@Firm.test ", "display_name": "Nina New", "role": "staff"})
    assert added.status_code == 303 and added.headers["location"] == PAGE
    post(admin, PAGE, {"email": "boss@firm.test", "display_name": "Bo Boss", "role": "administrator"})
    assert rows(admin) == {"new.person@firm.test": "staff", "boss@firm.test": "administrator"}
    listing = admin.client.get(PAGE).text
    assert "new.person@firm.test" in listing and "Nina New" in listing

    new_person = member_id(admin, "new.person@firm.test")
    assert post(admin, f"{PAGE}/{new_person}/role", {"role": ""}).status_code == 303
    assert rows(admin)["new.person@firm.test"] is None
    assert post(admin, f"{PAGE}/{new_person}/remove", {}).status_code == 303
    assert rows(admin) == {"boss@firm.test": "administrator"}

    events = [(e.type, e.actor, e.data["email"], e.data.get("role"), e.data.get("previous_role")) for e in audit(admin)]
    assert events == [
        ("member.added", ACTOR, "new.person@firm.test", "staff", None),
        ("member.added", ACTOR, "boss@firm.test", "administrator", None),
        ("member.role_changed", ACTOR, "new.person@firm.test", None, "staff"),
        ("member.removed", ACTOR, "new.person@firm.test", None, None),
    ]


@pytest.mark.parametrize("token", [None, "forged"])
def test_every_form_is_refused_without_its_csrf_token(admin: Service, members: MemberStore, token: str | None) -> None:
    member = members.add(admin.organisation_id, "staff@firm.test", "Sid", "staff", actor="test")
    form = {} if token is None else {"csrf_token": token}
    for path, fields in (
        (PAGE, {"email": "x@firm.test", "role": "staff"}),
        (f"{PAGE}/{member.id}/role", {"role": "administrator"}),
        (f"{PAGE}/{member.id}/remove", {}),
    ):
        response = admin.client.post(path, data={**form, **fields}, follow_redirects=False)
        assert response.status_code == 403 and "This form has expired" in response.text
    assert rows(admin) == {"staff@firm.test": "staff"}
    assert [e.type for e in audit(admin)] == ["member.added"]


def test_the_last_administrator_can_be_neither_demoted_nor_removed(admin: Service, members: MemberStore) -> None:
    only = members.add(admin.organisation_id, "boss@firm.test", "Bo Boss", "administrator", actor="test")
    demoted = post(admin, f"{PAGE}/{only.id}/role", {"role": "staff"})
    assert demoted.status_code == 403
    assert (
        "You cannot take the administrator role from boss@firm.test: "
        "they are the organisation&#39;s last administrator" in demoted.text
    )
    assert "boss@firm.test" in demoted.text.split("You cannot")[1] and "Bo Boss" in demoted.text  # the list is still shown
    removed = post(admin, f"{PAGE}/{only.id}/remove", {})
    assert removed.status_code == 403 and "You cannot remove boss@firm.test" in removed.text
    assert rows(admin) == {"boss@firm.test": "administrator"}

    post(admin, PAGE, {"email": "deputy@firm.test", "role": "administrator"})
    assert post(admin, f"{PAGE}/{only.id}/role", {"role": "staff"}).status_code == 303
    assert rows(admin) == {"boss@firm.test": "staff", "deputy@firm.test": "administrator"}


def test_invalid_and_duplicate_members_are_refused_in_plain_words(admin: Service, members: MemberStore) -> None:
    members.add(admin.organisation_id, "staff@firm.test", "Sid", "staff", actor="test")
    for form, words, status in (
        ({"email": "not an address", "role": "staff"}, "Enter the member&#39;s e-mail address", 400),
        ({"email": "x@firm.test", "role": "owner"}, "Choose Administrator, Staff or No role", 400),
        ({"email": "Staff@Firm.test", "role": "administrator"}, "staff@firm.test is already a member", 400),
    ):
        response = post(admin, PAGE, form)
        assert response.status_code == status and words in response.text
    assert rows(admin) == {"staff@firm.test": "staff"}


def test_members_of_another_organisation_are_out_of_reach(admin: Service, members: MemberStore) -> None:
    other = admin.store.create_organisation("Another Firm", [])
    outsider = members.add(other, "boss@another.test", "Other Boss", "administrator", actor="test")
    members.add(other, "staff@another.test", "Other Staff", "staff", actor="test")
    assert "another.test" not in admin.client.get(PAGE).text
    for path, form in ((f"{PAGE}/{outsider.id}/role", {"role": "staff"}), (f"{PAGE}/{outsider.id}/remove", {})):
        response = post(admin, path, form)
        assert response.status_code == 404 and "no longer in your organisation" in response.text
    assert {m.email: m.role for m in members.members(other)} == {
        "boss@another.test": "administrator", "staff@another.test": "staff"
    }


def test_text_is_escaped(admin: Service) -> None:
    post(admin, PAGE, {"email": "x@firm.test", "display_name": "<script>alert(1)</script>", "role": "staff"})
    page = admin.client.get(PAGE).text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
