"""Index versions over real HTTP: a reindex job builds beside the live version while chat keeps answering; a
build that fails its eval gate is not promoted and answers are unchanged; promote and rollback swap answers."""

from __future__ import annotations

import threading

import pytest
from api_e2e import create_collection, wait_for_job

QUESTION = "How long is the probation period for new employees?"


def chat(client) -> dict:
    r = client.post("/v1/chat", json={"collection": "rollout", "question": QUESTION})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def live(server, corpus_copy):
    with server.client() as client:
        create_collection(client, "rollout", corpus_copy)
        job = client.post("/v1/collections/rollout/reingest").json()
        assert wait_for_job(client, job["id"])["status"] == "succeeded"
        yield client
        client.delete("/v1/collections/rollout")


def test_reindex_job_gates_promotes_and_rolls_back_while_chat_answers(live, small_golden, worse_build):
    client = live
    before = chat(client)
    assert before["status"] == "answered" and before["versions"]["index_version"] == "rollout@v1"

    r = client.post("/v1/collections/rollout/reindex", json={**worse_build, "eval_dataset": str(small_golden)})
    assert r.status_code == 202, r.text
    during, done = [], threading.Event()

    def keep_asking():
        while not done.is_set() and len(during) < 200:
            during.append(chat(client))

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        job = wait_for_job(client, r.json()["id"], timeout_s=600)
    finally:
        done.set()
        asker.join(120)
    assert job["status"] == "succeeded" and job["kind"] == "reindex", job
    assert during and all(a["answer"] == before["answer"] for a in during), "chat kept answering from the live index"
    decision = job["report"]["decision"]
    assert not decision["promoted"] and decision["regressions"] and job["report"]["live"] == "rollout@v1"
    after = chat(client)
    assert (after["answer"], after["citations"]) == (before["answer"], before["citations"])

    job = wait_for_job(client, client.post("/v1/collections/rollout/reindex", json={}).json()["id"], timeout_s=600)
    assert job["report"]["decision"]["promoted"], job["report"]["decision"]["reason"]
    listed = client.get("/v1/collections/rollout/versions").json()
    assert [(v["version"], v["live"]) for v in listed] == [("v1", False), ("v2", False), ("v3", True)]
    assert chat(client)["versions"]["index_version"] == "rollout@v3"

    assert client.post("/v1/collections/rollout/rollback").status_code == 200
    rolled = chat(client)
    assert rolled["versions"]["index_version"] == "rollout@v1" and rolled["answer"] == before["answer"]
    r = client.post("/v1/collections/rollout/promote", json={"version": "v2"})
    assert r.status_code == 200 and [v["live"] for v in r.json()] == [False, True, False]
    assert r.status_code == 200
    r = client.post("/v1/collections/rollout/promote", json={"version": "v7"})
    assert r.status_code == 409 and "no version v7" in r.json()["detail"]


def test_reindex_needs_source_roots_and_real_paths(server):
    with server.client() as client:
        create_collection(client, "empty-kb")
        r = client.post("/v1/collections/empty-kb/reindex", json={})
        assert r.status_code == 409 and "source" in r.json()["detail"]
        r = client.post("/v1/collections/empty-kb/reindex", json={"eval_dataset": "/no/such/dataset"})
        assert r.status_code == 422 and "eval_dataset" in r.json()["detail"]
        assert client.get("/v1/collections/nope/versions").status_code == 404


def metric(client, name: str, cache: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(f'{name}{{cache="{cache}"}}'):
            return float(line.split()[-1])
    raise AssertionError(f"{name} for {cache} not in /metrics")


def test_answer_cache_hits_are_flagged_counted_and_invalidated_by_a_swap(server):
    from api_e2e import DOCS, LEAVE_QUESTION, ingest_files, upload

    with server.client() as client:
        ingest_files(client, "cache-kb", DOCS)
        ask = lambda q, **kw: client.post("/v1/chat", json={"collection": "cache-kb", "question": q, **kw}).json()  # noqa: E731
        hits = metric(client, "grounded_cache_hits_total", "answer")
        first = ask(LEAVE_QUESTION)
        second = ask("  how many days of paid annual leave do employees receive ")  # same question, normalised
        assert not first["cached"] and second["cached"]
        assert metric(client, "grounded_cache_hits_total", "answer") == hits + 1
        assert metric(client, "grounded_cache_hit_ratio", "answer") > 0
        strip = lambda a: {k: v for k, v in a.items() if k not in ("trace_id", "timings_ms", "cached")}  # noqa: E731
        assert strip(second) == strip(first) and second["trace_id"] != first["trace_id"]
        hit_trace = client.get(f"/v1/traces/{second['trace_id']}").json()
        assert hit_trace["answer"]["cached"] is True
        miss_trace = client.get(f"/v1/traces/{first['trace_id']}").json()
        assert hit_trace["retrieved"] == miss_trace["retrieved"] != [], "a hit keeps the evidence it was drawn from"

        history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
        assert not ask(LEAVE_QUESTION, history=history)["cached"], "no answer cache with history"
        assert not ask(LEAVE_QUESTION, top_k=2)["cached"], "other retrieval settings, other key"

        job = upload(client, "cache-kb", {"leave-policy.md": DOCS["leave-policy.md"].replace("28 days", "30 days")})
        assert wait_for_job(client, job.json()["id"])["status"] == "succeeded"
        changed = ask(LEAVE_QUESTION)
        assert not changed["cached"] and "30 days" in changed["answer"], "an ingest into the live version invalidates"


class SlowGenerator:
    """Scripted fault: the configured generator, but far slower than any budget in these tests."""

    def __init__(self, real) -> None:
        self._real = real

    def __getattr__(self, name):
        return getattr(self._real, name)

    def generate(self, request):
        import time

        time.sleep(8)
        raise AssertionError("the budget should have given up before this returned")


def test_exhausted_budgets_fall_back_and_say_which_step(server, monkeypatch):
    from api_e2e import DOCS, ingest_files

    with server.client() as client:
        ingest_files(client, "budget-kb", DOCS)
        ask = lambda q, **kw: client.post("/v1/chat", json={"collection": "budget-kb", "question": q, **kw})  # noqa: E731

        r = ask("What is the name of the VPN client?", budget_ms=1)
        assert r.status_code == 200, r.text
        a = r.json()
        assert a["budget"] == {"limit_ms": 1, "exhausted": "retrieve"}
        assert "budget of 1 ms exhausted during retrieve" in a["fallback"] and a["status"] == "answered"

        monkeypatch.setattr(server.components.answers, "generator", SlowGenerator(server.components.answers.generator))
        a = ask("Up to how much are meals reimbursed per day?", budget_ms=1500).json()
        assert a["budget"] == {"limit_ms": 1500, "exhausted": "generate"}
        assert "exhausted during generate" in a["fallback"] and a["versions"]["generator"] == "extractive"
        assert a["status"] == "answered" and "45 euros" in a["answer"], "the extractive fallback still answers"

        assert ask("What is the name of the VPN client?", budget_ms=0).status_code == 422
