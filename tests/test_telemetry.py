"""OpenTelemetry export: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; with it, spans leave over OTLP/HTTP (here to
a receiver on a loopback port that decodes the protobuf request)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from grounded import telemetry


@pytest.fixture
def no_endpoint(monkeypatch):
    for name in telemetry.ENDPOINT_VARS:
        monkeypatch.delenv(name, raising=False)
    telemetry.reset()
    yield
    telemetry.reset()


@pytest.fixture
def receiver():
    """A stand-in OTLP/HTTP collector: records (path, ExportTraceServiceRequest) per POST."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            request = ExportTraceServiceRequest()
            request.ParseFromString(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((self.path, request))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        thread.join(10)


def test_spans_are_not_recorded_without_an_endpoint(no_endpoint):
    with telemetry.span("grounded.answer") as span:
        assert not span.is_recording()


def test_spans_are_exported_over_otlp_http_when_the_endpoint_is_set(no_endpoint, receiver, monkeypatch):
    endpoint, received = receiver
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "grounded-test")
    versions = {"prompt": "grounded_v2", "index": "hybrid-rrf-v1"}
    with telemetry.span("grounded.answer", telemetry.version_attributes(versions)) as root:
        with telemetry.span("grounded.answer.retrieve", parent=root):
            pass
    telemetry.flush()
    assert [path for path, _ in received] == ["/v1/traces"]
    resource_spans = received[0][1].resource_spans
    service = {a.key: a.value.string_value for a in resource_spans[0].resource.attributes}["service.name"]
    spans = {s.name: s for rs in resource_spans for ss in rs.scope_spans for s in ss.spans}
    assert service == "grounded-test"
    assert set(spans) == {"grounded.answer", "grounded.answer.retrieve"}
    assert spans["grounded.answer.retrieve"].parent_span_id == spans["grounded.answer"].span_id
    attributes = {a.key: a.value.string_value for a in spans["grounded.answer"].attributes}
    assert attributes == {"grounded.version.prompt": "grounded_v2", "grounded.version.index": "hybrid-rrf-v1"}


def test_an_exception_marks_the_span_as_an_error(no_endpoint):
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import StatusCode

    exporter = InMemorySpanExporter()
    telemetry.use_exporter(exporter)
    with pytest.raises(KeyError), telemetry.span("grounded.ingest.parse"):
        raise KeyError("x")
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR and span.events[0].name == "exception"
