"""The issue-13 walk-through, as a user runs it: ingest the demo corpus, reindex with a deliberately worse setting
(the eval gate stops it), reindex with a candidate setting (promoted if its eval holds up), roll back; then the
answer cache: every golden question asked twice through the answer service, hit rate and latency per path.

    python bench/rollout.py [--home DIR] [--better-chunk 180] [--out FILE]

Extractive generator (no LLM) so the run takes minutes; prints tables, writes JSON with --out."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHOWN = ("recall@5", "mrr", "status_accuracy", "abstention_f1", "answer_contains_reference", "citation_precision",
         "p50_total_ms", "cost_per_successful_answer_usd")


def grounded(*args: str, home: Path) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "GROUNDED_HOME": str(home), "GROUNDED_GENERATOR__BACKEND": "extractive"}
    started = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "grounded.cli", *args], env=env, capture_output=True, text=True)
    return res, time.perf_counter() - started


def reindex(home: Path, profile: dict | None, label: str, extra: list[str]) -> dict:
    args = ["reindex", "-c", "demo", "--json", *extra]
    if profile is not None:
        path = home / f"{label}.yaml"
        path.write_text(json.dumps(profile))  # JSON is YAML
        args += ["--profile", str(path)]
    res, seconds = grounded(*args, home=home)
    if res.returncode not in (0, 1):
        raise SystemExit(f"reindex failed: {res.stderr}")
    report = json.loads(res.stdout)
    report["wall_seconds"] = round(seconds, 1)
    return report


def cache_run(home: Path) -> dict:
    from grounded.app import Components
    from grounded.evals.datasets import load_dataset
    from grounded.retrieval.answer import AskRequest
    from grounded.settings import Settings

    dataset = load_dataset(REPO / "data" / "golden")
    components = Components(Settings(home=home, generator={"backend": "extractive"}))
    try:
        timings: dict[str, list[float]] = {"miss": [], "hit": []}
        for _ in range(2):
            for q in dataset.questions:
                started = time.perf_counter()
                answer = components.answers.ask(AskRequest(collection="demo", question=q.question))
                timings["hit" if answer.cached else "miss"].append((time.perf_counter() - started) * 1000)
        answer_cache, embedding_cache = components.caches
        return {"answer_cache": answer_cache.stats().model_dump() | {"hit_rate": answer_cache.stats().hit_rate},
                "embedding_cache": embedding_cache.stats().model_dump() | {"hit_rate": embedding_cache.stats().hit_rate},
                "p50_ms": {k: round(statistics.median(v), 2) for k, v in timings.items() if v},
                "n": {k: len(v) for k, v in timings.items()}}
    finally:
        components.close()


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(" | ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows)


def fmt(v) -> str:
    return "—" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--better-chunk", type=int, default=180, help="chunk max_tokens of the candidate build")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="rollout-bench-"))
    models = Path("/work/cache/models")
    if models.is_dir() and not (home / "models").exists():
        home.mkdir(parents=True, exist_ok=True)
        (home / "models").symlink_to(models)

    res, ingest_s = grounded("ingest", str(REPO / "data" / "demo"), "-c", "demo", "--json", home=home)
    assert res.returncode == 0, res.stderr
    worse = reindex(home, {"chunk": {"max_tokens": 32, "overlap_tokens": 0}, "embed": {"max_seq_length": 16}},
                    "worse", ["--eval", str(REPO / "data" / "golden")])
    better = reindex(home, {"chunk": {"max_tokens": args.better_chunk, "overlap_tokens": 32}}, "better",
                     ["--gate", str(REPO / "evals" / "gates" / "golden.yaml")])
    _, rollback_s = grounded("rollback", "-c", "demo", home=home)
    _, promote_s = grounded("promote", "-c", "demo", better["version"], home=home)
    cache = cache_run(home)

    print(f"ingest v1: {ingest_s:.1f}s wall")
    rows = [["metric", "live v1", "worse v2", "candidate v3"]]
    for m in SHOWN:
        rows.append([m, fmt(worse["decision"]["live"]["metrics"].get(m)),
                     fmt(worse["decision"]["candidate"]["metrics"].get(m)),
                     fmt(better["decision"]["candidate"]["metrics"].get(m))])
    print(table(rows))
    rows = [["build", "chunks", "build s", "eval s (cand/live)", "wall s", "promoted", "reason"]]
    for label, r in (("worse v2", worse), ("candidate v3", better)):
        d = r["decision"]
        rows.append([label, str(r["ingest"]["chunks"]), fmt(r["build_seconds"]),
                     f"{d['candidate']['seconds']}/{d['live']['seconds']}", fmt(r["wall_seconds"]),
                     str(d["promoted"]), d["reason"][:90]])
    print(table(rows))
    print(f"rollback {rollback_s:.1f}s wall, promote {promote_s:.1f}s wall (CLI start-up included)")
    print(json.dumps(cache, indent=1))
    if args.out:
        args.out.write_text(json.dumps({"worse": worse, "better": better, "cache": cache,
                                        "ingest_s": ingest_s}, indent=1, default=str))


if __name__ == "__main__":
    main()
