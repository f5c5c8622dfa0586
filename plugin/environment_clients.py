"""Clients for an environment's remote systems, built by `clients.remote_clients` on one HTTP connection pool.

Clio Operate clients are kept per environment (and per configuration) so their service token
cache lives across requests; agent clients likewise, so a request does not build one (its relay
signer, its address checks) anew.
"""

from __future__ import annotations

import hashlib
import json

from clients.aderant import AderantAgentClient
from clients.clio_operate import ClioIdentity, ClioOperateClient
from clients.remote_clients import RemoteClients
from clients.teams import TeamsWebhook
from plugin.clio_settings import ClioShapeSettings
from plugin.errors import NotConfigured
from store.repository import EnvironmentSettings


class EnvironmentClients:
    def __init__(self, remote: RemoteClients) -> None:
        self.remote = remote
        self._clio: dict[tuple[int, str], ClioOperateClient] = {}
        self._agents: dict[int, tuple[tuple[str | None, ...], AderantAgentClient]] = {}

    def agent(self, env: EnvironmentSettings) -> AderantAgentClient:
        if not (env.agent_url and env.agent_key):
            raise NotConfigured(f"The Aderant connection of {env.name} is not configured yet: ask your administrator.")
        configured = (env.agent_url, env.agent_key, env.name, env.relay_key_name, env.relay_key)
        kept = self._agents.get(env.id)
        if kept is not None and kept[0] == configured:
            return kept[1]
        client = self.remote.agent(
            base_url=env.agent_url,
            api_key=env.agent_key,
            environment_name=env.name,
            environment_id=env.id,
            relay_key_name=env.relay_key_name,
            relay_key=env.relay_key,
        )
        self._agents[env.id] = (configured, client)
        return client

    def clio(self, env: EnvironmentSettings) -> ClioOperateClient:
        if not (env.api_url and env.client_id and env.client_secret):
            raise NotConfigured(
                f"The Clio Operate connection of {env.name} is not configured yet: ask your administrator."
            )
        shapes = ClioShapeSettings.of(env.clio_settings)
        fingerprint = hashlib.sha256(
            "\n".join(
                (env.identity_url, env.api_url, env.client_id, env.client_secret, json.dumps(shapes.to_json(), sort_keys=True))
            ).encode()
        ).hexdigest()
        key = (env.id, fingerprint)
        if key not in self._clio:
            self._clio = {k: v for k, v in self._clio.items() if k[0] != env.id}
            self._clio[key] = self.remote.clio(
                identity_url=env.identity_url,
                api_url=env.api_url,
                client_id=env.client_id,
                client_secret=env.client_secret,
                environment_name=env.name,
                environment_id=env.id,
                routes=shapes.clio_routes,
                team_search_body=shapes.team_search_body,
            )
        return self._clio[key]

    def teams(self, webhook_url: str, env: EnvironmentSettings) -> TeamsWebhook:
        return self.remote.teams(webhook_url, environment_name=env.name)

    def identity(self, env: EnvironmentSettings) -> ClioIdentity:
        return self.remote.identity(
            identity_url=env.identity_url,
            environment_name=env.name,
            routes=ClioShapeSettings.of(env.clio_settings).clio_routes,
        )
