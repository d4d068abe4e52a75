"""Upload -> job -> answers with citations, over real HTTP: JSON, SSE, the official `openai` client, idempotent
retries, and answering while a re-ingest job runs."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest
from api_e2e import (
    ADMIN_KEY,
    DOCS,
    LEAVE_QUESTION,
    create_collection,
    final_answer,
    ingest_files,
    sse_events,
    upload,
    wait_for_job,
)

from grounded.ingest import pipeline as ingest_pipeline

COLLECTION = "handbook"
SERVER_SETTINGS = {"ingest": {"workers": 0}}  # parse in the server process, where a test holds it


@pytest.fixture(scope="module")
def handbook(server) -> dict:
    with server.client() as client:
        return ingest_files(client, COLLECTION, DOCS)


def test_upload_job_reports_progress_and_summary(handbook):
    assert handbook["kind"] == "upload"
    assert handbook["progress"] == {"files_total": 3, "files_done": 3, "chunks": handbook["report"]["chunks"]}
    report = handbook["report"]
    assert (report["collection"], report["added"], report["failed"]) == (COLLECTION, 3, [])
    assert report["chunks"] >= 3


def test_chat_answers_with_citations_from_the_upload(server, handbook):
    with server.client() as client:
        r = client.post("/v1/chat", json={"collection": COLLECTION, "question": LEAVE_QUESTION})
        assert r.status_code == 200, r.text
        answer = r.json()
        assert answer["status"] == "answered"
        assert "28 days" in answer["answer"] and "[1]" in answer["answer"]
        assert answer["citations"][0]["doc_id"] == "uploads/leave-policy.md"
        assert answer["citations"][0]["quote"] in DOCS["leave-policy.md"]

        trace = client.get(f"/v1/traces/{answer['trace_id']}")
        assert trace.status_code == 200
        assert trace.json()["question"] == LEAVE_QUESTION

        docs = client.get(f"/v1/collections/{COLLECTION}/documents").json()
        assert sorted(d["doc_id"] for d in docs) == sorted(f"uploads/{name}" for name in DOCS)


def test_chat_stream_sends_typed_events_and_ends_with_final(server, handbook):
    body = {"collection": COLLECTION, "question": "What is the VPN client called?", "stream": True}
    with server.client() as client, client.stream("POST", "/v1/chat", json=body) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = sse_events(r)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "retrieval" and "sentence" in kinds and "citation" in kinds and kinds[-1] == "final"
    assert kinds.index("citation") < kinds.index("sentence") and "retract" not in kinds
    retrieved = json.loads(events[0][1])["evidence"]
    assert retrieved[0]["chunk"]["doc_id"] == "uploads/vpn-guide.txt"
    answer = final_answer(events)
    assert answer["status"] == "answered" and "WireGuard" in answer["answer"]
    streamed = [json.loads(data)["text"] for kind, data in events if kind == "sentence"]
    assert " ".join(streamed) == answer["answer"], "the stream showed exactly the verified answer"
    assert [s["markers"] for s in answer["sentences"]] and answer["sentences"][0]["markers"] == [1]


def test_openai_client_plain_and_streamed(server, handbook):
    client = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=ADMIN_KEY, max_retries=0)
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! Ask me about the handbook."},
        {"role": "user", "content": LEAVE_QUESTION},
    ]
    plain = client.chat.completions.create(model=COLLECTION, messages=messages)
    content = plain.choices[0].message.content
    assert "28 days" in content and "[1]" in content
    assert plain.model_extra["citations"][0]["doc_id"] == "uploads/leave-policy.md"
    assert plain.model_extra["grounded"]["status"] == "answered"

    chunks = list(client.chat.completions.create(model=COLLECTION, messages=messages, stream=True))
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == content
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["citations"][0]["doc_id"] == "uploads/leave-policy.md"

    models = [m.id for m in client.models.list()]
    assert COLLECTION in models


def test_openai_no_answer_content_is_the_missing_information(server, handbook):
    client = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=ADMIN_KEY, max_retries=0)
    resp = client.chat.completions.create(
        model=COLLECTION, messages=[{"role": "user", "content": "What is the boiling point of liquid nitrogen?"}]
    )
    grounded = resp.model_extra["grounded"]
    assert grounded["status"] == "no_answer"
    assert resp.choices[0].message.content == grounded["missing_information"]


def test_idempotent_upload_retry_runs_once(server, handbook):
    files = {"holidays.md": "# Public holidays\n\nThe office is closed on the first Monday of August.\n"}
    with server.client() as client:
        first = upload(client, COLLECTION, files, idempotency_key="upload-holidays-1")
        retry = upload(client, COLLECTION, files, idempotency_key="upload-holidays-1")
        assert first.status_code == retry.status_code == 202
        assert retry.json() == first.json()
        assert retry.headers.get("idempotent-replayed") == "true"
        job = wait_for_job(client, first.json()["id"])
        assert job["report"]["added"] == 1

        # concurrent retries while the first is in flight: one job, one body
        files = {"parking.txt": "Staff parking is in garage B, levels 2 and 3.\n"}
        with ThreadPoolExecutor(3) as pool:
            results = list(pool.map(lambda _: upload(client, COLLECTION, files, "upload-parking-1"), range(3)))
        assert {r.status_code for r in results} == {202}
        assert len({r.json()["id"] for r in results}) == 1
        assert sum(r.headers.get("idempotent-replayed") == "true" for r in results) == 2


def test_chat_keeps_answering_while_a_reingest_job_runs(server, tmp_path, monkeypatch):
    source = tmp_path / "policies"
    source.mkdir()
    (source / "leave-policy.md").write_text(DOCS["leave-policy.md"])
    with server.client() as client:
        create_collection(client, "policies", source_path=source)
        r = client.post("/v1/collections/policies/reingest")
        assert r.status_code == 202, r.text
        assert wait_for_job(client, r.json()["id"])["report"]["added"] == 1

        release, parsing = threading.Event(), threading.Event()
        real_parse = ingest_pipeline.parse

        def held_parse(doc):
            parsing.set()
            assert release.wait(60)
            return real_parse(doc)

        monkeypatch.setattr(ingest_pipeline, "parse", held_parse)
        (source / "remote-work.md").write_text("# Remote work\n\nStaff may work remotely two days per week.\n")
        job_id = client.post("/v1/collections/policies/reingest", json={"prune": False}).json()["id"]
        try:
            assert parsing.wait(60), "the re-ingest job never started parsing"
            assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "running"
            answer = client.post("/v1/chat", json={"collection": "policies", "question": LEAVE_QUESTION}).json()
            assert answer["status"] == "answered" and "28 days" in answer["answer"]
            assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "running"
        finally:
            release.set()
        job = wait_for_job(client, job_id)
        assert job["status"] == "succeeded"
        assert (job["report"]["added"], job["report"]["unchanged"]) == (1, 1)
