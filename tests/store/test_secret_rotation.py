"""`pms-sync secrets rotate`: every stored secret re-encrypted with the first key, so the old one can go."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from store.db import make_engine
from store.repository import Store
from store.schedules import ScheduleSettings
from store.secrets import SecretBox, SecretKeyError
from tests.environments import save_environment
from views.cli import main

SECRETS = {
    "client_secret": "client-secret-value",
    "agent_key": "agent-key-value",
    "relay_key": "relay-sas-key-value",
    "siem_secret": "siem-secret-value",
}
WEBHOOK = "https://teams.example.test/webhook/rotation-secret"


def secret_columns() -> list:  # type: ignore[type-arg]
    return [c for t in SQLModel.metadata.sorted_tables for c in t.columns if c.name.endswith("_enc")]


def stored_ciphertexts(store: Store) -> dict[str, list[str]]:
    with store.engine.connect() as connection:
        return {
            f"{c.table.name}.{c.name}": sorted(v for v in connection.execute(select(c)).scalars() if v is not None)
            for c in secret_columns()
        }


@pytest.fixture
def old_key() -> str:
    return SecretBox.generate_key()


@pytest.fixture
def old_store(database_url: str, old_key: str) -> Store:
    """A store whose every kind of secret was saved under the old key."""
    store = Store(make_engine(database_url), SecretBox(old_key))
    org = store.create_organisation("Firm", [])
    for name, secrets in (("Production", SECRETS), ("UAT", {"client_secret": "uat-client", "agent_key": "uat-agent"})):
        env_id = save_environment(
            store, org,
            name,
            identity_url=f"https://{name.lower()}-identity.example.test",
            api_url=f"https://{name.lower()}.example.test",
            client_id="pms-sync",
            agent_url="https://agent.example.test",
            relay_key_name="pms-sync" if "relay_key" in secrets else None,
            siem_url="https://siem.example.test" if "siem_secret" in secrets else None,
            **{"client_secret": None, "agent_key": None, **secrets},
        )
        if name == "Production":
            store.schedules.save(ScheduleSettings(org, env_id, enabled=True), actor="test", teams_webhook=WEBHOOK)
    yield store  # type: ignore[misc]
    store.engine.dispose()


def decrypted(store: Store) -> tuple:  # type: ignore[type-arg]
    org = store.organisation_by_name("Firm")
    assert org is not None
    environments = store.environments(org)
    return tuple(
        (e.name, e.client_secret, e.agent_key, e.relay_key, e.siem_secret, store.schedules.schedule(org, e.id).teams_webhook)
        for e in environments
    )


def rotate(database_url: str, keys: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("PMS_SYNC_DATABASE_URL", database_url)
    monkeypatch.setenv("PMS_SYNC_SECRET_KEYS", keys)
    return main(["secrets", "rotate"])


def test_every_secret_column_is_found(old_store: Store) -> None:
    assert set(stored_ciphertexts(old_store)) >= {
        "environment.client_secret_enc",
        "environment.agent_key_enc",
        "environment.relay_key_enc",
        "environment.siem_secret_enc",
        "schedule.teams_webhook_enc",
    }


def test_after_rotation_the_new_key_alone_decrypts_every_secret_unchanged(
    old_store: Store, old_key: str, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = decrypted(old_store)
    assert before == (
        ("Production", *SECRETS.values(), WEBHOOK),
        ("UAT", "uat-client", "uat-agent", None, None, None),
    )
    new_key = SecretBox.generate_key()

    assert rotate(database_url, f"{new_key},{old_key}", monkeypatch) == 0
    assert capsys.readouterr().out.strip() == "re-encrypted 7 secret values with the first key of PMS_SYNC_SECRET_KEYS"

    new_store = Store(old_store.engine, SecretBox(new_key))
    assert decrypted(new_store) == before
    only_new, only_old = SecretBox(new_key), SecretBox(old_key)
    ciphertexts = [v for values in stored_ciphertexts(new_store).values() for v in values]
    assert len(ciphertexts) == 7
    for value in ciphertexts:
        assert only_new.decrypt(value) in {*SECRETS.values(), "uat-client", "uat-agent", WEBHOOK}
        with pytest.raises(SecretKeyError):
            only_old.decrypt(value)

    # Running it again (before or after the old key is retired) is harmless.
    assert rotate(database_url, f"{new_key},{old_key}", monkeypatch) == 0
    assert rotate(database_url, new_key, monkeypatch) == 0
    assert capsys.readouterr().out.count("re-encrypted 7 secret values") == 2
    assert decrypted(new_store) == before


def test_a_secret_no_key_decrypts_stops_the_rotation_and_changes_nothing(
    old_store: Store, old_key: str, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = stored_ciphertexts(old_store)
    new_key = SecretBox.generate_key()
    assert rotate(database_url, new_key, monkeypatch) == 2  # the old key was left out
    assert "cannot be decrypted" in capsys.readouterr().err
    assert stored_ciphertexts(old_store) == before
    assert decrypted(old_store)[0] == ("Production", *SECRETS.values(), WEBHOOK)


def test_rotation_with_nothing_stored(database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert rotate(database_url, SecretBox.generate_key(), monkeypatch) == 0
    assert capsys.readouterr().out.strip() == "re-encrypted 0 secret values with the first key of PMS_SYNC_SECRET_KEYS"


def test_digests_follow_the_first_key_and_those_under_a_removed_key_cannot_be_checked(old_key: str) -> None:
    new_key = SecretBox.generate_key()
    before, during, after = SecretBox(old_key), SecretBox([new_key, old_key]), SecretBox(new_key)
    kept = before.fingerprint()

    assert during.fingerprint() == after.fingerprint() != kept, "new digests are made under the first key"
    checked = during.fingerprint_for(kept.key_id)
    assert checked is not None and checked("Harbour Holdings") == kept("Harbour Holdings")
    assert after.fingerprint_for(kept.key_id) is None, "digests are never re-made: the old key's cannot be checked"
    assert kept("Harbour Holdings") != after.fingerprint()("Harbour Holdings")
