"""The service's HTTP client: every call observed by system, operation and outcome, and traced."""

from __future__ import annotations

import httpx2
import pytest

from clients.errors import RemoteTimeout, RemoteUnreachable
from clients.http import call_labels, remote_http_client
from clients.remote import RemoteSystem
from clients.teams import Card, CardText, TeamsWebhook
from clients.tracing import enter_trace, leave_trace, trace_from

WEBHOOK = "https://prod-01.westeurope.logic.azure.com/workflows/1/triggers/manual/paths/invoke?sig=secret-sig"


class Calls:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []

    def remote_call(
        self, system: str, operation: str, outcome: str, seconds: float,
        *, environment_id: int | None = None, database_ok: bool | None = None,
    ) -> None:
        assert seconds >= 0
        self.seen.append((system, operation, outcome))


def answering(request: httpx2.Request) -> httpx2.Response:
    if request.url.path == "/slow":
        raise httpx2.ReadTimeout("no answer", request=request)
    if request.url.path == "/down":
        raise httpx2.ConnectError("connection refused", request=request)
    return httpx2.Response(int(request.url.params.get("status", "200")), headers={"seen": request.headers["traceparent"]})


async def test_each_outcome_is_observed_under_the_callers_labels() -> None:
    calls = Calls()
    remote = RemoteSystem("Aderant", "Production", key="aderant")
    async with remote_http_client(transport=httpx2.MockTransport(answering), timeout=5, concurrency=4, observer=calls) as http:
        await remote.request(http, "GET", "https://agent.test/ok", operation="search_matters")
        await remote.request(http, "GET", "https://agent.test/missing?status=404", operation="get_matter")
        await remote.request(http, "GET", "https://agent.test/ok?status=503", operation="health")
        with pytest.raises(RemoteTimeout):
            await remote.request(http, "GET", "https://agent.test/slow", operation="search_matters")
        with pytest.raises(RemoteUnreachable):
            await remote.request(http, "GET", "https://agent.test/down", operation="search_matters")
        await http.get("https://elsewhere.test/ok")
        await http.get("https://agent.test/ok", extensions=call_labels("identity", "jwks"))
        await TeamsWebhook(WEBHOOK, http, environment_name="Production").post_card(Card((CardText("Hello"),)))
    assert calls.seen == [
        ("aderant", "search_matters", "2xx"),
        ("aderant", "get_matter", "4xx"),
        ("aderant", "health", "5xx"),
        ("aderant", "search_matters", "timeout"),
        ("aderant", "search_matters", "unreachable"),
        ("other", "GET", "2xx"),
        ("identity", "jwks", "2xx"),
        ("teams", "post_card", "2xx"),
    ]


async def test_calls_carry_the_current_trace_with_a_new_span_each() -> None:
    async with remote_http_client(transport=httpx2.MockTransport(answering), timeout=5, concurrency=4) as http:
        token = enter_trace(trace_from("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        try:
            first, second = (await http.get("https://agent.test/ok"), await http.get("https://agent.test/ok"))
        finally:
            leave_trace(token)
        outside = await http.get("https://agent.test/ok")
    parts = [response.headers["seen"].split("-") for response in (first, second, outside)]
    assert [p[1] for p in parts[:2]] == ["4bf92f3577b34da6a3ce929d0e0e4736"] * 2
    assert parts[0][2] != parts[1][2] and "00f067aa0ba902b7" not in (parts[0][2], parts[1][2])
    assert parts[2][1] != "4bf92f3577b34da6a3ce929d0e0e4736", "outside any request: a trace of its own"
