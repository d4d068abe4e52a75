"""Answer profiles behind a canary over real HTTP: the configured share of conversations goes to the canary by a
stable hash, the variant is in the contract, the trace and /metrics, and the kill switch sends all traffic back."""

from __future__ import annotations

from api_e2e import DOCS, LEAVE_QUESTION, ingest_files

SERVER_SETTINGS = {"variants": {
    "profiles": {"canary": {"generator": {"prompt_form": "text"}, "retrieval": {"top_k": 3}}},
    "canary": {"var-kb": {"profile": "canary", "share": 0.3}},
}}
N = 200


def variant_count(client, variant: str) -> float:
    total = 0.0
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(f'grounded_answers_by_variant_total{{') and f'variant="{variant}"' in line:
            total += float(line.split()[-1])
    return total


def test_canary_share_stickiness_contract_trace_metrics_and_kill_switch(server):
    with server.client() as client:
        ingest_files(client, "var-kb", DOCS)
        ask = lambda cid: client.post("/v1/chat", json={  # noqa: E731
            "collection": "var-kb", "question": LEAVE_QUESTION, "conversation_id": cid}).json()
        answers = {f"conv-{i}": ask(f"conv-{i}") for i in range(N)}
        variants = {cid: a["versions"]["variant"] for cid, a in answers.items()}
        canary = [cid for cid, v in variants.items() if v == "canary"]
        assert set(variants.values()) == {"default", "canary"}
        assert 0.2 <= len(canary) / N <= 0.4, f"canary share {len(canary) / N}"
        assert all(ask(cid)["versions"]["variant"] == variants[cid] for cid in list(variants)[:20]), "sticky"

        sample = answers[canary[0]]
        assert sample["versions"]["prompt"] == "grounded_v2" and sample["status"] == "answered"
        assert answers[next(c for c, v in variants.items() if v == "default")]["versions"]["prompt"] == "grounded_json_v3"
        trace = client.get(f"/v1/traces/{sample['trace_id']}").json()
        assert trace["answer"]["versions"]["variant"] == "canary"
        assert variant_count(client, "canary") >= len(canary)

        no_id = client.post("/v1/chat", json={"collection": "var-kb", "question": LEAVE_QUESTION}).json()
        assert no_id["versions"]["variant"] == "default", "no stable id, no canary"

        r = client.put("/v1/variants/kill-switch", json={"on": True})
        assert r.status_code == 200 and r.json()["killed"] is True
        assert {ask(cid)["versions"]["variant"] for cid in canary} == {"default"}
        assert client.put("/v1/variants/kill-switch", json={"on": False}).json()["killed"] is False
        assert ask(canary[0])["versions"]["variant"] == "canary"
