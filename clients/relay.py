"""Azure Relay hybrid connection SAS tokens for the sender side (reference §1.3).

The token goes in the `ServiceBusAuthorization` header, which the relay strips, so the agent's
own `Authorization` header passes through untouched.
"""

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from urllib.parse import quote

import httpx2

RELAY_HOST_SUFFIX = ".servicebus.windows.net"


def is_relay_url(url: str | httpx2.URL) -> bool:
    """An Azure Relay namespace address (`….servicebus.windows.net`)."""
    return httpx2.URL(url).host.endswith(RELAY_HOST_SUFFIX)


def relay_resource_uri(url: str | httpx2.URL) -> str:
    """`http://{ns}.servicebus.windows.net/{hybrid connection}`: what a token is signed for.

    Normalised as Microsoft's hyco-https does: scheme http; query, fragment and `$hc/` dropped
    (and the port, as Microsoft's Python quick-start signs). On a namespace the first path segment
    is the hybrid connection and the rest is the agent's route. Elsewhere (a relay served under a
    path prefix, like the sandbox's stand-in at `{sandbox}/relay/{hybrid connection}`) the agent
    URL as configured is the hybrid connection's address.
    """
    parsed = httpx2.URL(url)
    segments = [segment for segment in parsed.path.split("/") if segment and segment != "$hc"]
    if is_relay_url(parsed):
        if not segments:
            raise ValueError(f"{parsed.host} has no hybrid connection path")
        segments = segments[:1]
    return f"http://{parsed.host}/" + "/".join(segments)


def sas_token(resource_uri: str, key_name: str, key: str, expiry: int) -> str:
    """A SAS token valid until `expiry` (Unix seconds); the key is used as UTF-8 text, not decoded."""
    encoded_uri = quote(resource_uri, safe="")
    string_to_sign = f"{encoded_uri}\n{expiry}".encode()
    digest = hmac.new(key.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    signature = quote(base64.b64encode(digest).decode("ascii"), safe="")
    return f"SharedAccessSignature sr={encoded_uri}&sig={signature}&se={expiry}&skn={key_name}"


class RelaySigner:
    """Hands out a SAS token for one hybrid connection, renewed shortly before it expires."""

    def __init__(
        self,
        resource_uri: str,
        key_name: str,
        key: str,
        *,
        lifetime: int = 3600,
        renew_before: int = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._resource_uri = resource_uri
        self._key_name = key_name
        self._key = key
        self._lifetime = lifetime
        self._renew_before = renew_before
        self._clock = clock
        self._token = ""
        self._expiry = 0

    def token(self) -> str:
        now = self._clock()
        if now >= self._expiry - self._renew_before:
            self._expiry = int(now) + self._lifetime
            self._token = sas_token(self._resource_uri, self._key_name, self._key, self._expiry)
        return self._token
