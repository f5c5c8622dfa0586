"""Microsoft Teams notifications through a Workflows (Power Automate) webhook.

The body wraps an Adaptive Card as a message attachment (reference/relay-teams-siem.md §2.3);
any 2xx (usually 202 with an empty body) is success. The webhook URL is a secret: it carries its
own signature, so it is blanked out of every message.
"""

from __future__ import annotations

from typing import Any

import httpx

from clients.remote import RemoteSystem

SYSTEM = "Microsoft Teams"
MAX_BYTES = 28_000


class TeamsWebhook:
    def __init__(self, url: str, http: httpx.AsyncClient, *, environment_name: str, timeout: float = 15.0) -> None:
        self._url = url
        self._http = http
        self._timeout = timeout
        self._remote = RemoteSystem(SYSTEM, environment_name, secrets=(url,))

    async def post_card(self, card: dict[str, Any]) -> None:
        body = {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
            ],
        }
        response = await self._remote.request(self._http, "POST", self._url, json=body, timeout=self._timeout, follow_redirects=False)
        if not response.is_success:
            raise self._remote.status_error(response, auth_hint="check the Teams webhook URL", not_found=None)
