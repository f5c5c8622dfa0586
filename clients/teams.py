"""Microsoft Teams notifications through a Workflows (Power Automate) webhook.

Shapes from reference/relay-teams-siem.md §2:
- URL (§2.3): the Workflows template "Post to a channel when a webhook request is received" gives
  `https://{env}.{nn}.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/…`
  or, for older flows, `https://prod-{nn}.{region}.logic.azure.com:443/workflows/…`. Office 365
  connector ("Incoming Webhook") URLs, `https://outlook.office.com/webhook/…` and
  `https://{tenant}.webhook.office.com/webhookb2/…` (§2.1), are retired (§2.2) and refused.
- Body (§2.3): `{"type": "message", "attachments": [{"contentType":
  "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content": <AdaptiveCard>}]}`;
  the template posts each attachment's `content` as a card.
- Answer: any 2xx (usually 202 with an empty body) is success.
- Size (§2.1, §2.3): "The message size limit is 28 KB. When the size exceeds 28 KB, you receive an
  error." (MicrosoftDocs/msteams-docs
  msteams-platform/webhooks-and-connectors/how-to/add-incoming-webhook.md). A Workflows webhook
  accepts the request and the flow's post fails later, out of the sender's sight, so a message
  must fit before it is sent: see `fits`.

The webhook URL is a secret: it carries its own signature, so it is blanked out of every message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, urlsplit

import httpx2

from clients.remote import RemoteSystem

__all__ = [
    "MAX_BYTES", "WORKFLOWS_HOST_SUFFIXES", "Card", "CardLink", "CardText", "TeamsWebhook", "fits", "message_body",
    "webhook_url_problem",
]

SYSTEM = "Microsoft Teams"
# 28 KB read as 28,000 bytes of the request body, the stricter reading of "KB".
MAX_BYTES = 28_000
# The hosts of Workflows webhook URLs: the suffixes the reference (§2.3) says to allow-list, the
# last one "if used". The one place to change when Microsoft adds another.
WORKFLOWS_HOST_SUFFIXES = (".environment.api.powerplatform.com", ".logic.azure.com", ".azure-apim.net")
# Retired Office 365 connector URLs (§2.1, §2.2), recognised to say why they are refused.
RETIRED_CONNECTOR_HOSTS = ("outlook.office.com", ".webhook.office.com")
# The demo's stand-in Teams webhook runs on this machine, over plain http.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

HOW_TO_CREATE = (
    "In Teams, add the Workflows app and create a workflow from the template "
    "\"Post to a channel when a webhook request is received\"; paste the URL it gives here."
)


def webhook_url_problem(url: str) -> str | None:
    """Why `url` cannot be the Teams webhook, in plain words; None when it is a Workflows webhook
    URL (or the demo's stand-in on this machine)."""
    try:
        parts = urlsplit(url.strip())
        scheme, host, port = parts.scheme, (parts.hostname or "").lower(), parts.port
    except ValueError:  # a malformed port or IPv6 address
        scheme, host, port = "", "", None
    if scheme == "http" and host in LOOPBACK_HOSTS:
        return None
    if _under(host, RETIRED_CONNECTOR_HOSTS):
        return (
            "This is an Office 365 connector (Incoming Webhook) URL: Microsoft has retired those "
            f"connectors. {HOW_TO_CREATE}"
        )
    if scheme != "https" or port not in (None, 443) or not _under(host, WORKFLOWS_HOST_SUFFIXES):
        hosts = ", ".join(suffix.lstrip(".") for suffix in WORKFLOWS_HOST_SUFFIXES)
        return f"The Teams webhook must be a Workflows webhook URL: https:// on {hosts}. {HOW_TO_CREATE}"
    return None


TextStyle = Literal["title", "heading", "text", "note"]
TEXT_STYLES: dict[TextStyle, dict[str, Any]] = {
    "title": {"size": "Medium", "weight": "Bolder"},
    "heading": {"weight": "Bolder", "spacing": "Medium"},
    "text": {},
    "note": {"isSubtle": True},
}


@dataclass(frozen=True)
class CardText:
    """A block of text, wrapped; Teams renders its Markdown links and "- " lists."""

    text: str
    style: TextStyle = "text"


@dataclass(frozen=True)
class CardLink:
    """A button that opens `url`."""

    title: str
    url: str


@dataclass(frozen=True)
class Card:
    """An Adaptive Card 1.4 (Teams renders at most 1.5, §2.3): blocks of text, then buttons."""

    body: tuple[CardText, ...]
    links: tuple[CardLink, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [{"type": "TextBlock", **TEXT_STYLES[block.style], "wrap": True, "text": block.text} for block in self.body],
            "actions": [{"type": "Action.OpenUrl", "title": link.title, "url": link.url} for link in self.links],
        }


def message_body(card: Card) -> bytes:
    """The exact bytes posted for `card`."""
    message = {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card.to_json()}
        ],
    }
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()


def fits(card: Card) -> bool:
    """Whether `card`, as posted, is within Teams' message size limit."""
    return len(message_body(card)) <= MAX_BYTES


class TeamsWebhook:
    def __init__(self, url: str, http: httpx2.AsyncClient, *, environment_name: str, timeout: float = 15.0) -> None:
        self._url = url
        self._http = http
        self._timeout = timeout
        self._remote = RemoteSystem(SYSTEM, environment_name, secrets=_secrets_of(url), key="teams")

    async def post_card(self, card: Card) -> None:
        response = await self._remote.request(
            self._http,
            "POST",
            self._url,
            operation="post_card",
            content=message_body(card),
            headers={"Content-Type": "application/json"},
            timeout=self._timeout,
            follow_redirects=False,
        )
        if not response.is_success:
            raise self._remote.status_error(response, auth_hint="check the Teams webhook URL", not_found=None)


def _secrets_of(url: str) -> tuple[str, ...]:
    """What to blank out of errors: the URL as given and as sent (httpx2 drops a `:443`), and its
    `sig`, the credential, however the remote quotes the URL."""
    try:
        signatures = [value for name, value in parse_qsl(urlsplit(url).query) if name == "sig"]
        sent = str(httpx2.URL(url))
    except (ValueError, httpx2.InvalidURL):  # malformed: httpx2 refuses to send it anyway
        signatures, sent = [], url
    return (url, sent, *signatures, *(quote(s, safe="") for s in signatures))


def _under(host: str, names: tuple[str, ...]) -> bool:
    """`host` is one of `names`, or under one that starts with a dot."""
    return any(host.endswith(name) if name.startswith(".") else host == name for name in names)
