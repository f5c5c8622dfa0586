"""Settings → Connections pages: add, rename, default, remove, secrets, validation, CSRF, roles, audit."""

from __future__ import annotations

import html

import pytest

from store.schedules import ScheduleSettings
from tests.connections.conftest import (
    ADMIN,
    LIST,
    PRODUCTION,
    STAFF,
    UAT,
    add,
    audit,
    csrf,
    every_stored_value,
    new_environment,
    raw_database_bytes,
    submit,
)
from tests.environments import save_environment
from tests.views.conftest import AGENT_KEY, Service

EDIT_UAT = f"{LIST}/{UAT}"


def names_and_defaults(service: Service) -> list[tuple[str, bool]]:
    return [(e.name, e.is_default) for e in service.store.environments(service.organisation_id)]


def switcher(service: Service) -> list[str]:
    return [e["name"] for e in service.client.get("/api/v1/environments", headers=service.bearer(ADMIN)).json()]


def test_an_administrator_adds_an_environment(admin: Service) -> None:
    response = add(admin)

    assert response.status_code == 303 and response.headers["location"] == f"{LIST}/3?done=added"
    page = admin.client.get(response.headers["location"])
    assert "Environment added" in page.text and "<h1>Training" in page.text
    env = admin.store.environment(admin.organisation_id, 3)
    assert env is not None
    assert (env.identity_url, env.api_url, env.agent_url) == (
        "https://training-identity.example",
        "https://training.example",
        "https://agent.training.example",
    )
    assert (env.agent_key, env.client_secret) == ("training-agent-key-7f3a", "training-client-secret-91bc")
    assert env.portal_origins == ("https://training.example",) and env.admin_roles == ("system-administrator",)
    assert not env.is_default and not env.import_writes_enabled and env.usable
    assert switcher(admin) == ["Production", "UAT", "Training"]
    assert "Training" in admin.client.get(LIST).text


def test_rename_then_set_as_default(admin: Service) -> None:
    renamed = submit(admin, EDIT_UAT, EDIT_UAT, name="Test")
    assert renamed.status_code == 303 and renamed.headers["location"] == f"{EDIT_UAT}?done=saved"

    made_default = submit(admin, LIST, f"{LIST}/{UAT}/default")

    assert made_default.status_code == 303 and made_default.headers["location"] == f"{LIST}?done=default"
    assert names_and_defaults(admin) == [("Production", False), ("Test", True)]
    assert switcher(admin) == ["Production", "Test"]
    assert "Default environment changed." in admin.client.get(made_default.headers["location"]).text
    events = [(e.environment_id, e.data) for e in audit(admin)]
    assert events == [
        (UAT, {"environment": "Test", "field": "name", "from": "UAT", "to": "Test"}),
        (PRODUCTION, {"environment": "Production", "field": "is_default", "from": True, "to": False}),
        (UAT, {"environment": "Test", "field": "is_default", "from": False, "to": True}),
    ]


def test_removing_an_environment_keeps_its_history_and_ends_its_sign_in(admin: Service) -> None:
    staff = admin.bearer(STAFF)
    admin.client.post("/api/v1/matters/82001/import?environment=2", json={}, headers=staff)  # refused: writes off
    (attempt,) = admin.client.get("/api/v1/history?environment=2", headers=staff).json()["items"]

    unconfirmed = submit(admin, EDIT_UAT, f"{EDIT_UAT}/remove")
    assert unconfirmed.status_code == 400 and "Tick the box to confirm that UAT should be removed." in unconfirmed.text
    assert switcher(admin) == ["Production", "UAT"]

    removed = submit(admin, EDIT_UAT, f"{EDIT_UAT}/remove", confirm="yes")

    assert removed.status_code == 303 and removed.headers["location"] == f"{LIST}?done=removed"
    assert "its History is kept" in admin.client.get(removed.headers["location"]).text
    assert switcher(admin) == ["Production"]
    assert admin.client.get(EDIT_UAT).status_code == 404
    stored = admin.store.environment(admin.organisation_id, UAT, include_removed=True)
    assert stored is not None and stored.removed
    detail = admin.client.get(f"/history/{attempt['id']}")
    assert detail.status_code == 200 and "82001" in detail.text and "UAT" in detail.text
    assert admin.sign_in(STAFF, tenant="uat").status_code == 401
    assert [e.data for e in audit(admin, "environment.removed")] == [{"environment": "UAT"}]


def test_removing_the_default_passes_it_on_and_the_last_environment_stays(admin: Service) -> None:
    submit(admin, f"{LIST}/{PRODUCTION}", f"{LIST}/{PRODUCTION}/remove", confirm="yes")
    assert names_and_defaults(admin) == [("UAT", True)]

    last = submit(admin, EDIT_UAT, f"{EDIT_UAT}/remove", confirm="yes")

    assert last.status_code == 400
    assert "UAT is your organisation&#39;s only environment: add another before removing it" in last.text
    assert names_and_defaults(admin) == [("UAT", True)]


