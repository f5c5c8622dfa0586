"""Check a Clio Operate portal token and turn it into a Principal.

A JWT is accepted only if it is signed (RS256 or ES256) by a key of the issuing tenant (JWKS from
its discovery document, cached, refreshed once on an unknown ``kid``), its issuer is the identity
URL of an environment we know, and its audience, expiry, not-before and scope are right. An opaque
("reference") token is resolved by asking the tenant who it belongs to. The token itself is never
logged or stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import jwt

from clients.errors import RemoteAuthError, RemoteError
from embed_auth.portal_access import PortalAccess
from embed_auth.principal import Principal
from store.repository import EnvironmentSettings, Store

if TYPE_CHECKING:
    from clients.clio_operate import ClioIdentity, ClioOperateClient

log = logging.getLogger(__name__)

ALGORITHMS = ("RS256", "ES256")
REQUIRED_SCOPE = "sharedo"


class TokenRejected(Exception):
    """The token is not acceptable. The message is safe to show and to log."""


class SignInUnavailable(Exception):
    """The token could not be checked because a remote system did not answer."""


class JwksCache:
    """Signing keys per identity server; each environment's identity client reads them (its
    discovery route may be overridden)."""

    def __init__(
        self, identity: Callable[[EnvironmentSettings], ClioIdentity], *, min_refresh: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._identity = identity
        self._min_refresh = min_refresh
        self._clock = clock
        self._keys: dict[str, dict[str, jwt.PyJWK]] = {}
        self._fetched_at: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def key(self, env: EnvironmentSettings, kid: str | None) -> jwt.PyJWK:
        keys = self._keys.get(env.identity_url)
        if keys is None or kid not in keys:
            keys = await self._refresh(env)
        if kid not in keys:
            raise TokenRejected("The sign-in token was signed with a key this tenant does not publish.")
        return keys[kid]

    async def _refresh(self, env: EnvironmentSettings) -> dict[str, jwt.PyJWK]:
        issuer = env.identity_url
        async with self._locks.setdefault(issuer, asyncio.Lock()):
            last = self._fetched_at.get(issuer)
            if last is not None and self._clock() - last < self._min_refresh:
                return self._keys.get(issuer, {})
            try:
                document = await self._identity(env).jwks()
            except RemoteError as exc:
                raise SignInUnavailable(f"Your sign-in could not be checked: {exc}") from None
            keys = {}
            for item in document.get("keys", []):
                try:
                    key = jwt.PyJWK(item)
                except jwt.PyJWKError:
                    continue
                if item.get("kid"):
                    keys[item["kid"]] = key
            self._keys[issuer] = keys
            self._fetched_at[issuer] = self._clock()
            return keys


class HostTokenVerifier:
    def __init__(
        self,
        store: Store,
        identity: Callable[[EnvironmentSettings], ClioIdentity],
        clio: Callable[[EnvironmentSettings], ClioOperateClient],
        *,
        leeway: float = 30.0,
        jwks_clock: Callable[[], float] = time.monotonic,
        access: PortalAccess | None = None,
    ) -> None:
        self._store = store
        self._jwks = JwksCache(identity, clock=jwks_clock)
        self._clio = clio
        self._leeway = leeway
        self.access = access or PortalAccess(store)

    async def verify(self, token: str, *, environment_hint: EnvironmentSettings | None = None) -> Principal:
        token = (token or "").strip()
        if not token:
            raise TokenRejected("No sign-in token was received: open PMS Sync from Clio Operate.")
        if token.count(".") != 2:
            return await self._verify_opaque(token, environment_hint)
        env = await self._check_jwt(token)
        return await self._principal(token, env)

    async def _check_jwt(self, token: str) -> EnvironmentSettings:
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise TokenRejected("The sign-in token is malformed.") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise TokenRejected(f"The sign-in token uses an algorithm we do not accept ({algorithm!s:.20}).")
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or not issuer:
            raise TokenRejected("The sign-in token names no issuer.")
        env = await asyncio.to_thread(self._store.environment_by_issuer, issuer)
        if env is None:
            raise TokenRejected("Your Clio Operate tenant is not connected to PMS Sync: ask your administrator.")
        key = await self._jwks.key(env, header.get("kid"))
        try:
            verified = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=f"{env.identity_url}/resources",
                issuer=env.identity_url,
                leeway=self._leeway,
                options={"require": ["iss", "aud", "exp", "nbf", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected("Your sign-in has expired: reload the page in Clio Operate.") from None
        except jwt.ImmatureSignatureError:
            raise TokenRejected("The sign-in token is not valid yet: check the clock, then reload.") from None
        except jwt.InvalidAudienceError:
            raise TokenRejected("The sign-in token was issued for another application.") from None
        except jwt.InvalidIssuerError:
            raise TokenRejected("The sign-in token was issued by another tenant.") from None
        except jwt.InvalidSignatureError:
            raise TokenRejected("The sign-in token's signature is not valid.") from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenRejected(f"The sign-in token lacks the {exc.claim} claim.") from None
        except jwt.PyJWTError:
            raise TokenRejected("The sign-in token is malformed.") from None
        if REQUIRED_SCOPE not in _scopes(verified.get("scope")):
            raise TokenRejected("The sign-in token does not grant access to Clio Operate (scope).")
        return env

    async def _verify_opaque(self, token: str, env: EnvironmentSettings | None) -> Principal:
        if env is None:
            raise TokenRejected("This sign-in token cannot be checked without its environment: open PMS Sync from Clio Operate.")
        return await self._principal(token, env)

    async def _principal(self, token: str, env: EnvironmentSettings) -> Principal:
        try:
            info = await self._clio(env).user_info(token)
        except RemoteAuthError:
            raise TokenRejected(f"Clio Operate ({env.name}) did not accept the sign-in token.") from None
        except RemoteError as exc:
            raise SignInUnavailable(f"Your roles could not be read from Clio Operate: {exc}") from None
        if not info.is_authenticated or not info.user_name:
            raise TokenRejected(f"Clio Operate ({env.name}) did not recognise the user of this token.")
        role = await self.access.role(env, info.user_name, info.roles)  # PortalRefused when they have none
        return Principal(
            user_id=info.user_id or info.user_name,
            user_name=info.user_name,
            display_name=info.full_name or info.user_name,
            organisation_id=env.organisation_id,
            environment_id=env.id,
            role=role,
            identity_provider=info.provider,
        )


def _scopes(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, list):
        return {str(v) for v in value}
    return set()
