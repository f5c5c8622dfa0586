"""The host token check, with fakes for the tenant's identity server and API (no I/O)."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from clients.clio_models import UserInfo
from clients.errors import RemoteAuthError, RemoteUnavailable
from embed_auth.host_token import HostTokenVerifier, SignInUnavailable, TokenRejected
from store.repository import Store
from tests.environments import save_environment

ISSUER = "https://firm-identity.example.test"


@functools.cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)

OTHER_ISSUER = "https://other-identity.example.test"


@dataclass
class Tenant:
    issuer: str
    keys: dict[str, object] = field(default_factory=dict)  # kid -> private key
    jwks_calls: int = 0

    def add_key(self, kid: str, key: object) -> None:
        self.keys[kid] = key

    def jwks(self) -> dict:
        self.jwks_calls += 1
        out = []
        for kid, key in self.keys.items():
            jwk = json.loads(jwt.algorithms.get_default_algorithms()["RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"].to_jwk(key.public_key()))  # type: ignore[attr-defined]
            out.append({**jwk, "kid": kid})
        return {"keys": out}

    def token(self, kid: str | None = None, alg: str = "RS256", **claims: object) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": f"{self.issuer}/resources",
            "sub": "staff@firm.test",
            "idp": "idsrv",
            "scope": ["openid", "profile", "sharedo"],
            "nbf": now,
            "exp": now + 900,
            "sharedo/userid": "3f0c-user",
        }
        payload.update(claims)
        kid = kid or next(iter(self.keys))
        return jwt.encode({k: v for k, v in payload.items() if v is not None}, self.keys[kid], algorithm=alg, headers={"kid": kid})  # type: ignore[arg-type]


class FakeIdentity:
    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant

    async def jwks(self) -> dict:
        return self.tenant.jwks()


class FakeClio:
    def __init__(self, roles: tuple[str, ...] = ("matter-handler",), error: Exception | None = None) -> None:
        self.roles = roles
        self.error = error
        self.tokens: list[str] = []

    async def user_info(self, token: str) -> UserInfo:
        self.tokens.append(token)
        if self.error:
            raise self.error
        return UserInfo(True, "3f0c-user", "staff@firm.test", "Sam Staff", "idsrv", self.roles, "sharedo")


@pytest.fixture
def tenant() -> Tenant:
    t = Tenant(ISSUER)
    t.add_key("k1", rsa_key("k1"))
    return t


@dataclass
class Clock:
    """Monotonic seconds that move only when a test says so."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def jwks_clock() -> Clock:
    return Clock()


@pytest.fixture
def setup(store: Store, tenant: Tenant, jwks_clock: Clock):  # type: ignore[no-untyped-def]
    org = store.create_organisation("Firm", ["system-administrator"])
    env_id = save_environment(
        store, org, "Production", identity_url=ISSUER, api_url="https://firm.example.test", client_id="c", client_secret="s",
        agent_url="https://agent.example.test", agent_key="k", portal_origins=["https://firm.example.test"],
    )
    other_org = store.create_organisation("Other", [])
    save_environment(
        store, other_org, "Production", identity_url=OTHER_ISSUER, api_url="https://other.example.test", client_id="c",
        client_secret="s", agent_url="https://a.example.test", agent_key="k",
    )
    clio = FakeClio()
    tenants = {ISSUER: tenant, OTHER_ISSUER: Tenant(OTHER_ISSUER)}
    tenants[OTHER_ISSUER].add_key("o1", rsa_key("o1"))
    verifier = HostTokenVerifier(store, lambda env: FakeIdentity(tenants[env.identity_url]), lambda env: clio, jwks_clock=jwks_clock)  # type: ignore[arg-type,return-value]
    return verifier, clio, org, env_id, tenants


async def test_a_good_token_gives_a_principal_of_the_issuing_environment(setup, tenant) -> None:  # type: ignore[no-untyped-def]
    verifier, clio, org, env_id, _ = setup
    principal = await verifier.verify(tenant.token())
    assert (principal.organisation_id, principal.environment_id) == (org, env_id)
    assert principal.user_name == "staff@firm.test" and principal.role == "staff"
    assert clio.tokens, "roles come from userInfo"


async def test_admin_role_comes_from_clio_operate_roles(setup, tenant) -> None:  # type: ignore[no-untyped-def]
    verifier, clio, *_ = setup
    clio.roles = ("matter-handler", "System-Administrator")
    assert (await verifier.verify(tenant.token())).is_admin


async def test_the_environments_admin_roles_make_administrators_of_its_users(setup, tenant, store: Store) -> None:  # type: ignore[no-untyped-def]
    verifier, clio, org, env_id, _ = setup
    save_environment(
        store, org, "Production", identity_url=ISSUER, api_url="https://firm.example.test", client_id="c", client_secret=None,
        agent_url="https://agent.example.test", agent_key=None, portal_origins=["https://firm.example.test"],
        admin_roles=["PMS-Sync-Admin"],
    )
    assert store.admin_roles(org) == ("system-administrator",)  # the role is the environment's alone

    clio.roles = ("matter-handler", "pms-sync-admin")
    administrator = await verifier.verify(tenant.token())
    assert (administrator.environment_id, administrator.role, administrator.is_admin) == (env_id, "administrator", True)

    clio.roles = ("matter-handler",)
    assert (await verifier.verify(tenant.token())).role == "staff"
    # The environment's list replaces the organisation's there: its role alone is not enough.
    clio.roles = ("matter-handler", "system-administrator")
    assert (await verifier.verify(tenant.token())).role == "staff"