def test_secrets_are_stored_encrypted_and_never_sent_back(admin: Service) -> None:
    secrets = {
        "agent_key": "agent-Key-3c1d9",
        "relay_key": "relay-Key-5e8a2",
        "client_secret": "client-Secret-77ab",
        "siem_secret": "whsec_c2llbS1TZWNyZXQtMGYyZTQtYmFzZTY0",
    }
    webhook = "https://firm.webhook.office.com/workflows/teams-Hook-9d4c1"
    relay = {"agent_url": "https://firm.servicebus.windows.net/pms-agent", "relay_key_name": "proxy-send"}
    assert add(admin, siem_url="https://siem.example/hook", **relay, **secrets).status_code == 303
    refused = add(admin, name="", identity_url="https://another-identity.example", **secrets)
    assert refused.status_code == 400
    admin.store.schedules.save(
        ScheduleSettings(admin.organisation_id, PRODUCTION, enabled=True), actor=ADMIN, teams_webhook=webhook
    )
    edit = admin.client.get(f"{LIST}/3")
    tested = admin.client.post(f"{LIST}/3/test", data={"csrf_token": csrf(edit.text)})
    schedule = admin.client.get("/history/schedule")
    assert schedule.status_code == 200 and "A webhook is set" in schedule.text
    pages = [
        refused.text,
        edit.text,
        tested.text,
        admin.client.get(LIST).text,
        admin.client.get(f"{LIST}/1").text,
        schedule.text,
    ]

    everything = every_stored_value(admin)
    raw = raw_database_bytes(admin)  # SQLite: the file itself, WAL and journal included
    assert raw is not None or admin.store.engine.dialect.name == "postgresql"
    for secret in (*secrets.values(), webhook, "sandbox-secret", AGENT_KEY):
        assert not any(secret in page for page in pages), secret
        assert secret not in everything, secret
        assert raw is None or secret.encode() not in raw, secret
    assert raw is None or b"siem.example/hook" in raw  # what is not secret is there to be found
    assert edit.text.count("A value is set.") == 4
    env = admin.store.environment(admin.organisation_id, 3)
    assert env is not None
    assert (env.agent_key, env.relay_key, env.client_secret, env.siem_secret) == tuple(secrets.values())
    assert admin.store.schedules.schedule(admin.organisation_id, PRODUCTION).teams_webhook == webhook


def test_an_empty_secret_field_keeps_it_a_new_value_replaces_it_and_clear_clears_it(admin: Service) -> None:
    def uat():  # type: ignore[no-untyped-def]
        return admin.store.environment(admin.organisation_id, UAT)

    assert submit(admin, EDIT_UAT, EDIT_UAT).status_code == 303
    assert (uat().client_secret, uat().agent_key) == ("sandbox-secret", AGENT_KEY)
    assert audit(admin) == []

    assert submit(admin, EDIT_UAT, EDIT_UAT, client_secret="rotated-Secret-1").status_code == 303
    assert uat().client_secret == "rotated-Secret-1"

    assert submit(admin, EDIT_UAT, EDIT_UAT, clear_agent_key="yes").status_code == 303
    assert uat().agent_key is None
    assert "Missing: Aderant agent key" in admin.client.get(LIST).text

    both = submit(admin, EDIT_UAT, EDIT_UAT, client_secret="another", clear_client_secret="yes")
    assert both.status_code == 400 and "Either type a new Client secret or tick Clear, not both." in both.text
    assert uat().client_secret == "rotated-Secret-1"
    assert [e.data for e in audit(admin)] == [
        {"environment": "UAT", "field": "client_secret", "change": "replaced"},
        {"environment": "UAT", "field": "agent_key", "change": "cleared"},
    ]


def test_each_changed_field_is_an_audit_event_naming_who_changed_it(admin: Service) -> None:
    response = submit(
        admin,
        EDIT_UAT,
        EDIT_UAT,
        api_url="http://sandbox.test/uat/",  # the same URL: not a change
        client_id="pms-sync-uat",
        client_secret="rotated-Secret-2",
        portal_origins="http://sandbox.test\nhttps://portal.example:443",
        import_writes_enabled="yes",
    )

    assert response.status_code == 303
    events = audit(admin)
    assert {(e.actor, e.environment_id, e.organisation_id) for e in events} == {(ADMIN, UAT, admin.organisation_id)}
    assert [e.data for e in events] == [
        {"environment": "UAT", "field": "client_id", "from": "pms-sync", "to": "pms-sync-uat"},
        {
            "environment": "UAT",
            "field": "portal_origins",
            "from": ["http://sandbox.test"],
            "to": ["http://sandbox.test", "https://portal.example"],
        },
        {"environment": "UAT", "field": "import_writes_enabled", "from": False, "to": True},
        {"environment": "UAT", "field": "client_secret", "change": "replaced"},
    ]


