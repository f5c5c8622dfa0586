"""API key check for every request: ``Authorization: Bearer <key>``, any configured key."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from agent.responses import error_response

log = logging.getLogger(__name__)


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, *, api_keys: Sequence[str]) -> None:
        self.app = app
        self._keys = [key.encode("utf-8") for key in api_keys]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._authorised(Headers(scope=scope)):
            log.warning("refused %s %s: missing or wrong API key", scope["method"], scope["path"])
            response = error_response(
                401, "Missing or wrong API key", {"WWW-Authenticate": "Bearer"}
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _authorised(self, headers: Headers) -> bool:
        scheme, _, presented = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return False
        candidate = presented.strip().encode("utf-8")
        # compare against every key, so the time taken does not tell which key nearly matched
        matches = [hmac.compare_digest(candidate, key) for key in self._keys]
        return any(matches)
