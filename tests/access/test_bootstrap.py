"""`pms-sync admin bootstrap ORGANISATION EMAIL [--name NAME]`: the first administrator, idempotently."""

from __future__ import annotations

import pytest

from store.db import make_engine
from store.members import MemberStore
from store.repository import Store
from store.secrets import SecretBox
from views.cli import main


@pytest.fixture
def cli_store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Store:
    key = SecretBox.generate_key()
    monkeypatch.setenv("PMS_SYNC_DATABASE_URL", database_url)
    monkeypatch.setenv("PMS_SYNC_SECRET_KEYS", key)
    store = Store(make_engine(database_url), SecretBox(key))
    yield store  # type: ignore[misc]
    store.engine.dispose()


def test_bootstrap_creates_the_organisation_and_its_administrator_once(
    cli_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["admin", "bootstrap", "Harbour Legal", "Boss@Harbour.example", "--name", "Bo Boss"]) == 0
    first = capsys.readouterr().out
    assert "created organisation 'Harbour Legal'" in first and "boss@harbour.example is now an administrator" in first

    assert main(["admin", "bootstrap", "Harbour Legal", "boss@harbour.example"]) == 0
    again = capsys.readouterr().out
    assert "created" not in again and "boss@harbour.example was already an administrator" in again

    org = cli_store.organisation_by_name("Harbour Legal")
    assert org is not None
    [member] = MemberStore(cli_store.engine).members(org)
    assert (member.email, member.display_name, member.role) == ("boss@harbour.example", "Bo Boss", "administrator")
    [event] = cli_store.audit_events(org)
    assert (event.type, event.actor) == ("member.added", "pms-sync admin bootstrap")


def test_bootstrap_promotes_an_existing_member_of_an_existing_organisation(
    cli_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    org = cli_store.create_organisation("Harbour Legal", [])
    MemberStore(cli_store.engine).add(org, "sid@harbour.example", "Sid", "staff", actor="test")
    assert main(["admin", "bootstrap", "Harbour Legal", "sid@harbour.example"]) == 0
    assert capsys.readouterr().out.strip() == "sid@harbour.example is now an administrator of 'Harbour Legal'"
    assert [m.role for m in MemberStore(cli_store.engine).members(org)] == ["administrator"]
    assert [e.type for e in cli_store.audit_events(org)] == ["member.role_changed", "member.added"]


def test_bootstrap_refuses_what_is_not_an_e_mail_address(cli_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["admin", "bootstrap", "Harbour Legal", "not-an-address"]) == 2
    assert "e-mail address" in capsys.readouterr().err
    assert cli_store.organisation_by_name("Harbour Legal") is None