async def test_es256_is_accepted(setup, tenant) -> None:  # type: ignore[no-untyped-def]
    verifier, *_ = setup
    tenant.add_key("ec1", ec.generate_private_key(ec.SECP256R1()))
    assert (await verifier.verify(tenant.token(kid="ec1", alg="ES256"))).user_name == "staff@firm.test"


async def test_jwks_is_cached_and_refreshed_on_an_unknown_kid(setup, tenant, jwks_clock: Clock) -> None:  # type: ignore[no-untyped-def]
    verifier, *_ = setup
    await verifier.verify(tenant.token())
    await verifier.verify(tenant.token())
    assert tenant.jwks_calls == 1
    tenant.add_key("k2", rsa_key("k2"))  # the tenant rotates its key
    jwks_clock.now += 29
    with pytest.raises(TokenRejected, match="a key this tenant does not publish"):
        await verifier.verify(tenant.token(kid="k2"))
    assert tenant.jwks_calls == 1, "an unknown key fetches the keys again at most every 30 s"
    jwks_clock.now += 1
    assert (await verifier.verify(tenant.token(kid="k2"))).user_name == "staff@firm.test"
    assert tenant.jwks_calls == 2


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _bad_tokens(tenant: Tenant, tenants: dict) -> dict[str, str]:
    now = int(time.time())
    good = tenant.token()
    header, payload, signature = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    public_pem = tenant.keys["k1"].public_key().public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hs_signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': 'k1'})}.{payload}"
    hs_signature = base64.urlsafe_b64encode(hmac.new(public_pem, hs_signing_input.encode(), hashlib.sha256).digest())
    hs256 = f"{hs_signing_input}.{hs_signature.rstrip(b'=').decode()}"
    stranger = Tenant("https://stranger-identity.example.test")
    stranger.add_key("s1", rsa_key("s1"))
    impostor = Tenant(OTHER_ISSUER)  # claims to be the other tenant, signed with our key
    impostor.keys = {"o1": tenant.keys["k1"]}
    return {
        "no token": "",
        "garbage": "not.a.token",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{payload}.",
        "HS256 signed with the public key": hs256,
        "wrong issuer": impostor.token(),
        "wrong audience": tenant.token(aud="https://elsewhere.example.test/resources"),
        "expired": tenant.token(exp=now - 3600, nbf=now - 4500),
        "not yet valid": tenant.token(nbf=now + 3600, exp=now + 4500),
        "unknown kid": f"{_b64({'alg': 'RS256', 'typ': 'JWT', 'kid': 'nope'})}.{payload}.{signature}",
        "tampered payload": f"{header}.{_b64({**claims, 'sub': 'admin@firm.test'})}.{signature}",
        "missing scope": tenant.token(scope=["openid", "profile"]),
        "tenant we do not know": stranger.token(),
    }


@pytest.mark.parametrize(
    "case",
    ["no token", "garbage", "alg none", "HS256 signed with the public key", "wrong issuer", "wrong audience",
     "expired", "not yet valid", "unknown kid", "tampered payload", "missing scope", "tenant we do not know"],
)
async def test_bad_tokens_are_refused_with_a_plain_reason(setup, tenant, case: str) -> None:  # type: ignore[no-untyped-def]
    verifier, clio, _, _, tenants = setup
    token = _bad_tokens(tenant, tenants)[case]
    with pytest.raises(TokenRejected) as refused:
        await verifier.verify(token)
    message = str(refused.value)
    assert message and (not token or token not in message)
    assert clio.tokens == [], "a refused token never reaches Clio Operate"


async def test_opaque_token_is_resolved_by_the_tenant(setup, store: Store) -> None:  # type: ignore[no-untyped-def]
    verifier, clio, org, env_id, _ = setup
    env = store.environment(org, env_id)
    principal = await verifier.verify("opaque-reference-token", environment_hint=env)
    assert principal.environment_id == env_id and clio.tokens == ["opaque-reference-token"]
    with pytest.raises(TokenRejected):
        await verifier.verify("opaque-reference-token")  # no way to know whom to ask


async def test_opaque_token_refused_by_the_tenant(setup, store: Store) -> None:  # type: ignore[no-untyped-def]
    verifier, clio, org, env_id, _ = setup
    clio.error = RemoteAuthError("Clio Operate", "Production", "401")
    with pytest.raises(TokenRejected):
        await verifier.verify("opaque", environment_hint=store.environment(org, env_id))


async def test_tenant_down_is_not_a_refusal_but_unavailable(setup, tenant) -> None:  # type: ignore[no-untyped-def]
    verifier, clio, *_ = setup
    clio.error = RemoteUnavailable("Clio Operate", "Production", "connection refused")
    with pytest.raises(SignInUnavailable):
        await verifier.verify(tenant.token())
