"""The Clio Operate identity server's public documents (OIDC discovery and signing keys)."""

from typing import Any

import httpx2

from clients.clio_routes import DEFAULT_ROUTES, ClioRoutes
from clients.remote import RemoteSystem

SYSTEM = "Clio Operate"


class ClioIdentity:
    """Reads discovery and JWKS for one tenant. No caching here: embed_auth caches."""

    def __init__(
        self,
        *,
        identity_url: str,
        http: httpx2.AsyncClient,
        environment_name: str | None = None,
        timeout: float = 15.0,
        routes: ClioRoutes = DEFAULT_ROUTES,
    ) -> None:
        self._identity_url = identity_url.rstrip("/")
        self._discovery_path = routes.discovery.path
        self._http = http
        self._remote = RemoteSystem(SYSTEM, environment_name or httpx2.URL(identity_url).host, key="identity")
        self._timeout = timeout

    async def discovery(self) -> dict[str, Any]:
        url = self._identity_url + self._discovery_path
        return self._remote.parse(dict, await self._get_json(url, "discovery"))

    async def jwks(self) -> dict[str, Any]:
        """The keys at the discovery document's `jwks_uri` (read from discovery, so not a route)."""
        discovery = await self.discovery()
        jwks_uri = self._remote.parse(lambda document: str(document["jwks_uri"]), discovery)
        return self._remote.parse(dict, await self._get_json(jwks_uri, "jwks"))

    async def _get_json(self, url: str, operation: str) -> Any:
        response = await self._remote.request(self._http, "GET", url, operation=operation, timeout=self._timeout)
        if not response.is_success:
            raise self._remote.status_error(response, auth_hint="check the identity URL", not_found=None)
        return self._remote.json(response)
