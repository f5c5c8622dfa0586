"""The clients registered with a sandbox identity server, as an administrator registers them in
Clio Operate (Admin > Integrations > Manage Identity Service: flow type, secret, redirect URLs)."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field

from sandbox.clio.seed import CLIENT_ID, CLIENT_SECRET, SIGN_IN_CLIENT_ID, SIGN_IN_CLIENT_SECRET

AUTHORIZATION_CODE = "authorization_code"
SERVICE_GRANTS = frozenset({"client_credentials", "Impersonate.Specified"})


@dataclass(frozen=True)
class RegisteredClient:
    client_id: str
    secret: str = field(repr=False)
    grant_types: frozenset[str]
    redirect_uris: tuple[str, ...] = ()

    def secret_matches(self, secret: str) -> bool:
        return hmac.compare_digest(secret.encode(), self.secret.encode())


def registered_clients(sign_in_redirect_uris: Sequence[str] = ()) -> dict[str, RegisteredClient]:
    """PMS Sync's service client (client credentials with dynamic impersonation) and its sign-in
    client (authorization code with PKCE), allowed to return only to `sign_in_redirect_uris`."""
    clients = (
        RegisteredClient(CLIENT_ID, CLIENT_SECRET, SERVICE_GRANTS),
        RegisteredClient(
            SIGN_IN_CLIENT_ID, SIGN_IN_CLIENT_SECRET, frozenset({AUTHORIZATION_CODE}), tuple(sign_in_redirect_uris)
        ),
    )
    return {client.client_id: client for client in clients}
