"""API key check for every request: ``Authorization: Bearer <key>``, any configured key."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Collection, Sequence

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from agent.responses import error_response

log = logging.getLogger(__name__)


class ApiKeyMiddleware:
    def __init__(
        self, app: ASGIApp, *, api_keys: Sequence[str], open_paths: Collection[str] = ()
    ) -> None:
        self.app = app
        self._keys = list(api_keys)
        self._open_paths = frozenset(open_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and _route_path(scope) not in self._open_paths
            and not bearer_matches(Headers(scope=scope).get("authorization", ""), self._keys)
        ):
            log.warning("refused %s %s: missing or wrong API key", scope["method"], scope["path"])
            response = error_response(
                401, "Missing or wrong API key", {"WWW-Authenticate": "Bearer"}
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _route_path(scope: Scope) -> str:
    """The path within this app: without the prefix it is mounted under (``root_path``)."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def bearer_matches(authorization: str, secrets: Sequence[str]) -> bool:
    """Whether an ``Authorization`` header carries one of ``secrets`` as a bearer token."""
    scheme, _, presented = authorization.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return False
    candidate = presented.strip().encode("utf-8")
    # compare in constant time against every secret, so the time taken does not tell which nearly matched
    matches = [hmac.compare_digest(candidate, secret.encode("utf-8")) for secret in secrets]
    return any(matches)
