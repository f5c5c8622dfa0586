"""Access tokens of a sandbox tenant: RS256 JWTs shaped like real portal tokens, and opaque
reference tokens that only the tenant itself can resolve."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from sandbox.clio.model import User

TOKEN_LIFETIME = 900
USER_SCOPES = ["openid", "offline_access", "profile", "sharedo"]
CLIENT_SCOPES = ["sharedo"]
WS_NAME_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"

Claims = dict[str, Any]
SigningKeys = Callable[[str], rsa.RSAPrivateKey]
"""The signing key of the identity server whose issuer URL is given."""


def new_signing_key(issuer: str) -> rsa.RSAPrivateKey:
    """A new 2048-bit RSA key: the sandbox's identity servers get one on every start."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def user_claims(user: User, client_id: str) -> Claims:
    """The claims of a real portal token: the login in `sub`/`name`/`upn`, no e-mail, tenant or roles."""
    return {
        "client_id": client_id,
        "scope": USER_SCOPES,
        "sub": user.username,
        "idp": user.provider,
        "name": user.username,
        WS_NAME_CLAIM: user.username,
        "upn": user.username,
        "sharedo/userid": user.id,
        "auth_time": int(time.time()),
        "amr": ["external"],
    }


def client_claims(client_id: str) -> Claims:
    return {"client_id": client_id, "scope": CLIENT_SCOPES}


def _thumbprint(key: rsa.RSAPublicKey) -> str:
    """A stand-in for an X.509 thumbprint (there is no certificate): SHA-1 of the public key."""
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()


class TokenIssuer:
    """Signs and resolves the tokens of one identity server, with `key`."""

    def __init__(self, issuer: str, key: rsa.RSAPrivateKey) -> None:
        self.issuer = issuer
        self.audience = f"{issuer}/resources"
        self._key = key
        self.key_id = _thumbprint(self._key.public_key())
        self._reference_tokens: dict[str, Claims] = {}
        self._public_key = self._key.public_key()
        self._verified: dict[str, Claims] = {}
        """Tokens whose signature, audience and issuer were checked: only their validity period is
        checked again, so a burst of calls with one token verifies its RS256 signature once."""

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update(kid=self.key_id, x5t=self.key_id, use="sig", alg="RS256")
        return {"keys": [jwk]}

    def issue(self, claims: Claims, *, lifetime: int = TOKEN_LIFETIME, reference: bool = False) -> str:
        """A token carrying `claims`, valid from now for `lifetime` seconds (exp - nbf = lifetime)."""
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            **claims,
            "nbf": now,
            "exp": now + lifetime,
            "debug/issuedAt": datetime.fromtimestamp(now, UTC).isoformat(),
        }
        if reference:
            handle = secrets.token_hex(32)
            self._reference_tokens[handle] = payload
            return handle
        return self.sign(payload)

    def sign(self, payload: Claims) -> str:
        """Sign any payload with this tenant's key: tests use it to forge wrong-audience,
        not-yet-valid or wrong-issuer tokens that are still properly signed."""
        headers = {"typ": "JWT", "kid": self.key_id, "x5t": self.key_id}
        return jwt.encode(payload, self._key, algorithm="RS256", headers=headers)

    def is_reference(self, token: str) -> bool:
        return token in self._reference_tokens

    def resolve(self, token: str) -> Claims | None:
        """The claims of a valid token of this issuer; None when unknown, foreign or expired."""
        payload = self._reference_tokens.get(token) or self._verified.get(token)
        if payload is not None:
            return payload if _in_validity_period(payload) else None
        try:
            claims = jwt.decode(
                token,
                self._public_key,
                algorithms=["RS256"],
                audience=self.audience,
                issuer=self.issuer,
            )
        except jwt.PyJWTError:
            return None
        self._verified[token] = claims
        return claims


def _in_validity_period(payload: Claims) -> bool:
    """`nbf` <= now < `exp`, as PyJWT checks them (either may be missing from a forged token)."""
    now = time.time()
    return payload.get("nbf", now) <= now < payload.get("exp", now + 1)
