"""Client of a SIEM webhook: one JSON body per POST, signed per Standard Webhooks v1
(reference/relay-teams-siem.md §3.1).

Headers: `webhook-id` (the caller's stable id of the event, the same on every retry so the
receiver can de-duplicate), `webhook-timestamp` (Unix seconds of this attempt) and
`webhook-signature` (`v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`), keyed with the
base64-decoded signing secret (see `signing_key`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx2

from clients.errors import RemoteError, RemoteRejected, RemoteUnavailable
from clients.remote import RemoteSystem

__all__ = ["SiemEvent", "SiemWebhook", "WebhookGone", "retry_after", "sign", "signing_key"]

SYSTEM = "SIEM"
SECRET_PREFIX = "whsec_"
NOT_BASE64 = "The SIEM signing secret must be base64, optionally prefixed whsec_ (as Standard Webhooks shows it)."


@dataclass(frozen=True)
class SiemEvent:
    """One event, posted as Standard Webhooks' `{"type", "timestamp", "data"}`; `id` is its
    `webhook-id`, the same on every retry."""

    id: str
    type: str
    timestamp: datetime
    data: Mapping[str, Any]

    def body(self) -> bytes:
        """Serialised once, so that the bytes signed are the bytes sent."""
        body = {"type": self.type, "timestamp": self.timestamp.isoformat(), "data": dict(self.data)}
        return json.dumps(body, separators=(",", ":")).encode()


class WebhookGone(RemoteRejected):
    """HTTP 410: the receiver says this URL no longer takes events."""


def signing_key(secret: str) -> bytes:
    """The HMAC key: the secret, without its optional `whsec_` prefix, base64-decoded (missing
    padding allowed). That is what the Standard Webhooks reference library does
    (standard-webhooks/standard-webhooks, libraries/python/standardwebhooks/webhooks.py,
    `Webhook.__init__`), so a receiver using any Standard Webhooks library verifies our signatures.

    Stricter than that library, which skips characters outside the base64 alphabet: such a secret
    is refused, as is one that decodes to nothing, rather than signed with a key the SIEM may
    derive differently."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        raise ValueError(NOT_BASE64) from None
    if not key:
        raise ValueError(NOT_BASE64)
    return key


def sign(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def retry_after(error: RemoteError) -> float | None:
    """Seconds the webhook asked us to wait (its `Retry-After`), if it did."""
    return error.retry_after


class SiemWebhook:
    def __init__(
        self,
        url: str,
        secret: str,
        http: httpx2.AsyncClient,
        timeout: float = 20.0,
        *,
        environment_name: str = "this environment",
    ) -> None:
        if not secret:
            raise ValueError("The SIEM webhook has no signing secret: set one in the environment's settings.")
        if _scheme(url) not in ("https", "http"):
            raise ValueError("The SIEM webhook URL is not an https:// address.")
        self._url = url
        self._secret = secret
        self._key = signing_key(secret)
        self._http = http
        self._timeout = timeout
        self._environment = environment_name

    async def deliver(self, event: SiemEvent) -> None:
        """POST `event`, signed. Returns on any 2xx; raises a RemoteError otherwise."""
        payload, webhook_id = event.body(), event.id
        timestamp = int(time.time())
        signature = sign(self._key, webhook_id, timestamp, payload)
        # Blanked out of anything the webhook says back, with or without their prefixes.
        secrets = (self._secret.removeprefix(SECRET_PREFIX), signature.partition(",")[2])
        remote = RemoteSystem(SYSTEM, self._environment, secrets=secrets, key="siem")
        response = await remote.request(
            self._http,
            "POST",
            self._url,
            operation="deliver",
            content=payload,
            headers={
                "Content-Type": "application/json",
                "webhook-id": webhook_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": signature,
            },
            timeout=self._timeout,
            follow_redirects=False,
        )
        if not response.is_success:
            raise self._error(remote, response)

    def _error(self, remote: RemoteSystem, response: httpx2.Response) -> RemoteError:
        status = response.status_code
        error: RemoteError
        if 300 <= status < 400:
            detail = f"it answered HTTP {status}, a redirect, which is not followed: set the URL it points to"
            error = RemoteRejected(SYSTEM, self._environment, detail)
        elif status == 410:
            detail = f"it no longer accepts events (HTTP 410: {remote.message(response)})"
            error = WebhookGone(SYSTEM, self._environment, detail)
        elif status == 429:
            detail = f"it asked us to slow down (HTTP 429: {remote.message(response)})"
            error = RemoteUnavailable(SYSTEM, self._environment, detail)
        else:
            error = remote.status_error(response, auth_hint="check the webhook's signing secret", not_found=None)
        error.retry_after = _parse_retry_after(response.headers.get("Retry-After"))
        return error


def _scheme(url: str) -> str:
    try:
        return httpx2.URL(url).scheme
    except httpx2.InvalidURL:
        return ""


def _parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` is either whole seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - time.time())
