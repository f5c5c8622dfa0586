"""Standalone sign-in with OpenID Connect: the authorisation code flow with PKCE, state and nonce.

While the person is at the provider, the flow's secrets (state, nonce, PKCE verifier) wait in a
short-lived cookie encrypted with the service's secret keys, never in a URL; the provider's tokens
are never stored or logged. The ID token is checked through Authlib against the provider's keys
(JWKS from its discovery document, cached, fetched again once on an unknown key id) and for
issuer, audience, expiry and nonce. The person is then matched by e-mail to an organisation's
members.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import httpx2
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata, get_well_known_url
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from starlette.requests import Request
from starlette.responses import Response

from embed_auth.host_token import SignInUnavailable
from embed_auth.principal import Principal
from store.members import email_address
from store.repository import Store
from store.secrets import SecretBox, SecretKeyError

SCOPE = "openid email profile"
FLOW_COOKIE = "pms_sync_oidc_flow"
FLOW_PATH = "/sign-in"
FLOW_SECONDS = 600
# Signatures by the provider's published keys only: never "none", never a shared secret.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")

NOT_A_MEMBER = "Your account is not a member of this organisation: ask your administrator to add you."
NO_ROLE = "You have no role on PMS Sync: ask your administrator to give you one."
START_AGAIN = "start again from the sign-in page."


class ProviderConfig(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def issuer(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def client_secret(self) -> str: ...


class SignInRefused(Exception):
    """The sign-in is refused. The message is safe to show and to log: it never holds a token."""

    def __init__(self, message: str, *, organisation_id: int | None = None, actor: str | None = None) -> None:
        super().__init__(message)
        self.organisation_id = organisation_id
        self.actor = actor


@dataclass(frozen=True)
class Flow:
    """One sign-in in progress, from the redirect to the provider until its answer."""

    provider: str
    state: str
    nonce: str
    verifier: str
    started: float


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in, from an ID token that passed every check."""

    email: str
    name: str


class FlowCookie:
    """The flow, encrypted, in a cookie sent back only to ``/sign-in`` and for ten minutes. SameSite=Lax
    so that the browser sends it with the provider's redirect back to us."""

    def __init__(self, box: SecretBox, *, secure: bool, clock: Callable[[], float] = time.time) -> None:
        self._box = box
        self._secure = secure
        self._clock = clock

    def seal(self, flow: Flow) -> str:
        return self._box.encrypt(json.dumps(asdict(flow))) or ""

    def open(self, value: str | None) -> Flow | None:
        if not value:
            return None
        try:
            flow = Flow(**json.loads(self._box.decrypt(value) or ""))
        except (SecretKeyError, ValueError, TypeError):
            return None
        return flow if 0 <= self._clock() - flow.started <= FLOW_SECONDS else None

    def write(self, response: Response, flow: Flow) -> None:
        response.set_cookie(
            FLOW_COOKIE, self.seal(flow), max_age=FLOW_SECONDS, path=FLOW_PATH,
            secure=self._secure, httponly=True, samesite="lax",
        )

    def read(self, request: Request) -> Flow | None:
        return self.open(request.cookies.get(FLOW_COOKIE))

    def clear(self, response: Response) -> None:
        response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, secure=self._secure, httponly=True, samesite="lax")


