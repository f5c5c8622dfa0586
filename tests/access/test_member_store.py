"""The member store: scoped by organisation, audited in the same transaction, sessions ended on change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from store.members import LastAdministrator, MemberExists, MemberNotFound, MemberStore, email_address
from store.repository import SessionRecord, Store
from tests.environments import save_environment


def session_for(store: Store, organisation_id: int, email: str, environment_id: int | None, token: str) -> None:
    store.create_session(
        token,
        SessionRecord(
            organisation_id=organisation_id, environment_id=environment_id, user_id=email, user_name=email,
            display_name=email, role="staff", csrf_token="c", expires_at=datetime.now(UTC) + timedelta(hours=1),
        ),
    )


def test_a_change_that_fails_writes_no_audit_event(store: Store) -> None:
    org = store.create_organisation("Firm", [])
    members = MemberStore(store.engine)
    boss = members.add(org, "boss@firm.test", "Bo", "administrator", actor="a")
    with pytest.raises(LastAdministrator):
        members.set_role(org, boss.id, "staff", actor="a")  # type: ignore[arg-type]
    with pytest.raises(LastAdministrator):
        members.remove(org, boss.id, actor="a")  # type: ignore[arg-type]
    with pytest.raises(MemberExists):
        members.add(org, "Boss@Firm.test", "Bo", "staff", actor="a")
    assert [e.type for e in store.audit_events(org)] == ["member.added"]


def test_members_are_scoped_by_organisation(store: Store) -> None:
    mine, theirs = store.create_organisation("Mine", []), store.create_organisation("Theirs", [])
    members = MemberStore(store.engine)
    theirs_member = members.add(theirs, "x@theirs.test", "", "staff", actor="a")
    members.add(mine, "x@theirs.test", "", None, actor="a")
    with pytest.raises(MemberNotFound):
        members.set_role(mine, theirs_member.id, "administrator", actor="a")  # type: ignore[arg-type]
    with pytest.raises(MemberNotFound):
        members.remove(mine, theirs_member.id, actor="a")  # type: ignore[arg-type]
    assert [m.role for m in members.members(theirs)] == ["staff"]
    assert [(m.organisation_id, m.role) for m in members.memberships("X@Theirs.test")] == [(mine, None), (theirs, "staff")]


def test_a_new_role_or_a_removal_ends_the_members_sessions_in_and_outside_the_portal(store: Store) -> None:
    """A member's role overrides their Clio Operate roles in the portal, so their embedded sessions
    end too (matched by user name, whatever its case); other people's sessions stay."""
    org = store.create_organisation("Firm", [])
    env = save_environment(store, org, "Production", identity_url="https://id.test", api_url="https://api.test",
                                 client_id="c", client_secret=None, agent_url="https://agent.test", agent_key=None)
    members = MemberStore(store.engine)
    member = members.add(org, "sid@firm.test", "Sid", "staff", actor="a")
    session_for(store, org, "sid@firm.test", None, "standalone-1")
    session_for(store, org, "Sid@Firm.test", env, "embedded")
    session_for(store, org, "other@firm.test", None, "other")
    session_for(store, org, "other@firm.test", env, "other-embedded")
    members.set_role(org, member.id, None, actor="a")  # type: ignore[arg-type]
    assert store.session("standalone-1") is None and store.session("embedded") is None
    assert store.session("other") is not None and store.session("other-embedded") is not None
    session_for(store, org, "sid@firm.test", env, "embedded-2")
    members.remove(org, member.id, actor="a")  # type: ignore[arg-type]
    assert store.session("embedded-2") is None and store.session("other") is not None


def test_what_counts_as_an_e_mail_address() -> None:
    assert email_address("  Ada@Firm.Test ") == "ada@firm.test"
    for value in (None, 3, "", "ada", "ada@firm", "a b@firm.test", "@firm.test", "x" * 320 + "@firm.test"):
        assert email_address(value) is None
