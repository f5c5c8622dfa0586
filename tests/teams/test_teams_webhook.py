"""The Teams webhook client: which URLs it takes, and the message it posts.

Shapes from reference/relay-teams-siem.md §2: the Workflows URL shapes and host allow-list (§2.3,
from public samples), the retired Office 365 connector URLs (§2.1, go-teams-notify README;
retirement §2.2), and the message envelope (§2.3; MicrosoftDocs/msteams-docs
msteams-platform/webhooks-and-connectors/how-to/add-incoming-webhook.md shows the same
`{"type": "message", "attachments": [...]}` with an Adaptive Card).
"""

from __future__ import annotations

import json

import httpx2
import pytest

from clients.errors import RemoteRejected, RemoteUnavailable
from clients.teams import MAX_BYTES, Card, CardLink, CardText, TeamsWebhook, fits, message_body, webhook_url_problem

# The two shapes the reference gives (§2.3), with made-up ids and signatures.
POWER_PLATFORM = (
    "https://default0f1e2d3c4b5a69788796a5b4c3d2e1f0.0f.environment.api.powerplatform.com:443/powerautomate/"
    "automations/direct/workflows/5b1f0c2e7a9d4e3f8c6b1a2d3e4f5a6b/triggers/manual/paths/invoke"
    "?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=sIgNaTuRe-0123456789"
)
LOGIC_APPS = (
    "https://prod-27.australiaeast.logic.azure.com:443/workflows/0a1b2c3d4e5f/triggers/manual/paths/invoke"
    "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=sIgNaTuRe-0123456789"
)
CARD = Card((CardText("Hello", "title"), CardText("- one\n- two")), (CardLink("Open", "https://pms-sync.example.test/"),))


@pytest.mark.parametrize(
    "url",
    [
        POWER_PLATFORM,
        POWER_PLATFORM.replace(":443", ""),
        LOGIC_APPS,
        "https://example.azure-apim.net/invoke?sig=x",  # the third suffix the reference names, "if used"
        "http://127.0.0.1:8001/teams/pms-sync",  # the demo's stand-in
        "http://localhost:8001/teams/pms-sync",
    ],
)
def test_workflows_urls_and_the_demo_stand_in_are_taken(url: str) -> None:
    assert webhook_url_problem(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://outlook.office.com/webhook/0a1b@2c3d/IncomingWebhook/4e5f/6a7b",
        "https://harbourlegal.webhook.office.com/webhookb2/0a1b@2c3d/IncomingWebhook/4e5f/6a7b",
    ],
)
def test_office_365_connector_urls_are_refused_as_retired_with_how_to_replace_them(url: str) -> None:
    problem = webhook_url_problem(url) or ""
    assert "Office 365 connector" in problem and "retired" in problem
    assert 'the template "Post to a channel when a webhook request is received"' in problem
    assert url not in problem


@pytest.mark.parametrize(
    "url",
    [
        POWER_PLATFORM.replace("https://", "http://"),  # the signature would travel in clear
        LOGIC_APPS.replace(":443", ":8443"),
        "https://prod-27.australiaeast.logic.azure.com.attacker.test/workflows/x",
        "https://notlogic.azure.com/workflows/x",
        "https://logic.azure.com/workflows/x",
        "https://teams.example.test/workflows/secret-signature",
        "http://10.0.0.5:8001/teams/pms-sync",  # plain http only to this machine
        "https://[::1/teams",
        "not a url",
    ],
)
def test_any_other_url_is_refused_naming_the_accepted_hosts(url: str) -> None:
    problem = webhook_url_problem(url) or ""
    assert problem.startswith("The Teams webhook must be a Workflows webhook URL: https:// on ")
    assert "environment.api.powerplatform.com, logic.azure.com" in problem
    assert "Post to a channel when a webhook request is received" in problem


async def test_posts_the_workflows_envelope_and_takes_202_with_an_empty_body() -> None:
    received: list[httpx2.Request] = []

    def workflows(request: httpx2.Request) -> httpx2.Response:
        received.append(request)
        return httpx2.Response(202)

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(workflows)) as http:
        await TeamsWebhook(POWER_PLATFORM, http, environment_name="Production").post_card(CARD)

    [request] = received
    assert request.method == "POST" and request.url == httpx2.URL(POWER_PLATFORM)
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [
                {"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": True, "text": "Hello"},
                {"type": "TextBlock", "wrap": True, "text": "- one\n- two"},
            ],
            "actions": [{"type": "Action.OpenUrl", "title": "Open", "url": "https://pms-sync.example.test/"}],
        }}],
    }
    assert request.content == message_body(CARD), "the bytes measured are the bytes sent"


@pytest.mark.parametrize(("status", "error"), [(413, RemoteRejected), (400, RemoteRejected), (502, RemoteUnavailable)])
async def test_a_refusal_is_an_error_that_never_quotes_the_url(status: int, error: type) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, json={"error": f"Request Entity Too Large for {request.url}"})

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(refuse)) as http:
        with pytest.raises(error) as raised:
            await TeamsWebhook(LOGIC_APPS, http, environment_name="Production").post_card(CARD)
    assert "Microsoft Teams" in str(raised.value) and "sIgNaTuRe" not in str(raised.value)


def test_fits_measures_the_message_as_posted() -> None:
    def card(text: str) -> Card:
        return Card((CardText(text),))

    overhead = len(message_body(card("")))
    assert fits(card("x" * (MAX_BYTES - overhead)))
    assert not fits(card("x" * (MAX_BYTES - overhead + 1)))
    assert not fits(card("é" * ((MAX_BYTES - overhead) // 2 + 1))), "bytes, not characters"
