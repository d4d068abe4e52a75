"""Bad input gets a 4xx with a message, a dependency that is down a 503, never a bare 500; probes and metrics."""

from __future__ import annotations

import json

import pytest
from api_e2e import DOCS, LEAVE_QUESTION, final_answer, ingest_files, sse_events, upload

from grounded.store import StoreUnavailable

COLLECTION = "docs"


@pytest.fixture(scope="module")
def loaded(server) -> None:
    with server.client() as client:
        ingest_files(client, COLLECTION, {"leave-policy.md": DOCS["leave-policy.md"]})


def test_unknown_collection_is_404(server, loaded):
    with server.client() as client:
        r = client.post("/v1/chat", json={"collection": "nope", "question": LEAVE_QUESTION})
        assert r.status_code == 404 and "nope" in r.json()["detail"]
        assert client.get("/v1/collections/nope/documents").status_code == 404
        assert upload(client, "nope", {"a.md": "# a\n"}).status_code == 404
        assert client.delete(f"/v1/collections/{COLLECTION}/documents/missing.md").status_code == 404
        assert client.get("/v1/jobs/0123").status_code == 404
        assert client.get("/v1/traces/" + "0" * 32).status_code == 404


def test_empty_or_malformed_input_is_422(server, loaded):
    with server.client() as client:
        for question in ("", "   "):
            r = client.post("/v1/chat", json={"collection": COLLECTION, "question": question})
            assert r.status_code == 422, r.text
        bad_json = client.post("/v1/chat", content=b"{not json", headers={"content-type": "application/json"})
        assert bad_json.status_code == 422
        system_only = {"model": COLLECTION, "messages": [{"role": "system", "content": "x"}]}
        r = client.post("/v1/chat/completions", json=system_only)
        assert r.status_code == 422 and "user message" in r.json()["detail"]
        long = {"model": COLLECTION, "messages": [{"role": "user", "content": "why " * 2000}]}
        assert client.post("/v1/chat/completions", json=long).status_code == 422
        assert client.post("/v1/collections", json={"name": "../etc"}).status_code == 422
        assert client.post("/v1/collections", json={"name": "x", "source_path": "/no/such/dir"}).status_code == 422
        assert client.post(f"/v1/collections/{COLLECTION}/documents", data={"x": "1"}).status_code == 422


def test_unsupported_upload_is_415_naming_each_file(server, loaded):
    with server.client() as client:
        r = upload(client, COLLECTION, {"ok.md": "# ok\n", "tool.exe": b"MZ", "data.zip": b"PK"})
    assert r.status_code == 415
    detail = r.json()["detail"]
    assert "tool.exe" in detail and "data.zip" in detail and "ok.md" not in detail
    assert not list((server.settings.home / "uploads" / COLLECTION).glob("ok.md"))


def test_oversized_upload_is_413(server, loaded):
    limit_mb = server.settings.api.max_upload_mb
    with server.client() as client:
        r = upload(client, COLLECTION, {"big.txt": b"word " * (limit_mb * 1024 * 1024 // 5 + 1000)})
    assert r.status_code == 413
    assert f"{limit_mb} MB" in r.json()["detail"]


def test_reingest_without_a_source_is_409(server, loaded):
    with server.client() as client:
        r = client.post(f"/v1/collections/{COLLECTION}/reingest")
    assert r.status_code == 409 and "source_path" in r.json()["detail"]


def test_store_down_is_503_not_500(server, loaded, monkeypatch):
    def down(*args, **kwargs):
        raise StoreUnavailable("Qdrant server unreachable: connection refused")

    monkeypatch.setattr(server.components.store, "search", down)
    with server.client() as client:
        r = client.post("/v1/chat", json={"collection": COLLECTION, "question": LEAVE_QUESTION})
        assert r.status_code == 503 and "unreachable" in r.json()["detail"]
        r = client.post("/v1/chat", json={"collection": COLLECTION, "question": LEAVE_QUESTION, "stream": True})
        assert r.status_code == 503
        completion = {"model": COLLECTION, "messages": [{"role": "user", "content": "leave?"}]}
        r = client.post("/v1/chat/completions", json=completion)
        assert r.status_code == 503

    monkeypatch.setattr(server.components.store, "ping", down)
    with server.client(None) as client:
        assert client.get("/healthz").status_code == 200
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json()["status"] == "unavailable" and "unreachable" in r.json()["reason"]


def test_failure_after_the_stream_started_is_an_error_event(server, loaded, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(server.components.answers.traces, "write", broken)
    body = {"collection": COLLECTION, "question": LEAVE_QUESTION, "stream": True}
    with server.client() as client, client.stream("POST", "/v1/chat", json=body) as r:
        assert r.status_code == 200
        events = sse_events(r)
    assert events[0][0] == "retrieval"
    kind, data = events[-1]
    assert kind == "error"
    assert json.loads(data)["status_code"] == 500 and "disk full" not in data


def test_unexpected_failure_is_logged_and_reveals_nothing(server, loaded, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(server.components.answers, "ask", broken)
    with server.client() as client:
        r = client.post("/v1/chat", json={"collection": COLLECTION, "question": LEAVE_QUESTION})
    assert r.status_code == 500
    assert r.json() == {"detail": "internal error; the server log has the details"}


def test_probes_docs_and_metrics(server, loaded):
    with server.client() as client:
        client.post("/v1/chat", json={"collection": COLLECTION, "question": LEAVE_QUESTION})
        stream = {"collection": COLLECTION, "question": LEAVE_QUESTION, "stream": True}
        with client.stream("POST", "/v1/chat", json=stream) as r:
            assert final_answer(sse_events(r))["status"] == "answered"
    with server.client(None) as anonymous:
        assert anonymous.get("/healthz").json() == {"status": "ok"}
        ready = anonymous.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        assert "/v1/chat/completions" in anonymous.get("/openapi.json").json()["paths"]
        assert anonymous.get("/docs").status_code == 200
        assert anonymous.get("/no/such/route").status_code == 404
        metrics = anonymous.get("/metrics").text
    lines = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
             if line and not line.startswith("#")}
    assert lines['grounded_http_requests_total{method="POST",route="/v1/chat",status="200"}'] >= 2
    assert lines['grounded_http_requests_total{method="GET",route="/healthz",status="200"}'] >= 1
    assert lines['grounded_http_requests_total{method="GET",route="unmatched",status="404"}'] >= 1
    assert lines['grounded_http_request_duration_seconds_count{method="POST",route="/v1/chat"}'] >= 2
    assert lines['grounded_answers_total{status="answered"}'] >= 2
    assert 'grounded_generator_fallbacks_total' in lines
    assert 'grounded_generator_tokens_total{kind="completion"}' in lines
    assert lines["grounded_generator_calls_total"] >= 2, "every generator call counts"
    assert "grounded_cost_per_request" in lines and "grounded_cost_per_successful_answer" in lines
