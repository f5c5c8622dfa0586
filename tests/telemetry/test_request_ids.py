"""One id per request: taken from the caller's W3C traceparent or made up, returned as
X-Request-Id, quoted on error pages, carried by every log line and sent on every remote call."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from clients.tracing import trace_from
from plugin.settings import OidcProviderSettings, Settings
from store.secrets import SecretBox
from tests.views.conftest import SANDBOX, Service
from views.app import create_app
from views.logs import JsonLines, WithRequestId
from views.metrics import ServiceMetrics
from views.request_context import RequestContext

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN}-01"
HEX32 = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Every record of every logger at INFO and above, as `pms-sync serve` writes them with
    PMS_SYNC_LOG_FORMAT=json."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonLines())
    handler.addFilter(WithRequestId())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield out
    root.removeHandler(handler)
    root.setLevel(level)


def lines(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_every_answer_carries_a_request_id(service: Service) -> None:
    first, second = service.client.get("/healthz"), service.client.get("/healthz")
    assert HEX32.match(first.headers["x-request-id"]) and HEX32.match(second.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert service.client.get("/healthz", headers={"traceparent": TRACEPARENT}).headers["x-request-id"] == TRACE_ID
    for bad in ("00-" + "0" * 32 + f"-{PARENT_SPAN}-01", f"00-{TRACE_ID}-{'0' * 16}-01", "junk", f"01-{TRACE_ID}"):
        assert service.client.get("/healthz", headers={"traceparent": bad}).headers["x-request-id"] != TRACE_ID, bad


def test_trace_context_parsing() -> None:
    assert trace_from(TRACEPARENT).trace_id == TRACE_ID
    assert trace_from(TRACEPARENT.upper()).trace_id == TRACE_ID
    assert trace_from(f"00-{TRACE_ID}-{PARENT_SPAN}-00").flags == "00"
    header = trace_from(TRACEPARENT).traceparent()
    version, trace_id, span, flags = header.split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "01") and span != PARENT_SPAN and len(span) == 16


def test_an_error_page_shows_the_reference_to_quote(service: Service) -> None:
    assert service.sign_in().status_code == 200
    page = service.client.get("/matters/NO-SUCH-MATTER/preview")
    assert page.status_code == 404
    assert f"Reference: {page.headers['x-request-id']}" in page.text


def test_an_unexpected_error_is_answered_with_its_reference_and_logged(json_lines: io.StringIO) -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("https://agent.example.test/v1/matters?key=s3cret-in-a-url")

    metrics = ServiceMetrics()
    app = Starlette(
        routes=[Route("/broken/{matter_number}", broken), Route("/api/v1/broken", broken)],
        middleware=[Middleware(RequestContext, metrics=metrics)],
    )
    client = TestClient(app)
    page = client.get("/broken/82001", headers={"traceparent": TRACEPARENT})
    assert page.status_code == 500 and page.headers["x-request-id"] == TRACE_ID
    assert "unexpected error" in page.text and f"Reference: {TRACE_ID}" in page.text
    api = client.get("/api/v1/broken")
    assert api.status_code == 500 and api.json()["error"].endswith(f"Reference: {api.headers['x-request-id']}")

    logged = [line for line in lines(json_lines) if line["logger"] == "pms_sync.requests"]
    assert logged[0]["request_id"] == TRACE_ID and logged[0]["level"] == "ERROR"
    assert logged[0]["message"] == "Unexpected error answering GET /broken/{matter_number}"
    assert "RuntimeError" in logged[0]["exception"] and "s3cret-in-a-url" not in logged[0]["exception"]
    assert 'route="/broken/{matter_number}"' in metrics.text().decode()


def test_one_import_is_followed_through_log_lines_and_every_sandbox_call(
    service: Service, json_lines: io.StringIO
) -> None:
    headers = service.bearer()
    assert service.client.get("/api/v1/environments", headers=headers).status_code == 200  # signs the token in
    service.calls.clear()
    json_lines.truncate(0)
    json_lines.seek(0)

    imported = service.client.post("/api/v1/matters/82001/import", json={}, headers={**headers, "traceparent": TRACEPARENT})
    assert imported.status_code == 201, imported.text
    assert imported.headers["x-request-id"] == TRACE_ID

    calls = [call for call in service.calls.calls]
    assert len(calls) >= 3, "the agent, the identity server and the API were called"
    assert {call.traceparent.split("-")[1] for call in calls} == {TRACE_ID}  # type: ignore[union-attr]
    spans = [call.traceparent.split("-")[2] for call in calls]  # type: ignore[union-attr]
    assert len(set(spans)) == len(spans) and PARENT_SPAN not in spans, "a new span per call"

    remote_lines = [line for line in lines(json_lines) if line["logger"] == "httpx2" and SANDBOX in line["message"]]
    assert len(remote_lines) == len(calls)
    assert {line["request_id"] for line in remote_lines} == {TRACE_ID}
    assert all(set(line) == {"time", "level", "logger", "message", "request_id"} for line in remote_lines)

    # History keeps the same reference, so the row leads to the log lines and the remote calls.
    row = service.client.get("/api/v1/history", headers=headers).json()["items"][0]
    assert (row["matter_number"], row["outcome"], row["request_id"]) == ("82001", "imported", TRACE_ID)
    environment = row["environment_id"]
    service.sign_in()
    page = service.client.get(f"/history/{row['id']}?environment={environment}")
    assert page.status_code == 200 and f"Reference: <code>{TRACE_ID}</code>" in page.text
    export = service.client.get(f"/history.csv?environment={environment}").text.splitlines()
    assert export[0].endswith(",Reference") and export[1].endswith(f",{TRACE_ID}")


def test_an_import_refused_before_it_starts_keeps_its_reference_in_history(service: Service) -> None:
    headers = service.bearer()
    too_long = "9" * 51
    refused = service.client.post(f"/api/v1/matters/{too_long}/import", json={}, headers={**headers, "traceparent": TRACEPARENT})
    assert refused.status_code == 400, refused.text
    row = service.client.get("/api/v1/history", headers=headers).json()["items"][0]
    assert (row["outcome"], row["request_id"]) == ("refused", TRACE_ID)


def test_a_refused_sign_in_shows_the_reference_to_quote(database_url: str) -> None:
    entra = OidcProviderSettings("entra", "https://login.example.test/tenant/v2.0", "pms-sync", "client-secret")
    settings = Settings(
        database_url=database_url, secret_keys=SecretBox.generate_key(), cookie_secure=False, oidc_providers=(entra,)
    )
    with TestClient(create_app(settings)) as client:
        refused = client.get("/sign-in/entra/callback", params={"code": "a-code", "state": "a-state"})
    assert refused.status_code in (403, 502), refused.text
    assert re.search(r"<h1>Sign-in (refused|unavailable)</h1>", refused.text)
    assert f"Reference: {refused.headers['x-request-id']}" in refused.text
