"""The identity server of a sandbox tenant (`{base}/{tenant}/identity`).

Supports the grants PMS Sync uses: `client_credentials` and `Impersonate.Specified` for its
service client, and `authorization_code` with PKCE (`/connect/authorize`, a sign-in form listing
the tenant's users) for its standalone sign-in (sandbox/clio/authorize.py).
"""

from __future__ import annotations

import base64
import binascii
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from sandbox.clio.authorize import (
    SCOPES,
    AuthorizationRequest,
    ClientError,
    NotForTheClient,
    RedirectedError,
    authorization_request,
    id_token_claims,
)
from sandbox.clio.clients import AUTHORIZATION_CODE, SERVICE_GRANTS, RegisteredClient
from sandbox.clio.tenant import Tenant, UnknownUser
from sandbox.clio.tokens import TOKEN_LIFETIME, user_claims
from sandbox.clio.web import bearer_token, error

SERVICE_SCOPES = {"sharedo"}
# What /connect/authorize reads from the query (GET) or the sign-in form (POST).
AUTHORIZE_PARAMETERS = (
    "client_id", "redirect_uri", "response_type", "response_mode", "scope", "state", "nonce",
    "code_challenge", "code_challenge_method",
)
PAGE_CSP = "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
_templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")


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
                Route("/connect/authorize", self.authorize, methods=["GET", "POST"]),
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
                "scopes_supported": sorted(SCOPES),
                "grant_types_supported": [AUTHORIZATION_CODE, *sorted(SERVICE_GRANTS)],
                "response_types_supported": ["code"],
                "response_modes_supported": ["query"],
                "code_challenge_methods_supported": ["S256"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(self.tenant.tokens.jwks())

    async def authorize(self, request: Request) -> Response:
        """GET: check the request and show the sign-in form; POST: the person's choice, answered
        with a redirect to the client carrying a code (or `access_denied`)."""
        source = request.query_params if request.method == "GET" else await request.form()
        params = {name: str(source[name]) for name in AUTHORIZE_PARAMETERS if name in source}
        try:
            checked = authorization_request(params, self.tenant.clients)
        except NotForTheClient as exc:
            return self._page(request, "authorize_refused.html", 400, message=str(exc))
        except RedirectedError as exc:
            return RedirectResponse(exc.location, status_code=302)
        if request.method == "GET":
            return self._sign_in_form(request, params)
        if "cancel" in source:
            return RedirectResponse(
                checked.redirect(error="access_denied", error_description="The user cancelled the sign-in"), 302
            )
        username = str(source.get("username", ""))
        if self.tenant.state.user_by_username(username) is None:
            return self._sign_in_form(request, params, status=400, message=f"Unknown user {username!r}: choose one below.")
        return RedirectResponse(self._code_redirect(checked, username), status_code=302)

    def _code_redirect(self, checked: AuthorizationRequest, username: str) -> str:
        code = self.tenant.codes.issue(checked, username)
        return checked.redirect(code=code, iss=self.tenant.identity_url)  # iss: RFC 9207, as Duende IdentityServer sends

    def _sign_in_form(self, request: Request, params: dict[str, str], *, status: int = 200, message: str = "") -> Response:
        users = sorted(self.tenant.state.users.values(), key=lambda u: u.username)
        return self._page(request, "authorize.html", status, users=users, params=params, message=message)

    def _page(self, request: Request, template: str, status: int, **context: Any) -> Response:
        portal_path = urlsplit(self.tenant.portal_url).path.rstrip("/")
        return _templates.TemplateResponse(
            request,
            template,
            {"tenant": self.tenant, "portal_path": portal_path, **context},
            status_code=status,
            headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"},
        )

    async def token(self, request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        client_id, secret = _client_credentials(request, form)
        client = self.tenant.clients.get(client_id)
        if client is None or not client.secret_matches(secret):
            return error(401, "invalid_client")
        grant = form.get("grant_type", "")
        if grant not in SERVICE_GRANTS | {AUTHORIZATION_CODE}:
            return error(400, "unsupported_grant_type")
        if grant not in client.grant_types:
            return error(400, "unauthorized_client")
        if grant == AUTHORIZATION_CODE:
            try:
                return self._code_tokens(client, form)
            except ClientError as exc:
                return JSONResponse({"error": exc.error, "error_description": exc.description}, status_code=400)
        if not set(form.get("scope", "sharedo").split()) <= SERVICE_SCOPES:
            return error(400, "invalid_scope")
        if grant == "client_credentials":
            token = self.tenant.mint_client_token(client_id=client_id)
        else:
            user = self.tenant.state.user_by_username(form.get("impersonate_user", ""))
            if user is None or user.provider != form.get("impersonate_provider"):
                return error(400, "invalid_grant")
            token = self.tenant.mint_user_token(user.username, client_id=client_id)
        return _token_response({"access_token": token, "scope": "sharedo"})

    def _code_tokens(self, client: RegisteredClient, form: dict[str, str]) -> Response:
        grant = self.tenant.codes.redeem(
            form.get("code", ""), client, form.get("redirect_uri", ""), form.get("code_verifier", "")
        )
        user = self.tenant.user(grant.username)  # users come from the seed: one who signed in is still there
        scopes = list(grant.request.scopes)
        access_token = self.tenant.tokens.issue({**user_claims(user, client.client_id), "scope": scopes})
        answer = {"access_token": access_token, "scope": " ".join(scopes)}
        if "openid" in scopes:
            claims = id_token_claims(self.tenant.identity_url, grant, user, access_token, now=int(time.time()))
            answer["id_token"] = self.tenant.tokens.sign(claims)
        return _token_response(answer)

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


def _token_response(answer: dict[str, str]) -> Response:
    return JSONResponse(
        {**answer, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"}, headers={"Cache-Control": "no-store"}
    )
