"""Embedded sign-in over HTTP: tokens, sessions, cookies, framing."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import time

import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import event
from starlette.testclient import TestClient

from sandbox.clio.tenant import Tenant
from tests.views.conftest import SANDBOX, SERVICE, Service
from views.app import create_app


def test_a_portal_token_opens_a_session(service: Service) -> None:
    response = service.sign_in("staff@sandbox.test")
    assert response.status_code == 200 and response.json()["redirect"].startswith("/?environment=")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "pms_sync_session=" in cookie
    page = service.client.get("/")
    assert page.status_code == 200 and "Find a matter" in page.text and "Sam Staff" in page.text
    assert "Administrator" not in page.text


def test_the_session_cookie_works_in_a_cross_site_iframe_when_secure(service: Service) -> None:
    assert service.settings is not None
    production = dataclasses.replace(service.settings, cookie_secure=True)  # as in production
    app = create_app(production, transport=httpx2.ASGITransport(app=service.sandbox))
    with TestClient(app, base_url=SERVICE) as client:
        signed_in = client.post("/embed/session", json={"token": service.token(), "portal_origin": SANDBOX})
    assert signed_in.status_code == 200, signed_in.text
    cookie = signed_in.headers["set-cookie"]
    for attribute in ("Secure", "SameSite=None", "Partitioned", "HttpOnly", "Path=/"):
        assert attribute in cookie


def test_administrator_role_comes_from_clio_operate_roles(service: Service) -> None:
    service.sign_in("admin@sandbox.test")
    assert "Administrator" in service.client.get("/").text


def test_an_opaque_token_is_resolved_through_the_portal_that_framed_us(service: Service) -> None:
    token = service.token(reference=True)
    assert token.count(".") != 2
    response = service.client.post("/embed/session", json={"token": token, "portal_origin": SANDBOX})
    assert response.status_code == 200
    assert service.client.get("/").status_code == 200


def test_embed_page_is_framed_only_by_known_portals_and_hands_no_token_in_urls(service: Service) -> None:
    response = service.client.get("/embed")
    assert response.status_code == 200
    assert f"frame-ancestors {SANDBOX}" in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_signed_in_pages_are_framed_only_by_the_organisations_portals(service: Service) -> None:
    service.sign_in()
    csp = service.client.get("/").headers["content-security-policy"]
    assert csp.endswith(f"frame-ancestors {SANDBOX}")


def test_pages_without_a_session_go_to_the_sign_in_page(service: Service) -> None:
    response = service.client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/embed"


def _b64_bytes(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64(data: dict) -> str:
    return _b64_bytes(json.dumps(data).encode())


def _bad_tokens(service: Service) -> dict[str, str]:
    good = service.token()
    header, payload, signature = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    issuer = service.tenant().tokens
    stranger = Tenant("stranger", "Stranger", "http://stranger.test")
    public_pem = jwt.PyJWK(issuer.jwks()["keys"][0]).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hs_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': issuer.key_id})}.{payload}"
    hs_signature = _b64_bytes(hmac.new(public_pem, hs_input.encode(), hashlib.sha256).digest())
    now = int(time.time())
    return {
        "HS256 signed with the public key": f"{hs_input}.{hs_signature}",
        "wrong issuer": issuer.sign({**claims, "iss": service.tenant("uat").identity_url, "aud": f"{service.tenant('uat').identity_url}/resources"}),
        "wrong audience": issuer.sign({**claims, "aud": "https://elsewhere.test/resources"}),
        "not yet valid": issuer.sign({**claims, "nbf": now + 3600, "exp": now + 4500}),
        "missing scope": issuer.sign({**claims, "scope": ["openid"]}),
        "no token": "",
        "garbage": "garbage.garbage.garbage",
        "alg none": "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + payload + ".",
        "expired": service.token(lifetime=0),
        "tampered payload": f"{header}.{payload[:-4]}AAAA.{signature}",
        "unknown tenant": stranger.mint_user_token("staff@sandbox.test"),
        "unknown kid": f"{header[:-2]}xx.{payload}.{signature}",
    }


@pytest.mark.parametrize(
    "case",
    ["no token", "garbage", "alg none", "HS256 signed with the public key", "wrong issuer", "wrong audience",
     "expired", "not yet valid", "unknown kid", "tampered payload", "missing scope", "unknown tenant"],
)
def test_bad_tokens_get_401_and_no_session(service: Service, case: str, caplog: pytest.LogCaptureFixture) -> None:
    token = _bad_tokens(service)[case]
    response = service.client.post("/embed/session", json={"token": token, "portal_origin": "https://elsewhere.test"})
    assert response.status_code == 401, response.text
    assert response.json()["error"] and "set-cookie" not in response.headers
    api = service.client.get("/api/v1/environments", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401 and api.json()["error"]
    assert service.client.get("/", follow_redirects=False).status_code == 303
    if token:
        assert token not in caplog.text and token not in response.text


def test_a_token_of_a_tenant_we_do_not_know_says_so(service: Service) -> None:
    token = Tenant("stranger", "Stranger", "http://stranger.test").mint_user_token("staff@sandbox.test")
    response = service.client.post("/embed/session", json={"token": token})
    assert "not connected to PMS Sync" in response.json()["error"]


def test_sign_in_wants_json_from_our_own_origin(service: Service) -> None:
    token = service.token()
    assert service.client.post("/embed/session", data={"token": token}).status_code == 415
    foreign = service.client.post("/embed/session", json={"token": token}, headers={"Origin": "https://evil.test"})
    assert foreign.status_code == 403 and "set-cookie" not in foreign.headers


def test_sign_out_needs_the_csrf_token(service: Service) -> None:
    service.sign_in()
    assert service.client.post("/sign-out", data={}).status_code == 403
    assert service.client.get("/").status_code == 200, "still signed in"
    csrf = service.client.get("/").text.split('name="csrf_token" value="')[1].split('"')[0]
    response = service.client.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert service.client.get("/", follow_redirects=False).status_code == 303


def test_refusals_and_sign_ins_are_audited_without_the_token(service: Service) -> None:
    service.client.post("/embed/session", json={"token": "garbage.garbage.garbage"})
    token = service.token()
    service.client.post("/embed/session", json={"token": token})
    refused = service.store.audit_events(None)
    signed_in = service.audit_events()
    assert [e.type for e in refused] == ["sign_in.refused"]
    assert [e.type for e in signed_in] == ["sign_in.succeeded"] and signed_in[0].actor == "staff@sandbox.test"
    assert token not in str([e.data for e in refused + signed_in])


def test_a_refusal_at_a_known_portal_is_audited_for_its_environment(service: Service) -> None:
    """So the firm's SIEM, which hears of an environment's events, hears of it too."""
    expired = service.token(lifetime=-600)
    response = service.client.post("/embed/session", json={"token": expired, "portal_origin": SANDBOX})
    assert response.status_code == 401
    [refused] = service.audit_events()
    assert (refused.type, refused.environment_id) == ("sign_in.refused", 1)
    assert "expired" in refused.data["reason"] and expired not in str(refused.data)


def test_a_form_post_looks_the_session_up_once(service: Service) -> None:
    """The CSRF check and the page both need the caller: one store read serves both."""
    service.sign_in("admin@sandbox.test")
    page = service.client.get("/settings/members").text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    session_reads = []

    def count_session_reads(conn, cursor, statement: str, *args: object) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "FROM websession" in statement:
            session_reads.append(statement)

    engine = service.client.app.state.runtime.services.store.engine  # the app's own connections
    event.listen(engine, "before_cursor_execute", count_session_reads)
    try:
        response = service.client.post(
            "/settings/members", data={"csrf_token": csrf, "email": "new@firm.test", "display_name": "New", "role": "staff"},
            follow_redirects=False,
        )
    finally:
        event.remove(engine, "before_cursor_execute", count_session_reads)
    assert response.status_code == 303
    assert len(session_reads) == 1