class ProviderDocuments:
    """The provider's discovery document and signing keys, cached for ``ttl`` seconds. Keys are
    fetched again early on an unknown key id, at most once every ``min_refresh`` seconds."""

    def __init__(
        self, issuer: str, *, ttl: float = 3600.0, min_refresh: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._issuer = issuer
        self._ttl = ttl
        self._min_refresh = min_refresh
        self._clock = clock
        self._lock = asyncio.Lock()
        self._metadata: tuple[float, OpenIDProviderMetadata] | None = None
        self._keys: tuple[float, KeySet] | None = None

    async def metadata(self, http: AsyncOAuth2Client) -> OpenIDProviderMetadata:
        async with self._lock:
            if self._metadata is None or self._due(self._metadata[0], refresh=False):
                metadata = OpenIDProviderMetadata(await _get_json(http, get_well_known_url(self._issuer, external=True)))
                try:
                    metadata.validate()
                except ValueError as exc:
                    raise SignInUnavailable(f"The identity provider's discovery document is not usable ({exc})") from None
                if metadata["issuer"] != self._issuer:
                    raise SignInUnavailable("The identity provider's discovery document names another issuer")
                self._metadata = (self._clock(), metadata)
            return self._metadata[1]

    async def keys(self, http: AsyncOAuth2Client, *, refresh: bool = False) -> KeySet:
        metadata = await self.metadata(http)
        async with self._lock:
            cached = self._keys
            if cached is None or self._due(cached[0], refresh=refresh):
                jwks_uri = metadata["jwks_uri"]  # present: validate() requires it
                if not isinstance(jwks_uri, str):
                    raise SignInUnavailable("The identity provider's discovery document gives its keys' address as no text")
                try:
                    keys = KeySet.import_key_set(await _get_json(http, jwks_uri))
                except (JoseError, ValueError, TypeError) as exc:
                    raise SignInUnavailable(f"The identity provider's keys are not usable ({exc})") from None
                cached = self._keys = (self._clock(), keys)
            return cached[1]

    def _due(self, fetched_at: float, *, refresh: bool) -> bool:
        age = self._clock() - fetched_at
        return age > self._ttl or (refresh and age >= self._min_refresh)


class OidcClient:
    """One configured provider: starts sign-ins and checks what comes back."""

    def __init__(self, config: ProviderConfig, redirect_uri: str, *, timeout: float = 20.0, leeway: int = 60) -> None:
        self.name = config.name
        self._config = config
        self._redirect_uri = redirect_uri
        self._timeout = timeout
        self._leeway = leeway
        self._documents = ProviderDocuments(config.issuer)

    def _http(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self._config.client_id,
            client_secret=self._config.client_secret,
            scope=SCOPE,
            redirect_uri=self._redirect_uri,
            code_challenge_method="S256",
            timeout=self._timeout,
        )

    async def start(self) -> tuple[str, Flow]:
        """The provider's authorisation URL to send the browser to, and the flow to keep until it returns."""
        flow = Flow(self.name, generate_token(32), generate_token(32), generate_token(64), time.time())
        async with self._http() as http:
            metadata = await self._documents.metadata(http)
            url, _ = http.create_authorization_url(
                metadata["authorization_endpoint"], state=flow.state, code_verifier=flow.verifier, nonce=flow.nonce
            )
        return url, flow

    async def finish(self, flow: Flow | None, answer: Mapping[str, str]) -> Identity:
        """Check the provider's answer (the callback's query) against the flow, exchange the code and
        check the ID token."""
        if flow is None or flow.provider != self.name:
            raise SignInRefused(f"This sign-in has expired or was started in another browser: {START_AGAIN}")
        if "error" in answer:
            raise SignInRefused(f"The identity provider did not sign you in ({_code(answer['error'])}): {START_AGAIN}")
        if not hmac.compare_digest(answer.get("state", "").encode(), flow.state.encode()):
            raise SignInRefused(f"This answer does not belong to the sign-in you started (state): {START_AGAIN}")
        if "iss" in answer and answer["iss"] != self._config.issuer:
            raise SignInRefused(f"This answer came from another identity provider (iss): {START_AGAIN}")
        if not answer.get("code"):
            raise SignInRefused(f"The identity provider sent no sign-in code: {START_AGAIN}")
        async with self._http() as http:
            metadata = await self._documents.metadata(http)
            try:
                token = await http.fetch_token(metadata["token_endpoint"], code=answer["code"], code_verifier=flow.verifier)
            except OAuthError as exc:
                refusal = f"The identity provider did not accept the sign-in ({_code(exc.error)}): {START_AGAIN}"
                raise SignInRefused(refusal) from None
            except (httpx2.HTTPError, ValueError):
                raise SignInUnavailable("The identity provider did not answer properly: try again shortly") from None
            claims = await self._id_token(http, metadata, token, flow.nonce)
        email = identity_email(claims)
        if email is None:
            raise SignInRefused("Your account has no e-mail address PMS Sync can match: ask your administrator.")
        return Identity(email=email, name=str(claims.get("name") or ""))

    async def _id_token(
        self, http: AsyncOAuth2Client, metadata: OpenIDProviderMetadata, token: Mapping[str, Any], nonce: str
    ) -> CodeIDToken:
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SignInRefused("The identity provider sent no ID token: ask your administrator to check its set-up.")
        offered = metadata.get("id_token_signing_alg_values_supported")
        algorithms = [a for a in (offered if isinstance(offered, list) and offered else ["RS256"]) if a in ALGORITHMS]
        try:
            try:
                decoded = jwt.decode(id_token, await self._documents.keys(http), algorithms=algorithms)
            except InvalidKeyIdError:
                decoded = jwt.decode(id_token, await self._documents.keys(http, refresh=True), algorithms=algorithms)
            expected = {"iss": self._config.issuer, "aud": self._config.client_id}
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {claim: {"essential": True, "value": value} for claim, value in expected.items()},
                {"nonce": nonce, "client_id": self._config.client_id, "access_token": token.get("access_token")},
            )
            claims.validate(leeway=self._leeway)
        except JoseError as exc:
            refusal = f"The identity provider's ID token is not valid ({exc.description or exc.error}): {START_AGAIN}"
            raise SignInRefused(refusal) from None
        return claims


def identity_email(claims: Mapping[str, Any]) -> str | None:
    """The e-mail to match with members: ``email``, unless the provider says it is unverified, else
    ``preferred_username`` or ``upn`` when it is an e-mail address (Entra ID's usual case)."""
    candidates = [claims.get("preferred_username"), claims.get("upn")]
    if claims.get("email_verified") is not False:
        candidates.insert(0, claims.get("email"))
    return next((email for email in map(email_address, candidates) if email), None)


async def member_principal(store: Store, identity: Identity) -> Principal:
    """The member who signed in, in the first organisation (by id) where they have a role."""
    memberships = await asyncio.to_thread(store.members.memberships, identity.email)
    if not memberships:
        raise SignInRefused(NOT_A_MEMBER, actor=identity.email)
    member = next((m for m in memberships if m.role), memberships[0])
    if member.role is None:
        raise SignInRefused(NO_ROLE, organisation_id=member.organisation_id, actor=identity.email)
    return Principal(
        user_id=identity.email,
        user_name=identity.email,
        display_name=member.display_name or identity.name or identity.email,
        organisation_id=member.organisation_id,
        environment_id=None,
        role=member.role,
    )


async def _get_json(http: AsyncOAuth2Client, url: str) -> Any:
    try:
        response = await http.request("GET", url, withhold_token=True)
        response.raise_for_status()
        return response.json()
    except (httpx2.HTTPError, ValueError):
        raise SignInUnavailable("The identity provider could not be reached: try again shortly") from None


def _code(value: object) -> str:
    """An OAuth error code fit to show: they are short lower-case words; anything else is not echoed."""
    text = str(value)
    return text if len(text) <= 40 and text.replace("_", "").isalpha() else "error"
