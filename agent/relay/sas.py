"""Shared Access Signature tokens for a hybrid connection, and where a relay URL points.

The agent is deployed on its own, so it signs its listener token itself; the service's sender
side has the same few lines in `clients/relay.py`. Both are checked against a token made by
Microsoft's hyco-https `createRelayToken` (tests/relay/test_relay_sas.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

HC_SEGMENT = "$hc"


def sas_token(resource_uri: str, key_name: str, key: str, expiry: int) -> str:
    """`SharedAccessSignature sr=…&sig=…&se=…&skn=…`: HMAC-SHA256 keyed with the key's UTF-8 text
    over `urlencode(resource_uri) + "\\n" + expiry`, as hyco-https `createRelayToken` does."""
    encoded_uri = quote(resource_uri, safe="")
    digest = hmac.new(key.encode("utf-8"), f"{encoded_uri}\n{expiry}".encode(), hashlib.sha256).digest()
    signature = quote(base64.b64encode(digest).decode("ascii"), safe="")
    return f"SharedAccessSignature sr={encoded_uri}&sig={signature}&se={expiry}&skn={key_name}"


@dataclass(frozen=True)
class RelayEndpoint:
    """One hybrid connection as its listener sees it.

    `wss://{namespace}/{path}` (or `…/$hc/{path}`) names it. A relay that lives under a path prefix
    (the sandbox's stand-in) is written with the `$hc` segment after the prefix:
    `ws://127.0.0.1:8001/relay/$hc/aderant`.
    """

    listen_url: str
    """`wss://{namespace}[/prefix]/$hc/{path}?sb-hc-action=listen`: the control channel."""
    resource_uri: str
    """`http://{namespace host}[/prefix]/{path}`: what the listener token is signed for."""
    path: str
    """The hybrid connection's name (its path in the namespace)."""

    @classmethod
    def parse(cls, url: str) -> RelayEndpoint:
        parts = urlsplit(url)
        if parts.scheme not in ("wss", "ws") or not parts.hostname:
            raise ValueError(f"{url!r} is not a relay address: expected wss://{{namespace}}/{{hybrid connection}}")
        segments = [segment for segment in parts.path.split("/") if segment]
        prefix, name = ([], segments)
        if HC_SEGMENT in segments:
            at = segments.index(HC_SEGMENT)
            prefix, name = segments[:at], segments[at + 1 :]
        if not name:
            raise ValueError(f"{url!r} names no hybrid connection: expected wss://{{namespace}}/{{hybrid connection}}")
        listen_path = "/".join([*prefix, HC_SEGMENT, *name])
        return cls(
            listen_url=f"{parts.scheme}://{parts.netloc}/{listen_path}?sb-hc-action=listen",
            resource_uri=f"http://{parts.hostname}/" + "/".join([*prefix, *name]),
            path="/".join(name),
        )
