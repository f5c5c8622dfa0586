"""The parts of standalone sign-in that need no provider: settings, the flow cookie, the e-mail claim."""

from __future__ import annotations

import httpx2
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc.jwk import ECKey

from embed_auth.host_token import SignInUnavailable
from embed_auth.oidc import FLOW_SECONDS, Flow, FlowCookie, ProviderDocuments, identity_email
from plugin.settings import OidcProviderSettings, Settings
from store.secrets import SecretBox


def test_providers_come_from_the_environment_and_their_secret_is_not_shown() -> None:
    settings = Settings.from_env({
        "PMS_SYNC_OIDC_ENTRA_ISSUER": "https://login.microsoftonline.com/tenant/v2.0",
        "PMS_SYNC_OIDC_ENTRA_CLIENT_ID": "client",
        "PMS_SYNC_OIDC_ENTRA_CLIENT_SECRET": "very-secret",
    })
    assert settings.oidc_providers == (
        OidcProviderSettings("entra", "https://login.microsoftonline.com/tenant/v2.0", "client", "very-secret"),
    )
    assert "very-secret" not in repr(settings)
    assert Settings.from_env({}).oidc_providers == ()


def test_a_provider_with_an_issuer_but_no_client_stops_the_service() -> None:
    with pytest.raises(ValueError, match="PMS_SYNC_OIDC_ALTERSPECTIVE_CLIENT_ID and PMS_SYNC_OIDC_ALTERSPECTIVE_CLIENT_SECRET"):
        Settings.from_env({"PMS_SYNC_OIDC_ALTERSPECTIVE_ISSUER": "https://id.alterspective.test"})


def test_the_flow_cookie_is_sealed_and_short_lived() -> None:
    box = SecretBox(SecretBox.generate_key())
    now = [1_000_000.0]
    cookie = FlowCookie(box, secure=True, clock=lambda: now[0])
    flow = Flow("entra", "state", "nonce", "verifier", started=now[0])
    sealed = cookie.seal(flow)
    assert "verifier" not in sealed and cookie.open(sealed) == flow
    assert cookie.open(sealed[:-4] + "AAAA") is None
    assert FlowCookie(SecretBox(SecretBox.generate_key()), secure=True, clock=lambda: now[0]).open(sealed) is None
    assert cookie.open(box.encrypt('{"provider": "entra"}')) is None
    now[0] += FLOW_SECONDS + 1
    assert cookie.open(sealed) is None


@pytest.mark.parametrize(
    ("claims", "email"),
    [
        ({"email": "Ada@Firm.test", "email_verified": True}, "ada@firm.test"),
        ({"email": "ada@firm.test"}, "ada@firm.test"),
        ({"email": "ada@firm.test", "email_verified": False, "preferred_username": "ada.l@firm.test"}, "ada.l@firm.test"),
        ({"email": "ada@firm.test", "email_verified": False}, None),
        ({"preferred_username": "Ada@Firm.test"}, "ada@firm.test"),
        ({"preferred_username": "ada", "upn": "ada@firm.test"}, "ada@firm.test"),
        ({"preferred_username": "ada"}, None),
        ({}, None),
    ],
)
def test_the_e_mail_that_identifies_the_person(claims: dict, email: str | None) -> None:
    assert identity_email(claims) == email


ISSUER = "https://id.firm.test"


def provider_transport(calls: list[str], *, issuer: str = ISSUER) -> httpx2.MockTransport:
    """Discovery and a key set, counting what is fetched."""
    public_key = ECKey.generate_key("P-256").as_dict(private=False)

    def handle(request: httpx2.Request) -> httpx2.Response:
        calls.append(request.url.path)
        if request.url.path == "/.well-known/openid-configuration":
            return httpx2.Response(200, json={
                "issuer": issuer, "authorization_endpoint": f"{ISSUER}/auth", "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/jwks", "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            })
        return httpx2.Response(200, json={"keys": [public_key]})

    return httpx2.MockTransport(handle)


async def test_discovery_and_keys_are_cached_and_keys_fetched_again_at_most_every_min_refresh() -> None:
    """Discovery at `{issuer}/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4),
    the keys at its `jwks_uri` (§3), fetched again for a new key id (Core 1.0 §10.1.1)."""
    calls: list[str] = []
    now = [0.0]
    documents = ProviderDocuments(ISSUER, ttl=3600, min_refresh=30, clock=lambda: now[0])
    async with AsyncOAuth2Client(transport=provider_transport(calls)) as http:
        await documents.keys(http)
        await documents.keys(http)
        await documents.keys(http, refresh=True)  # an unknown key id, just after a fetch: not again yet
        assert calls == ["/.well-known/openid-configuration", "/jwks"]
        now[0] = 31
        await documents.keys(http, refresh=True)
        assert calls[2:] == ["/jwks"]
        now[0] = 4000
        await documents.keys(http)
        assert calls[3:] == ["/.well-known/openid-configuration", "/jwks"]


async def test_a_discovery_document_naming_another_issuer_is_not_used() -> None:
    """OpenID Connect Discovery 1.0 §4.3: the document's `issuer` must be the issuer it was read for."""
    documents = ProviderDocuments(ISSUER)
    async with AsyncOAuth2Client(transport=provider_transport([], issuer="https://evil.test")) as http:
        with pytest.raises(SignInUnavailable, match="names another issuer"):
            await documents.metadata(http)
