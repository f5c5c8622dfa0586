"""Standalone sign-in with OpenID Connect, against a real provider (oidc-provider over loopback)."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from sqlmodel import Session, select

from embed_auth.oidc import FLOW_COOKIE, FlowCookie
from plugin.settings import OidcProviderSettings, Settings
from sandbox.ports import bound_socket, port_of
from store.members import MemberStore
from store.models import AuditEvent, WebSession
from tests.access.conftest import Browser, Service
from tests.views.conftest import SANDBOX
from views.signin import portal_url


@pytest.fixture
def members(oidc_service: Service) -> MemberStore:
    store = MemberStore(oidc_service.store.engine)
    org = oidc_service.organisation_id
    store.add(org, "Ada.Admin@firm.test", "Ada Admin", "administrator", actor="test")
    store.add(org, "staff@firm.test", "Sid Staff", "staff", actor="test")
    store.add(org, "norole@firm.test", "Noel Norole", None, actor="test")
    store.add(org, "upn.user@firm.test", "Una Upn", "staff", actor="test")
    return store


def start(service: Service, provider: str = "alterspective") -> str:
    response = service.client.get(f"/sign-in/{provider}", follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def flow_cookie(service: Service) -> str:
    value = service.client.cookies.get(FLOW_COOKIE)
    assert value
    return value


def put_flow_cookie(service: Service, value: str) -> None:
    service.client.cookies.clear()
    service.client.cookies.set(FLOW_COOKIE, value, domain="testserver.local", path="/sign-in")


def sign_in(service: Service, login: str, provider: str = "alterspective") -> httpx2.Response:
    callback = Browser().log_in(start(service, provider), login)
    return service.client.get(callback, follow_redirects=False)


def sessions(service: Service) -> list[WebSession]:
    with Session(service.store.engine) as session:
        return list(session.exec(select(WebSession)).all())


def events(service: Service, type: str) -> list[AuditEvent]:
    with Session(service.store.engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.type == type).order_by(AuditEvent.id)).all())


def assert_refused(
    service: Service, response: httpx2.Response, words: str, *, organisation_id: int | None = None, sessions_before: int = 0
) -> AuditEvent:
    """The plain refusal page, no session opened, and one audit event that holds no code or token."""
    assert response.status_code == 403, response.text
    assert "Sign-in refused" in response.text and words in response.text.lower()
    assert not any(c.startswith("pms_sync_session=") for c in response.headers.get_list("set-cookie"))
    assert len(sessions(service)) == sessions_before
    [event] = events(service, "sign_in.refused")
    assert event.organisation_id == organisation_id
    assert event.data["method"] == "oidc" and words in event.data["reason"].lower()
    code = parse_qs(urlsplit(str(response.request.url)).query).get("code", [""])[0]
    assert not code or code not in json.dumps(event.data)
    return event


def test_the_sign_in_page_offers_the_configured_providers_with_the_guides_labels(oidc_service: Service) -> None:
    page = oidc_service.client.get("/sign-in")
    assert page.status_code == 200
    assert "Sign in with Alterspective" in page.text and "Sign in with Microsoft Entra ID" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_a_provider_that_is_not_configured_is_not_shown(service: Service, oidc_provider) -> None:  # type: ignore[no-untyped-def]
    runtime = service.client.app.state.runtime  # type: ignore[attr-defined]
    runtime.settings = dataclasses.replace(runtime.settings, oidc_providers=oidc_provider.settings[:1])
    page = service.client.get("/sign-in")
    assert "Sign in with Alterspective" in page.text and "Microsoft Entra ID" not in page.text
    assert service.client.get("/sign-in/entra", follow_redirects=False).status_code == 404


def test_without_providers_the_page_says_sign_in_is_not_set_up(service: Service) -> None:
    page = service.client.get("/sign-in")
    assert page.status_code == 200 and "not set up" in page.text and "Sign in with" not in page.text


def test_the_embed_page_opened_outside_a_frame_links_to_the_portal_and_offers_no_sign_in_that_is_not_set_up(
    service: Service,
) -> None:
    page = service.client.get("/embed").text

    assert "PMS Sync opens inside Clio Operate" in page
    assert f'id="open-portal" href="{SANDBOX}"' in page, "the one portal origin the environments name"
    assert "/sign-in" not in page


def test_the_embed_page_opened_outside_a_frame_offers_each_provider_and_the_configured_portal_page(service: Service) -> None:
    runtime = service.client.app.state.runtime  # type: ignore[attr-defined]
    entra = OidcProviderSettings("entra", "https://login.microsoftonline.com/tenant-id/v2.0", "pms-sync", "secret")
    portal = "https://harbour.sharedo.co.uk/pms-sync"
    runtime.settings = dataclasses.replace(runtime.settings, oidc_providers=(entra,), portal_url=portal)

    embed, sign_in = service.client.get("/embed").text, service.client.get("/sign-in").text

    assert 'href="/sign-in/entra">Sign in with Microsoft Entra ID</a>' in embed and "Alterspective" not in embed
    for page in (embed, sign_in):
        assert f'id="open-portal" href="{portal}"' in page


@pytest.mark.parametrize(
    ("configured", "origins", "linked"),
    [
        ("https://harbour.sharedo.co.uk/pms-sync", ["https://harbour.sharedo.co.uk"], "https://harbour.sharedo.co.uk/pms-sync"),
        ("", ["https://harbour.sharedo.co.uk"], "https://harbour.sharedo.co.uk"),
        ("", ["https://harbour.sharedo.co.uk", "https://uat-harbour.sharedo.co.uk"], None),
        ("", [], None),
    ],
    ids=["configured", "one origin", "several origins", "none"],
)
def test_the_portal_linked_is_the_configured_page_else_the_only_portal_origin(
    configured: str, origins: list[str], linked: str | None
) -> None:
    assert portal_url(Settings(portal_url=configured), origins) == linked


def test_the_redirect_carries_pkce_state_and_nonce_and_no_secret(oidc_service: Service, oidc_provider) -> None:  # type: ignore[no-untyped-def]
    """The authorisation request of OpenID Connect Core 1.0 §3.1.2.1 with PKCE (RFC 7636, S256),
    to the discovery document's `authorization_endpoint`."""
    response = oidc_service.client.get("/sign-in/alterspective", follow_redirects=False)
    url = response.headers["location"]
    assert url.startswith(f"{oidc_provider.issuer}/")
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0] and query["scope"] == ["openid email profile"]
    flow = FlowCookie(oidc_service.store.secrets, secure=False).open(flow_cookie(oidc_service))
    assert flow is not None and flow.state == query["state"][0] and flow.nonce == query["nonce"][0]
    assert flow.verifier not in url and "secret-of" not in url
    [cookie] = response.headers.get_list("set-cookie")
    for attribute in ("HttpOnly", "Path=/sign-in", "SameSite=lax", "Max-Age=600"):
        assert attribute.lower() in cookie.lower()
    assert flow.verifier not in cookie and flow.nonce not in cookie  # encrypted


