"""`pms-sync env set` and the demo's set-up: checked and audited as Settings → Connections saves an
environment, secrets unprinted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from store.db import make_engine
from store.repository import Store
from store.secrets import SecretBox
from tests.views.conftest import AGENT_KEY as SANDBOX_AGENT_KEY
from tests.views.conftest import SANDBOX, Service
from views.cli import main
from views.demo import DEMO_ACTOR, configure_sandbox_organisation

ORGANISATION = "Harbour Legal"
CLIENT_SECRET = "harbour-client-secret-5e1d"
AGENT_KEY = "harbour-agent-key-77c0"
ARGUMENTS = [
    "--identity-url", "https://harbour-identity.example/", "--api-url", "https://harbour.example",
    "--client-id", "pms-sync", "--agent-url", "https://agent.harbour.example",
    "--portal-origin", "https://harbour.example",
]


@pytest.fixture
def cli_store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    key = SecretBox.generate_key()
    monkeypatch.setenv("PMS_SYNC_DATABASE_URL", database_url)
    monkeypatch.setenv("PMS_SYNC_SECRET_KEYS", key)
    monkeypatch.setenv("PMS_SYNC_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("PMS_SYNC_AGENT_KEY", AGENT_KEY)
    store = Store(make_engine(database_url), SecretBox(key))
    store.create_organisation(ORGANISATION, [])
    yield store
    store.engine.dispose()


def env_set(*arguments: str) -> int:
    return main(["env", "set", ORGANISATION, "Production", *ARGUMENTS, *arguments])


def organisation(store: Store) -> int:
    found = store.organisation_by_name(ORGANISATION)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--api-url", "ftp://harbour.example"], "Clio Operate API URL must be an absolute http(s) URL, e.g. https://example.com."),
        (
            ["--agent-url", "https://harbour.servicebus.windows.net/pms-agent", "--relay-key-name", "proxy-send"],
            "Azure Relay SAS Key is required for an Azure Relay agent URL: the key of that Send rule.",
        ),
    ],
    ids=["a URL that is not http(s)", "a relay without its key"],
)
def test_env_set_refuses_what_the_form_refuses(
    cli_store: Store, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert env_set(*arguments) == 2

    out, err = capsys.readouterr()
    assert out == "" and err == f"pms-sync: Nothing was saved: {message}\n"
    assert CLIENT_SECRET not in err and AGENT_KEY not in err
    org = organisation(cli_store)
    assert cli_store.environments(org) == [] and cli_store.audit_events(org) == []


def test_env_set_writes_the_audit_events_of_the_form(
    cli_store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert env_set("--default", "--import-writes") == 0

    out = capsys.readouterr().out
    assert out.strip().isdigit() and CLIENT_SECRET not in out and AGENT_KEY not in out
    org = organisation(cli_store)
    [env] = cli_store.environments(org)
    assert (env.identity_url, env.client_secret, env.agent_key) == ("https://harbour-identity.example", CLIENT_SECRET, AGENT_KEY)
    assert env.is_default and env.import_writes_enabled and env.portal_origins == ("https://harbour.example",)
    events = list(reversed(cli_store.audit_events(org)))
    assert {e.actor for e in events} == {"pms-sync env set"}
    assert [e.type for e in events[:2]] == ["environment.added", "environment.changed"]
    changed = {e.data["field"]: e.data for e in events if e.type == "environment.changed"}
    assert changed["client_secret"] == {"environment": "Production", "field": "client_secret", "change": "set"}
    assert changed["api_url"]["to"] == "https://harbour.example" and changed["is_default"]["to"] is True
    assert CLIENT_SECRET not in str([e.data for e in events]) and AGENT_KEY not in str([e.data for e in events])

    # Again, as it is: nothing changes. Then a new client id, the secrets unset (kept): one change.
    assert env_set("--default", "--import-writes") == 0
    assert len(cli_store.audit_events(org)) == len(events)
    monkeypatch.delenv("PMS_SYNC_CLIENT_SECRET")
    monkeypatch.delenv("PMS_SYNC_AGENT_KEY")
    assert env_set("--import-writes", "--client-id", "pms-sync-2") == 0
    [latest, *_] = cli_store.audit_events(org)
    assert len(cli_store.audit_events(org)) == len(events) + 1
    assert (latest.actor, latest.data) == (
        "pms-sync env set", {"environment": "Production", "field": "client_id", "from": "pms-sync", "to": "pms-sync-2"}
    )
    [env] = cli_store.environments(org)
    assert (env.client_secret, env.agent_key, env.is_default) == (CLIENT_SECRET, AGENT_KEY, True)


def test_the_demo_set_up_is_audited_once(service: Service) -> None:
    events = service.store.audit_events(service.organisation_id, limit=500)
    added = [e.data["environment"] for e in events if e.type == "environment.added" and e.actor == DEMO_ACTOR]
    assert sorted(added) == ["Production", "UAT"]

    configure_sandbox_organisation(  # as a restarted demo does
        service.store, service.sandbox.state.sandbox.environments(), agent_url=f"{SANDBOX}/aderant", agent_key=SANDBOX_AGENT_KEY
    )

    assert len(service.store.audit_events(service.organisation_id, limit=500)) == len(events)