def test_an_added_environment_is_audited_field_by_field_with_secrets_redacted(admin: Service) -> None:
    add(admin)

    (added,) = audit(admin, "environment.added")
    assert (added.actor, added.environment_id, added.data) == (ADMIN, 3, {"environment": "Training"})
    changes = {e.data["field"]: e.data for e in audit(admin)}
    assert set(changes) == {
        "name",
        "identity_url",
        "api_url",
        "client_id",
        "agent_url",
        "portal_origins",
        "admin_roles",
        "agent_key",
        "client_secret",
    }
    assert changes["identity_url"] == {
        "environment": "Training",
        "field": "identity_url",
        "from": "",
        "to": "https://training-identity.example",
    }
    assert changes["agent_key"] == {"environment": "Training", "field": "agent_key", "change": "set"}
    assert changes["client_secret"] == {"environment": "Training", "field": "client_secret", "change": "set"}


RELAY_URL = "https://firm.servicebus.windows.net/pms-agent"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Name is required."),
        ({"name": "uat"}, "Your organisation already has an environment named UAT: choose another name."),
        (
            {"identity_url": "training-identity.example"},
            "Clio Operate identity URL must be an absolute http(s) URL, e.g. https://example.com.",
        ),
        ({"api_url": "ftp://training.example"}, "Clio Operate API URL must be an absolute http(s) URL"),
        ({"agent_url": "https://user:pw@agent.example"}, "Aderant agent URL must not contain a user name or password"),
        ({"agent_url": "http://[::1"}, "Aderant agent URL must be an absolute http(s) URL"),
        (
            {"portal_origins": "https://training.example/portal/"},
            "https://training.example/portal/ is not an origin: give the portal's scheme and host only, with no path",
        ),
        (
            {"identity_url": "http://sandbox.test/uat/identity/"},
            "UAT already uses this identity URL. The identity URL is how sign-in finds the organisation and "
            "environment, so it must be unique across all organisations.",
        ),
        ({"agent_url": RELAY_URL, "relay_key": "k"}, "SAS Rule Name is required for an Azure Relay agent URL"),
        ({"agent_url": RELAY_URL, "relay_key_name": "proxy-send"}, "Azure Relay SAS Key is required"),
        (
            {"agent_url": "https://firm.servicebus.windows.net", "relay_key_name": "proxy-send", "relay_key": "k"},
            "Aderant agent URL on Azure Relay must name the hybrid connection",
        ),
        ({"portal_page_url": "training.example/pms-sync"}, "Portal page URL must be an absolute http(s) URL"),
        (
            {"portal_page_url": "https://elsewhere.example/pms-sync"},
            "Portal page URL must be on one of the portal origins: add https://elsewhere.example to Portal origins",
        ),
        ({"siem_url": "https://siem.example/hook"}, "SIEM signing secret is required with a SIEM webhook URL"),
        ({"siem_url": "https://siem.example/hook", "siem_secret": "whsec_%%%"}, "must be base64, optionally prefixed whsec_"),
        ({"siem_url": "https://siem.example/hook", "siem_secret": "plain-Secret-1"}, "must be base64, optionally prefixed whsec_"),
    ],
)
def test_invalid_settings_are_refused_in_plain_words(admin: Service, changes: dict[str, str], message: str) -> None:
    response = add(admin, **changes)

    assert response.status_code == 400
    text = html.unescape(response.text)
    assert "Nothing was saved" in text and message in text
    assert "training-agent-key-7f3a" not in text  # a typed secret is not sent back
    assert f'value="{html.escape(changes.get("name", "Training"))}"' in response.text  # the rest is kept
    assert names_and_defaults(admin) == [("Production", True), ("UAT", False)]
    assert audit(admin, "environment.added") == []


def test_an_identity_url_of_another_organisation_is_refused_and_says_why(admin: Service) -> None:
    other = admin.store.create_organisation("Another firm", ["system-administrator"])
    save_environment(
        admin.store, other,
        "Production",
        identity_url="https://other-identity.example",
        api_url="https://other.example",
        client_id="c",
        client_secret="s",
        agent_url="",
        agent_key=None,
    )

    response = add(admin, identity_url="https://other-identity.example/")

    assert response.status_code == 400
    assert "Another organisation already uses this identity URL." in response.text
    assert "unique across all organisations" in response.text


