"""The authorization code flow of a sandbox identity server: OpenID Connect Core §3.1 with PKCE
(RFC 7636, S256 only), refusing what IdentityServer refuses.

Before the redirect URI is known to belong to the client (unknown client, unregistered redirect URI)
a refusal is shown on the identity server's own page, never sent to the URI (RFC 6749 §4.1.2.1);
after that, refusals go back to the client as `error` and `state`. A code is single-use, bound to
its client, redirect URI and PKCE challenge, and lives `CODE_LIFETIME` seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from sandbox.clio.clients import RegisteredClient
from sandbox.clio.model import User
from sandbox.clio.tokens import Claims

CODE_LIFETIME = 300  # IdentityServer's default AuthorizationCodeLifetime
ID_TOKEN_LIFETIME = 300  # IdentityServer's default IdentityTokenLifetime
SCOPES = frozenset({"openid", "profile", "email", "offline_access", "sharedo"})
PKCE_VALUE = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 §4.1 and §4.2


class NotForTheClient(ValueError):
    """A request the server cannot answer to the client's redirect URI: shown to the person."""


class ClientError(Exception):
    """An OAuth error for the client: at /connect/authorize, sent to its redirect URI; at the token
    endpoint, the JSON answer `{"error", "error_description"}`."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


@dataclass(frozen=True)
class AuthorizationRequest:
    client: RegisteredClient
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str

    def redirect(self, **answer: str) -> str:
        """The client's redirect URI carrying `answer` and the request's state (response_mode=query)."""
        values = {**answer, **({"state": self.state} if self.state is not None else {})}
        separator = "&" if "?" in self.redirect_uri else "?"
        return f"{self.redirect_uri}{separator}{urlencode(values)}"


class RedirectedError(Exception):
    """A refusal sent back to the client's redirect URI."""

    def __init__(self, request: AuthorizationRequest, error: ClientError) -> None:
        super().__init__(str(error))
        self.location = request.redirect(error=error.error, error_description=error.description)


def authorization_request(params: Mapping[str, str], clients: Mapping[str, RegisteredClient]) -> AuthorizationRequest:
    """The checked request; NotForTheClient, or RedirectedError for a refusal the client hears of."""
    client = clients.get(params.get("client_id", ""))
    if client is None:
        raise NotForTheClient("The application that sent you here is not registered with this identity server.")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:
        raise NotForTheClient("The application asked to send you back to an address it has not registered.")
    request = AuthorizationRequest(
        client=client,
        redirect_uri=redirect_uri,
        scopes=tuple(params.get("scope", "").split()),
        state=params.get("state"),
        nonce=params.get("nonce"),
        code_challenge=params.get("code_challenge", ""),
    )
    problem = _problem(params, request)
    if problem is not None:
        raise RedirectedError(request, problem)
    return request


def _problem(params: Mapping[str, str], request: AuthorizationRequest) -> ClientError | None:
    if params.get("response_type") != "code":
        return ClientError("unsupported_response_type", "Only response_type=code is supported")
    if params.get("response_mode", "query") != "query":
        return ClientError("invalid_request", "Only response_mode=query is supported")
    if not request.scopes or not set(request.scopes) <= SCOPES:
        return ClientError("invalid_scope", "Invalid scope")
    if not request.code_challenge:  # the client requires PKCE (IdentityServer's RequirePkce)
        return ClientError("invalid_request", "code challenge required")
    if params.get("code_challenge_method", "plain") != "S256":
        return ClientError("invalid_request", "Transform algorithm not supported")
    if not PKCE_VALUE.fullmatch(request.code_challenge):
        return ClientError("invalid_request", "Invalid code_challenge")
    return None


@dataclass(frozen=True)
class CodeGrant:
    """What a code stands for: the request it answers, who signed in, and when."""

    request: AuthorizationRequest
    username: str
    auth_time: int
    expires_at: float


def pkce_challenge(verifier: str) -> str:
    """BASE64URL(SHA256(ASCII(code_verifier))), RFC 7636 §4.2."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


class AuthorizationCodes:
    """The codes issued and not yet redeemed. `clock` is there for tests of expiry."""

    def __init__(self, *, lifetime: float = CODE_LIFETIME, clock: Callable[[], float] = time.time) -> None:
        self.lifetime = lifetime
        self.clock = clock
        self._grants: dict[str, CodeGrant] = {}

    def issue(self, request: AuthorizationRequest, username: str) -> str:
        now = self.clock()
        self._grants = {code: g for code, g in self._grants.items() if g.expires_at > now}
        code = secrets.token_urlsafe(32)
        self._grants[code] = CodeGrant(request, username, int(now), now + self.lifetime)
        return code

    def redeem(self, code: str, client: RegisteredClient, redirect_uri: str, verifier: str) -> CodeGrant:
        """The grant of `code`, used up whatever the outcome; ClientError("invalid_grant") when it
        is unknown, used, expired, another client's, for another redirect URI or the verifier fails."""
        grant = self._grants.pop(code, None)
        if grant is None:
            raise ClientError("invalid_grant", "The code is unknown or was already used")
        if grant.request.client.client_id != client.client_id:
            raise ClientError("invalid_grant", "The code was issued to another client")
        if self.clock() >= grant.expires_at:
            raise ClientError("invalid_grant", "The code has expired")
        if redirect_uri != grant.request.redirect_uri:
            raise ClientError("invalid_grant", "The redirect_uri differs from the one the code was issued for")
        if not PKCE_VALUE.fullmatch(verifier):
            raise ClientError("invalid_grant", "A valid code_verifier is required")
        if not hmac.compare_digest(pkce_challenge(verifier), grant.request.code_challenge):
            raise ClientError("invalid_grant", "The code_verifier does not match the code_challenge")
        return grant


def at_hash(access_token: str) -> str:
    """The left half of SHA-256 of the access token, base64url (OpenID Connect Core §3.1.3.6)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def id_token_claims(issuer: str, grant: CodeGrant, user: User, access_token: str, *, now: int) -> Claims:
    """An ID token's claims: the user as the portal's tokens name them (`sub`, `idp`, `name` and
    `upn` are the login), their e-mail for the `email` scope, the nonce, and `at_hash`."""
    claims: Claims = {
        "iss": issuer,
        "aud": grant.request.client.client_id,
        "sub": user.username,
        "idp": user.provider,
        "iat": now,
        "nbf": now,
        "exp": now + ID_TOKEN_LIFETIME,
        "auth_time": grant.auth_time,
        "amr": ["pwd"],
        "at_hash": at_hash(access_token),
    }
    if grant.request.nonce is not None:
        claims["nonce"] = grant.request.nonce
    if "profile" in grant.request.scopes:
        claims.update(name=user.username, upn=user.username, given_name=user.first_name, family_name=user.surname)
    if "email" in grant.request.scopes:
        claims.update(email=user.username, email_verified=True)
    return claims