def test_a_staff_member_signs_in_and_the_dashboard_answers(oidc_service: Service, members: MemberStore) -> None:
    """The code is exchanged at the discovery document's `token_endpoint` (OpenID Connect Core 1.0
    §3.1.3, client secret by HTTP Basic as the provider requires) and the ID token checked (§3.1.3.7)."""
    response = sign_in(oidc_service, "staff@firm.test")
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert any(c.startswith("pms_sync_session=") for c in response.headers.get_list("set-cookie"))
    [session] = sessions(oidc_service)
    assert (session.user_name, session.role, session.environment_id) == ("staff@firm.test", "staff", None)
    assert session.organisation_id == oidc_service.organisation_id
    dashboard = oidc_service.client.get("/")
    assert dashboard.status_code == 200 and "Sid Staff" in dashboard.text and "Find a matter" in dashboard.text
    assert "/settings" not in dashboard.text
    [event] = events(oidc_service, "sign_in.succeeded")
    assert event.actor == "staff@firm.test" and event.data == {"role": "staff", "method": "oidc", "provider": "alterspective"}


def test_an_administrator_member_sees_settings(oidc_service: Service, members: MemberStore) -> None:
    assert sign_in(oidc_service, "admin@firm.test", provider="entra").status_code == 303
    dashboard = oidc_service.client.get("/")
    assert "Ada Admin" in dashboard.text and "Administrator" in dashboard.text
    assert 'href="/settings/connections"' in dashboard.text
    assert oidc_service.client.get("/settings/members").status_code == 200


