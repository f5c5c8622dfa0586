"""The store on SQLite, and on PostgreSQL when PMS_SYNC_TEST_DATABASE_URL is set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from store.repository import SessionRecord, Store
from store.secrets import SecretBox, SecretKeyError
from tests.environments import save_environment


def make_env(store: Store, org: int, name: str = "Production", **overrides) -> int:  # type: ignore[no-untyped-def]
    values = dict(
        identity_url=f"https://{org}-{name.lower()}-identity.example.test/",
        api_url=f"https://{org}-{name.lower()}.example.test",
        client_id="pms-sync",
        client_secret="client-secret-value",
        agent_url="https://agent.example.test",
        agent_key="agent-key-value",
        portal_origins=[f"https://{org}-{name.lower()}.example.test"],
    )
    values.update(overrides)
    return save_environment(store, org, name, **values)


def test_migrations_match_the_models(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_secrets_are_encrypted_at_rest_and_decrypted_for_use(store: Store) -> None:
    org = store.create_organisation("Firm", ["system-administrator"])
    env_id = make_env(store, org)
    with store.engine.connect() as connection:
        row = connection.execute(text("SELECT client_secret_enc, agent_key_enc FROM environment")).one()
    assert "client-secret-value" not in row[0] and "agent-key-value" not in row[1]
    env = store.environment(org, env_id)
    assert env is not None
    assert (env.client_secret, env.agent_key) == ("client-secret-value", "agent-key-value")
    assert env.identity_url.endswith("identity.example.test")  # trailing slash normalised


def test_saving_without_a_secret_keeps_the_stored_one(store: Store) -> None:
    org = store.create_organisation("Firm", [])
    make_env(store, org)
    env_id = make_env(store, org, client_secret=None, agent_key=None, client_id="renamed")
    env = store.environment(org, env_id)
    assert env is not None and env.client_id == "renamed"
    assert env.client_secret == "client-secret-value"


def test_secret_key_rotation_reads_old_values() -> None:
    old, new = SecretBox.generate_key(), SecretBox.generate_key()
    sealed = SecretBox(old).encrypt("s3cret")
    assert SecretBox(f"{new},{old}").decrypt(sealed) == "s3cret"
    with pytest.raises(SecretKeyError):
        SecretBox(new).decrypt(sealed)
    with pytest.raises(SecretKeyError):
        SecretBox("not-a-key")


def test_environments_are_scoped_by_organisation(store: Store) -> None:
    mine = store.create_organisation("Mine", [])
    theirs = store.create_organisation("Theirs", [])
    my_env = make_env(store, mine)
    their_env = make_env(store, theirs)
    assert [e.id for e in store.environments(mine)] == [my_env]
    assert store.environment(mine, their_env) is None
    found = store.environment_by_issuer(f"https://{theirs}-production-identity.example.test")
    assert found is not None and found.organisation_id == theirs


def test_one_default_environment_per_organisation(store: Store) -> None:
    org = store.create_organisation("Firm", [])
    make_env(store, org, "Production", is_default=True)
    make_env(store, org, "UAT", is_default=True)
    assert [e.name for e in store.environments(org) if e.is_default] == ["UAT"]


def test_imported_matters_in_one_query_scoped_and_unique(store: Store) -> None:
    org = store.create_organisation("Firm", [])
    other = store.create_organisation("Other", [])
    env = make_env(store, org)
    other_env = make_env(store, other)
    store.record_import(org, env, matter_uno="82003", matter_number="82003", work_item_id="wi-1", imported_by="a")
    store.record_import(other, other_env, matter_uno="82001", matter_number="82001", work_item_id="wi-x", imported_by="b")
    found = store.imported_matters(org, env, ["82001", "82003", "99999"])
    assert set(found) == {"82003"} and found["82003"].work_item_id == "wi-1"
    with pytest.raises(IntegrityError):
        store.record_import(org, env, matter_uno="82003", matter_number="82003", work_item_id="wi-2", imported_by="c")


def test_imported_pages_follow_the_key_and_leave_out_matters_closed_in_both(store: Store) -> None:
    org, other = store.create_organisation("Firm", []), store.create_organisation("Other", [])
    env, other_env = make_env(store, org), make_env(store, other)
    for n in range(5):
        store.record_import(org, env, matter_uno=f"9{n}", matter_number=f"9{n}", work_item_id=f"wi-{n}", imported_by="a")
    store.record_import(other, other_env, matter_uno="90", matter_number="90", work_item_id="wi-x", imported_by="b")
    schedules = store.schedules

    first = schedules.imported_page(org, env, after=None, limit=2)
    second = schedules.imported_page(org, env, after=first[-1].import_id, limit=2)
    third = schedules.imported_page(org, env, after=second[-1].import_id, limit=2)
    assert [m.matter_uno for m in first + second + third] == ["90", "91", "92", "93", "94"]

    other_import = schedules.imported_page(other, other_env, after=None, limit=10)[0].import_id
    schedules.mark_closed_in_both(org, env, [first[1].import_id, third[0].import_id, other_import])
    assert [m.matter_uno for m in schedules.imported_page(org, env, after=None, limit=10)] == ["90", "92", "93"]
    assert [m.work_item_id for m in schedules.imported_page(other, other_env, after=None, limit=10)] == ["wi-x"], (
        "another organisation's import is not marked through this one"
    )


def test_default_teams_are_listed_catch_all_first_and_each_add_is_audited_but_the_demo_set_up(store: Store) -> None:
    org = store.create_organisation("Firm", [])
    env = make_env(store, org)
    for work_type, team_id, team_name in (
        ("matter-litigation", "t1", "Litigation"), ("*", "t2", "Compliance"), ("matter-commercial", "t3", "Commercial"),
    ):
        store.teams.add(org, env, work_type=work_type, team_id=team_id, team_name=team_name, role="reader", actor="admin")
    store.teams.add(org, env, work_type="*", team_id="t4", team_name="Set-up", role="reader", actor="demo set-up", audited=False)
    assert [(t.work_type, t.team_name) for t in store.teams.all(org, env)] == [
        ("*", "Compliance"), ("*", "Set-up"), ("matter-commercial", "Commercial"), ("matter-litigation", "Litigation"),
    ]
    added = [e.data["team_name"] for e in store.audit_events(org) if e.type == "default_team.added"]
    assert sorted(added) == ["Commercial", "Compliance", "Litigation"]


def test_sessions_are_stored_hashed_and_expire(store: Store) -> None:
    org = store.create_organisation("Firm", [])
    env = make_env(store, org)
    record = SessionRecord(org, env, "u1", "user@example.test", "User", "staff", "csrf", datetime.now(UTC) + timedelta(hours=1))
    store.create_session("cookie-value", record)
    assert store.session("cookie-value") == record
    assert store.session("other") is None
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT token_hash FROM websession")).scalar_one() != "cookie-value"
    expired = SessionRecord(org, env, "u2", "u2", "U2", "staff", "c", datetime.now(UTC) - timedelta(seconds=1))
    store.create_session("old", expired)
    assert store.session("old") is None
    assert store.purge_expired_sessions() == 1
    store.delete_session("cookie-value")
    assert store.session("cookie-value") is None


def test_the_migrations_go_down_and_up_again(store: Store) -> None:
    from store.db import alembic_config

    config = alembic_config(store.engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0004")  # through every migration of this release
    command.upgrade(config, "head")
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == ScriptDirectory.from_config(config).get_current_head()
        assert compare_metadata(context, SQLModel.metadata) == []


def test_staff_roles_are_kept_per_environment_and_per_organisation(store: Store) -> None:
    org = store.create_organisation("Firm", ["system-administrator"])
    env = make_env(store, org, staff_roles=["matter-handler", "pilot"])
    other = make_env(store, org, "UAT")
    assert store.environment(org, env).staff_roles == ("matter-handler", "pilot")
    assert store.environment(org, other).staff_roles == ()  # empty: every portal user is staff
    assert store.staff_roles(org) == ()
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE organisation SET staff_roles = :roles WHERE id = :id"), {"roles": '["pilot"]', "id": org})
    assert store.staff_roles(org) == ("pilot",)


def test_migration_0010_adds_empty_staff_roles_to_existing_rows(store: Store) -> None:
    from store.db import alembic_config

    org = store.create_organisation("Firm", [])
    env = make_env(store, org, staff_roles=["pilot"])
    config = alembic_config(store.engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0009")
    with store.engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("environment")}
    assert "staff_roles" not in columns and "admin_roles" in columns
    command.upgrade(config, "head")
    assert store.environment(org, env).staff_roles == () and store.staff_roles(org) == ()
