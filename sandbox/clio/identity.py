"""The identity server of a sandbox tenant (`{base}/{tenant}/identity`).

Supports the two grants PMS Sync uses: `client_credentials` and `Impersonate.Specified`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.clio.seed import CLIENT_ID, CLIENT_SECRET
from sandbox.clio.tenant import Tenant, UnknownUser
from sandbox.clio.tokens import TOKEN_LIFETIME
from sandbox.clio.web import bearer_token, error

ALLOWED_SCOPES = {"sharedo"}


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """(client id, secret) from HTTP Basic (RFC 6749 §2.3.1, url-encoded parts) or the form."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        return unquote(client_id), unquote(secret)
    return form.get("client_id", ""), form.get("client_secret", "")


class IdentityServer:
    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery, methods=["GET"]),
                Route("/.well-known/openid-configuration/jwks", self.jwks, methods=["GET"]),
                Route("/connect/token", self.token, methods=["POST"]),
                Route("/connect/userinfo", self.userinfo, methods=["GET"]),
            ]
        )

    async def discovery(self, request: Request) -> Response:
        base = self.tenant.identity_url
        return JSONResponse(
            {
                "issuer": base,
                "jwks_uri": f"{base}/.well-known/openid-configuration/jwks",
                "authorization_endpoint": f"{base}/connect/authorize",
                "token_endpoint": f"{base}/connect/token",
                "userinfo_endpoint": f"{base}/connect/userinfo",
                "scopes_supported": ["openid", "profile", "offline_access", "sharedo"],
                "grant_types_supported": ["client_credentials", "Impersonate.Specified"],
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(self.tenant.tokens.jwks())

    async def token(self, request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        client_id, secret = _client_credentials(request, form)
        if client_id != CLIENT_ID or not hmac.compare_digest(secret.encode(), CLIENT_SECRET.encode()):
            return error(401, "invalid_client")
        if not set(form.get("scope", "sharedo").split()) <= ALLOWED_SCOPES:
            return error(400, "invalid_scope")
        grant = form.get("grant_type")
        if grant == "client_credentials":
            token = self.tenant.mint_client_token(client_id=client_id)
        elif grant == "Impersonate.Specified":
            user = self.tenant.state.user_by_username(form.get("impersonate_user", ""))
            if user is None or user.provider != form.get("impersonate_provider"):
                return error(400, "invalid_grant")
            token = self.tenant.mint_user_token(user.username, client_id=client_id)
        else:
            return error(400, "unsupported_grant_type")
        return JSONResponse(
            {"access_token": token, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer", "scope": "sharedo"},
            headers={"Cache-Control": "no-store"},
        )

    async def userinfo(self, request: Request) -> Response:
        """OIDC user info: only for tokens that carry a user."""
        claims = self.tenant.tokens.resolve(bearer_token(request) or "")
        if claims is None:
            return error(401, "invalid_token", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        try:
            user = self.tenant.user(claims.get("sub", ""))
        except UnknownUser:
            return error(403, "insufficient_scope")
        return JSONResponse(
            {
                "sub": user.username,
                "idp": user.provider,
                "sharedo/firstname": user.first_name,
                "sharedo/lastname": user.surname,
            }
        )