def test_the_e_mail_may_come_from_preferred_username(oidc_service: Service, members: MemberStore) -> None:
    assert sign_in(oidc_service, "upn-only").status_code == 303
    assert [s.user_name for s in sessions(oidc_service)] == ["upn.user@firm.test"]


def test_someone_who_is_not_a_member_is_refused(oidc_service: Service, members: MemberStore) -> None:
    event = assert_refused(oidc_service, sign_in(oidc_service, "stranger@elsewhere.test"), "not a member of this organisation")
    assert event.actor == "stranger@elsewhere.test"


def test_a_member_without_a_role_is_refused(oidc_service: Service, members: MemberStore) -> None:
    response = sign_in(oidc_service, "norole@firm.test")
    event = assert_refused(oidc_service, response, "no role on pms sync", organisation_id=oidc_service.organisation_id)
    assert event.actor == "norole@firm.test"


def test_an_answer_with_another_state_is_refused_before_its_code_is_used(oidc_service: Service, members: MemberStore) -> None:
    callback = Browser().log_in(start(oidc_service), "staff@firm.test")
    cookie = flow_cookie(oidc_service)
    forged = callback.replace("state=", "state=forged")
    refused = oidc_service.client.get(forged, follow_redirects=False)
    assert_refused(oidc_service, refused, "does not belong to the sign-in you started")
    put_flow_cookie(oidc_service, cookie)
    assert oidc_service.client.get(callback, follow_redirects=False).status_code == 303  # the code was still unused


def test_a_replayed_code_is_refused(oidc_service: Service, members: MemberStore) -> None:
    callback = Browser().log_in(start(oidc_service), "staff@firm.test")
    cookie = flow_cookie(oidc_service)
    assert oidc_service.client.get(callback, follow_redirects=False).status_code == 303
    put_flow_cookie(oidc_service, cookie)  # someone else, with the whole answer and the cookie
    replay = oidc_service.client.get(callback, follow_redirects=False)
    assert_refused(oidc_service, replay, "did not accept the sign-in (invalid_grant)", sessions_before=1)


def test_an_id_token_whose_nonce_does_not_match_is_refused(oidc_service: Service, members: MemberStore) -> None:
    authorize = start(oidc_service)
    cookies = FlowCookie(oidc_service.store.secrets, secure=False)
    flow = cookies.open(flow_cookie(oidc_service))
    assert flow is not None
    put_flow_cookie(oidc_service, cookies.seal(dataclasses.replace(flow, nonce="another-nonce")))
    callback = Browser().log_in(authorize, "staff@firm.test")
    assert_refused(oidc_service, oidc_service.client.get(callback, follow_redirects=False), "id token is not valid")
    assert "nonce" in events(oidc_service, "sign_in.refused")[0].data["reason"]


def test_an_answer_without_the_flow_cookie_is_refused(oidc_service: Service, members: MemberStore) -> None:
    callback = Browser().log_in(start(oidc_service), "staff@firm.test")
    oidc_service.client.cookies.clear()
    assert_refused(oidc_service, oidc_service.client.get(callback, follow_redirects=False), "expired or was started in another")


def test_an_answer_naming_another_issuer_is_refused(oidc_service: Service, members: MemberStore) -> None:
    callback = Browser().log_in(start(oidc_service), "staff@firm.test")
    mixed_up = callback.replace("iss=", "iss=https%3A%2F%2Fevil.example%2F&was=")
    assert_refused(oidc_service, oidc_service.client.get(mixed_up, follow_redirects=False), "another identity provider")


def test_a_provider_error_is_refused(oidc_service: Service, members: MemberStore) -> None:
    start(oidc_service)
    answer = oidc_service.client.get(
        "/sign-in/alterspective/callback?error=access_denied&error_description=<script>", follow_redirects=False
    )
    assert_refused(oidc_service, answer, "did not sign you in (access_denied)")
    assert "<script>" not in answer.text


def test_an_unreachable_provider_is_said_so(service: Service) -> None:
    runtime = service.client.app.state.runtime  # type: ignore[attr-defined]
    with bound_socket() as nothing_listens:  # bound, never listening: a connection to it is refused
        down = OidcProviderSettings("alterspective", f"http://127.0.0.1:{port_of(nothing_listens)}", "client", "secret")
        runtime.settings = dataclasses.replace(runtime.settings, oidc_providers=(down,))
        response = service.client.get("/sign-in/alterspective", follow_redirects=False)
    assert response.status_code == 502 and "could not be reached" in response.text
