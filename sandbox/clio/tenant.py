"""One sandbox Clio Operate tenant: its URLs, its identity (registered clients, token issuer,
authorization codes) and its data."""

from __future__ import annotations

from collections.abc import Sequence

from sandbox.clio.authorize import AuthorizationCodes
from sandbox.clio.clients import registered_clients
from sandbox.clio.model import User
from sandbox.clio.seed import CLIENT_ID, PORTAL_CLIENT_ID, build_state
from sandbox.clio.tokens import (
    TOKEN_LIFETIME,
    SigningKeys,
    TokenIssuer,
    client_claims,
    new_signing_key,
    user_claims,
)


class UnknownUser(LookupError):
    pass


class Tenant:
    def __init__(
        self, name: str, display_name: str, base_url: str, sign_in_redirect_uris: Sequence[str] = (),
        signing_keys: SigningKeys = new_signing_key,
    ) -> None:
        base = base_url.rstrip("/")
        self.name = name
        self.display_name = display_name
        self.identity_url = f"{base}/{name}/identity"
        self.api_url = f"{base}/{name}"
        self.portal_url = f"{base}/{name}/portal/"
        self.clients = registered_clients(sign_in_redirect_uris)
        self.tokens = TokenIssuer(self.identity_url, signing_keys(self.identity_url))
        self.codes = AuthorizationCodes()
        self.state = build_state(name)

    def reset(self) -> None:
        """Restore the seed data. Keys, issued tokens and codes stay valid."""
        self.state = build_state(self.name)

    def user(self, username: str) -> User:
        user = self.state.user_by_username(username)
        if user is None:
            raise UnknownUser(f"No user '{username}' in tenant '{self.name}'")
        return user

    def mint_user_token(
        self,
        username: str,
        *,
        lifetime: int = TOKEN_LIFETIME,
        reference: bool = False,
        client_id: str = PORTAL_CLIENT_ID,
    ) -> str:
        """A token for `username` as the portal would hand it out (or, with another client id, as
        an impersonation grant returns it). A lifetime <= 0 gives an already expired token."""
        return self.tokens.issue(
            user_claims(self.user(username), client_id), lifetime=lifetime, reference=reference
        )

    def mint_client_token(self, *, lifetime: int = TOKEN_LIFETIME, client_id: str = CLIENT_ID) -> str:
        return self.tokens.issue(client_claims(client_id), lifetime=lifetime)