def test_a_removed_environment_can_be_added_back_under_its_name_and_tenant(admin: Service) -> None:
    removed = admin.store.environment(admin.organisation_id, UAT)
    assert removed is not None
    submit(admin, EDIT_UAT, f"{EDIT_UAT}/remove", confirm="yes")

    response = add(admin, name="UAT", identity_url=removed.identity_url)

    assert response.status_code == 303
    assert names_and_defaults(admin) == [("Production", True), ("UAT", False)]
    [again] = [e for e in admin.store.environments(admin.organisation_id) if e.name == "UAT"]
    assert again.id != UAT and again.identity_url == removed.identity_url


FORMS = [LIST, EDIT_UAT, f"{EDIT_UAT}/default", f"{EDIT_UAT}/remove", f"{EDIT_UAT}/test"]


@pytest.mark.parametrize("action", FORMS)
def test_forms_without_a_valid_csrf_token_are_refused(admin: Service, action: str) -> None:
    admin.calls.clear()
    for token in ({}, {"csrf_token": "forged"}):
        response = admin.client.post(action, data={**new_environment(name="Forged"), "confirm": "yes", **token})
        assert response.status_code == 403 and "This form has expired" in response.text

    assert names_and_defaults(admin) == [("Production", True), ("UAT", False)]
    assert [e.type for e in admin.audit_events()] == ["sign_in.succeeded"]
    assert admin.calls.calls == []  # not even Test connection ran


@pytest.mark.parametrize("action", FORMS)
def test_staff_cannot_change_connections(service: Service, action: str) -> None:
    service.sign_in(STAFF)
    token = csrf(service.client.get("/").text)
    service.calls.clear()

    response = service.client.post(
        action, data={**new_environment(name="Staff"), "confirm": "yes", "csrf_token": token}
    )

    assert response.status_code == 403 and "Only administrators can open Settings" in response.text
    assert names_and_defaults(service) == [("Production", True), ("UAT", False)]
    assert [e.type for e in service.audit_events()] == ["sign_in.succeeded"]
    # UAT's connection is changed by UAT's administrators too, so UAT is asked who they are there; nothing else.
    lookups = ("/uat/api/ods/_search", "/uat/identity/connect/token", "/uat/api/security/userInfo")
    assert [c.path for c in service.calls.calls if c.path not in lookups] == []


def test_staff_cannot_open_connections_and_anonymous_callers_are_sent_to_sign_in(service: Service) -> None:
    assert service.client.get(LIST, follow_redirects=False).headers["location"] == "/embed"
    assert service.client.post(LIST, data={}, follow_redirects=False).headers["location"] == "/embed"
    service.sign_in(STAFF)

    for path in (LIST, EDIT_UAT):
        response = service.client.get(path)
        assert response.status_code == 403 and "Only administrators can open Settings" in response.text
        assert "<form method=\"post\" action=\"/settings/connections" not in response.text
    assert 'href="/settings/connections"' not in service.client.get("/").text


def test_a_rule_name_keeps_a_relay_off_azure_and_a_direct_url_keeps_none(admin: Service) -> None:
    """The sandbox's stand-in relay lives at {sandbox}/relay/aderant: the rule name, not the host,
    says the agent is behind a relay. A direct URL without one keeps no relay key."""
    stand_in = {"agent_url": "http://127.0.0.1:8101/relay/aderant", "relay_key_name": "proxy-send"}
    assert add(admin, **stand_in, relay_key="relay-Key-1b2c").status_code == 303
    env = admin.store.environment(admin.organisation_id, 3)
    assert env is not None and (env.relay_key_name, env.relay_key) == ("proxy-send", "relay-Key-1b2c")

    missing_key = add(admin, name="Training 2", identity_url="https://t2-identity.example", **stand_in)
    assert missing_key.status_code == 400 and "Azure Relay SAS Key is required" in html.unescape(missing_key.text)

    assert add(admin, name="Training 3", identity_url="https://t3-identity.example", relay_key="k").status_code == 303
    direct = admin.store.environment(admin.organisation_id, 4)
    assert direct is not None and (direct.relay_key_name, direct.relay_key) == (None, None)


def test_staff_roles_are_edited_beside_the_administrator_roles_and_audited(admin: Service) -> None:
    page = admin.client.get(EDIT_UAT).text
    assert "Staff roles" in page and "every portal user of this tenant may use PMS Sync as staff" in page
    response = submit(admin, EDIT_UAT, EDIT_UAT, staff_roles="pilot-group\nPilot-Group\nmatter-handler")
    assert response.status_code == 303
    env = admin.store.environment(admin.organisation_id, UAT)
    assert env is not None and env.staff_roles == ("pilot-group", "Pilot-Group", "matter-handler")
    [change] = [e.data for e in audit(admin) if e.data["field"] == "staff_roles"]
    assert change == {"environment": "UAT", "field": "staff_roles", "from": [], "to": ["pilot-group", "Pilot-Group", "matter-handler"]}
    assert "pilot-group\nPilot-Group\nmatter-handler" in html.unescape(admin.client.get(EDIT_UAT).text)
