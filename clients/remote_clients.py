"""Every remote system's client, built on one shared HTTP connection pool with one timeout.

The application asks for a client by what it knows of an environment (addresses, keys, names)
and never handles the HTTP client itself.
"""

from __future__ import annotations

import httpx2

from clients.aderant import AderantAgentClient
from clients.clio_identity import ClioIdentity
from clients.clio_operate import ClioOperateClient, TeamSearchBody
from clients.clio_routes import DEFAULT_ROUTES, ClioRoutes
from clients.siem import SiemWebhook
from clients.teams import TeamsWebhook

__all__ = ["RemoteClients"]


class RemoteClients:
    def __init__(self, http: httpx2.AsyncClient, *, timeout: float = 20.0) -> None:
        self._http = http
        self.timeout = timeout

    def agent(
        self,
        *,
        base_url: str,
        api_key: str,
        environment_name: str,
        environment_id: int | None = None,
        relay_key_name: str | None = None,
        relay_key: str | None = None,
    ) -> AderantAgentClient:
        return AderantAgentClient(
            base_url=base_url,
            api_key=api_key,
            environment_name=environment_name,
            environment_id=environment_id,
            http=self._http,
            relay_key_name=relay_key_name,
            relay_key=relay_key,
            timeout=self.timeout,
        )

    def clio(
        self,
        *,
        identity_url: str,
        api_url: str,
        client_id: str,
        client_secret: str,
        environment_name: str,
        environment_id: int | None = None,
        routes: ClioRoutes = DEFAULT_ROUTES,
        team_search_body: TeamSearchBody = "minimal",
    ) -> ClioOperateClient:
        return ClioOperateClient(
            identity_url=identity_url,
            api_url=api_url,
            client_id=client_id,
            client_secret=client_secret,
            environment_name=environment_name,
            environment_id=environment_id,
            http=self._http,
            timeout=self.timeout,
            routes=routes,
            team_search_body=team_search_body,
        )

    def identity(self, *, identity_url: str, environment_name: str | None = None, routes: ClioRoutes = DEFAULT_ROUTES) -> ClioIdentity:
        """Discovery and keys keep the identity client's own (shorter) timeout."""
        return ClioIdentity(identity_url=identity_url, http=self._http, environment_name=environment_name, routes=routes)

    def teams(self, webhook_url: str, *, environment_name: str) -> TeamsWebhook:
        return TeamsWebhook(webhook_url, self._http, environment_name=environment_name, timeout=self.timeout)

    def siem(self, url: str, secret: str, *, environment_name: str) -> SiemWebhook:
        """Raises ValueError when the URL or the signing secret cannot be used."""
        return SiemWebhook(url, secret, self._http, self.timeout, environment_name=environment_name)
