"""Optional OpenTelemetry export: on only when OpenTelemetry's standard variables ask for it; then a
server span per request, a client span per remote call whose span id is the one the call sent in
its traceparent, all in the trace whose id is the request id, exported over OTLP/HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from clients import otel
from plugin.settings import Settings
from sandbox.ports import bound_socket, port_of
from store.secrets import SecretBox
from tests.hardening.loopback import serving
from tests.telemetry.test_request_ids import PARENT_SPAN, TRACE_ID, TRACEPARENT
from tests.views.conftest import Service
from views.app import create_app


@pytest.mark.parametrize(
    ("variables", "wanted"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, False),
        ({"OTEL_SERVICE_NAME": "pms-sync"}, False),
    ],
)
def test_export_is_on_only_when_the_standard_variables_ask_for_it(variables: dict[str, str], wanted: bool) -> None:
    assert otel.wanted(variables) is wanted


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = otel.tracer_provider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    otel.enable(provider)
    yield exporter
    otel.shutdown()


def test_an_import_is_one_trace_of_a_server_span_and_a_client_span_per_remote_call(
    service: Service, spans: InMemorySpanExporter
) -> None:
    headers = service.bearer()
    assert service.client.get("/api/v1/environments", headers=headers).status_code == 200  # signs the token in
    service.calls.clear()
    spans.clear()

    imported = service.client.post("/api/v1/matters/82001/import", json={}, headers={**headers, "traceparent": TRACEPARENT})
    assert imported.status_code == 201, imported.text

    finished = spans.get_finished_spans()
    (server,) = [s for s in finished if s.kind == SpanKind.SERVER]
    assert server.name == "POST /api/v1/matters/{matter_number}/import"
    assert server.attributes["http.response.status_code"] == 201 and server.status.status_code == StatusCode.UNSET
    assert f"{server.context.trace_id:032x}" == TRACE_ID and f"{server.parent.span_id:016x}" == PARENT_SPAN

    clients = [s for s in finished if s.kind == SpanKind.CLIENT]
    assert {f"{s.context.trace_id:032x}" for s in clients} == {TRACE_ID}
    own = {s.context.span_id for s in clients}
    # a call is the request's child, or the child of the call it was made for (a token fetched for an API call)
    assert {s.parent.span_id for s in clients} - own == {server.context.span_id}
    sent = [call.traceparent.split("-")[2] for call in service.calls.calls]  # type: ignore[union-attr]
    assert sorted(sent) == sorted(f"{s.context.span_id:016x}" for s in clients), "one span per call, its id sent on"
    systems = {s.attributes["pms_sync.system"] for s in clients}
    assert {"aderant", "clio_operate"} <= systems


def test_a_failed_call_and_a_refused_request_show_as_they_ended(service: Service, spans: InMemorySpanExporter) -> None:
    headers = service.bearer()
    service.faults.add("/aderant/*", status=503)
    spans.clear()

    search = service.client.get("/api/v1/matters?q=82001", headers=headers)
    assert search.status_code >= 500

    finished = spans.get_finished_spans()
    (server,) = [s for s in finished if s.kind == SpanKind.SERVER]
    assert server.attributes["http.response.status_code"] == search.status_code
    assert server.status.status_code == StatusCode.ERROR
    failed = [s for s in finished if s.kind == SpanKind.CLIENT and s.attributes["pms_sync.system"] == "aderant"]
    assert failed and all(s.attributes["http.response.status_code"] == 503 for s in failed)
    assert all(s.status.status_code == StatusCode.ERROR and s.attributes["error.type"] == "5xx" for s in failed)


def test_spans_reach_an_otlp_collector_named_by_the_standard_variable(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    received: list[bytes] = []

    async def collect(request: Request) -> Response:
        assert request.headers["content-type"] == "application/x-protobuf"
        received.append(await request.body())
        return Response(status_code=200)

    collector = bound_socket()
    with serving([(collector, Starlette(routes=[Route("/v1/traces", collect, methods=["POST"])]))]):
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port_of(collector)}")
        assert otel.enable_from_environment()
        try:
            app = create_app(Settings(database_url=database_url, secret_keys=SecretBox.generate_key()))
            assert TestClient(app).get("/healthz", headers={"traceparent": TRACEPARENT}).status_code == 200
        finally:
            otel.shutdown()  # sends the batch still waiting

    exported = ExportTraceServiceRequest()
    for body in received:
        exported.MergeFromString(body)
    (resource,) = exported.resource_spans
    assert {a.key: a.value.string_value for a in resource.resource.attributes}["service.name"] == "pms-sync"
    names = {(span.name, span.trace_id.hex()) for scope in resource.scope_spans for span in scope.spans}
    assert ("GET /healthz", TRACE_ID) in names
