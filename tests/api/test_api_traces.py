"""`GET /v1/traces`: recent answers for review, newest first, filtered by collection, status, slowness and
fallback, paged; editors and admins only, and only the collections their key is granted."""

from __future__ import annotations

import uuid

import pytest
from api_e2e import DOCS, LEAVE_QUESTION, ingest_files

COLLECTION = "traced"
QUESTIONS = [LEAVE_QUESTION, "What is the VPN client called?", "What is the boiling point of nitrogen on Mars?"]


@pytest.fixture(scope="module")
def answered(server) -> list[dict]:
    """Three answers in order (two answered, one no_answer) plus a copy of the first marked as fallen back."""
    with server.client() as client:
        ingest_files(client, COLLECTION, DOCS)
        answers = [client.post("/v1/chat", json={"collection": COLLECTION, "question": q}).json() for q in QUESTIONS]
    store = server.app.state.traces
    first = store.get(answers[0]["trace_id"])
    fallen = first.model_copy(update={"trace_id": uuid.uuid4().hex, "answer": first.answer.model_copy(
        update={"fallback": "local generator timed out", "trace_id": "x"})})
    store.write(fallen)
    return answers + [fallen.answer.model_dump(mode="json") | {"trace_id": fallen.trace_id}]


def ids(page: dict) -> list[str]:
    return [item["trace_id"] for item in page["items"]]


def test_lists_newest_first_in_pages(server, answered):
    newest_first = [a["trace_id"] for a in reversed(answered)]
    with server.client() as client:
        first = client.get("/v1/traces", params={"collection": COLLECTION, "limit": 3}).json()
        second = client.get("/v1/traces", params={"collection": COLLECTION, "limit": 3, "offset": 3}).json()
    assert ids(first) == newest_first[:3] and first["next_offset"] == 3
    assert ids(second) == newest_first[3:] and second["next_offset"] is None
    item = second["items"][0]
    assert item["question"] == LEAVE_QUESTION and item["retrieved"]
    assert {"retrieve", "gate", "total"} <= set(item["answer"]["timings_ms"])
    assert item["answer"]["versions"]["prompt"] and item["answer"]["usage"] is not None


@pytest.mark.parametrize(("params", "expected"), [
    ({"status": "no_answer"}, [2]),
    ({"status": "answered"}, [3, 1, 0]),
    ({"fallback": "true"}, [3]),
    ({"fallback": "false"}, [2, 1, 0]),
    ({"slow_ms": 1e9}, []),
    ({"slow_ms": 0, "status": "answered", "fallback": "false"}, [1, 0]),
])
def test_filters(server, answered, params, expected):
    with server.client() as client:
        page = client.get("/v1/traces", params={"collection": COLLECTION, **params}).json()
    assert ids(page) == [answered[i]["trace_id"] for i in expected]


def test_readers_are_refused_and_grants_limit_what_is_listed(server, answered):
    with server.client() as admin:
        reader = admin.post("/v1/keys", json={"role": "reader", "collections": [COLLECTION]}).json()["secret"]
        editor = admin.post("/v1/keys", json={"role": "editor", "collections": ["elsewhere"]}).json()["secret"]
        bad = admin.get("/v1/traces", params={"status": "maybe"})
    assert bad.status_code == 422
    with server.client(reader) as client:
        r = client.get("/v1/traces")
    assert r.status_code == 403 and "editor" in r.json()["detail"]
    with server.client(editor) as client:
        r = client.get("/v1/traces")
    assert r.status_code == 200 and r.json()["items"] == []
