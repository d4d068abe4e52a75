"""Does the int8 ONNX embedder hold quality? SciFact test nDCG@10 of dense retrieval, torch fp32 vs onnx-int8.

    python bench/embed_quality.py                       # full corpus (5,183 abstracts), both backends
    python bench/embed_quality.py --quick               # the 300 test claims' relevant abstracts + 1,000 others
    python bench/embed_quality.py --quick --chunk-budgets 220,256   # onnx-int8, abstracts chunked as ingest does

Dense only (exact cosine over all abstracts in numpy, no store, no BM25): the branch the embedder decides, so the
strictest check. Documents are embedded as `title\\ntext` through `Embedder.embed` (token-packed batches, 1
thread), queries one at a time through `Embedder.embed_query`, as search does. Prints nDCG@10, R@100, the paired
per-query difference with a bootstrap 95% interval, CPU seconds to embed the corpus and the load average.

`--chunk-budgets A,B` compares chunk budgets (ChunkSettings.max_tokens) instead of backends: each abstract is
parsed and chunked as ingest does it (ingest/chunk.py, the embedder's window, overlap `--overlap`), every chunk's
`embedding_text()` embedded with the default backend, and a document scores as its best chunk.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.common import DEFAULT_EVALDATA, read_jsonl, require_file, table, uptime_line  # noqa: E402
from grounded.embedder import open_embedder  # noqa: E402
from grounded.evals.importers.beir import read_qrels  # noqa: E402
from grounded.evals.metrics.retrieval import ndcg_at_k, recall_at_k  # noqa: E402
from grounded.settings import EmbedSettings  # noqa: E402


def run_backend(backend: str, docs: list[dict], queries: dict[str, str], qrels: dict[str, list[str]], models: Path):
    emb = open_embedder(EmbedSettings(backend=backend, threads=1), models)
    emb.embed(["warm up"])
    load = uptime_line()
    c0, t0 = time.process_time(), time.perf_counter()
    matrix = emb.embed([f"{d.get('title') or ''}\n{d.get('text') or ''}" for d in docs])
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    ids = [str(d["_id"]) for d in docs]
    ndcg, recall = {}, {}
    for qid, relevant in qrels.items():
        scores = matrix @ np.asarray(emb.embed_query(queries[qid]), dtype=np.float32)
        ranked = [ids[i] for i in np.argsort(-scores)[:100]]
        ndcg[qid] = ndcg_at_k(ranked, relevant, 10)
        recall[qid] = recall_at_k(ranked, relevant, 100)
    return {"backend": backend, "ndcg": ndcg, "recall": recall, "cpu": cpu, "wall": wall, "load": load}


def run_chunked(budget: int, overlap: int, emb, docs: list[dict], queries: dict[str, str],
                qrels: dict[str, list[str]]):
    from grounded.contracts import SourceDocument, SourceFormat
    from grounded.ingest.chunk import chunk_document
    from grounded.ingest.parse import parse

    load = uptime_line()
    c0 = time.process_time()
    owners, texts = [], []
    for d in docs:
        source = SourceDocument(doc_id=str(d["_id"]), source="corpus.jsonl", format=SourceFormat.JSONL,
                                content_hash="-", title=d.get("title") or None, inline_text=d.get("text") or "")
        for chunk in chunk_document(parse(source), budget, overlap, emb.count_tokens, window=emb.max_seq_length):
            owners.append(str(d["_id"]))
            texts.append(chunk.embedding_text())
    matrix = emb.embed(texts)
    cpu = time.process_time() - c0
    pieces = sum(emb.token_lengths(texts))
    ids = sorted(set(owners))
    column = {doc_id: i for i, doc_id in enumerate(ids)}
    owner_idx = np.array([column[o] for o in owners])
    ndcg, recall = {}, {}
    for qid, relevant in qrels.items():
        scores = np.full(len(ids), -np.inf, dtype=np.float32)
        np.maximum.at(scores, owner_idx, matrix @ np.asarray(emb.embed_query(queries[qid]), dtype=np.float32))
        ranked = [ids[i] for i in np.argsort(-scores)[:100]]
        ndcg[qid] = ndcg_at_k(ranked, relevant, 10)
        recall[qid] = recall_at_k(ranked, relevant, 100)
    return {"backend": f"budget {budget}", "ndcg": ndcg, "recall": recall, "cpu": cpu, "chunks": len(texts),
            "pieces": pieces, "load": load}


def compare_budgets(budgets: list[int], overlap: int, docs, queries, qrels) -> None:
    with tempfile.TemporaryDirectory(prefix="grounded-embed-quality-") as tmp:
        emb = open_embedder(EmbedSettings(threads=1), Path(tmp))
        emb.embed(["warm up"])
        runs = [run_chunked(b, overlap, emb, docs, queries, qrels) for b in budgets]
    rows = [[r["backend"], r["chunks"], r["pieces"], float(np.mean(list(r["ndcg"].values()))),
             float(np.mean(list(r["recall"].values()))), round(r["cpu"], 1),
             r["load"].split("load average:")[-1].strip()] for r in runs]
    print(table(["chunk budget", "chunks", "word pieces", "nDCG@10", "R@100", "chunk+embed CPU s",
                 "load (1, 5, 15 min)"], rows))
    base = runs[0]
    for other in runs[1:]:
        diffs = np.array([other["ndcg"][q] - base["ndcg"][q] for q in qrels])
        rng = np.random.default_rng(0)
        boot = [float(np.mean(rng.choice(diffs, size=len(diffs)))) for _ in range(2000)]
        print(f"{other['backend']} - {base['backend']} nDCG@10: {diffs.mean():+.4f} (bootstrap 95% CI "
              f"{np.percentile(boot, 2.5):+.4f} .. {np.percentile(boot, 97.5):+.4f})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--evaldata", type=Path, default=DEFAULT_EVALDATA)
    ap.add_argument("--quick", action="store_true", help="relevant abstracts + 1,000 others instead of all 5,183")
    ap.add_argument("--chunk-budgets", help="comma-separated chunk budgets to compare (chunked, default backend)")
    ap.add_argument("--overlap", type=int, default=24, help="chunk overlap in word pieces (with --chunk-budgets)")
    args = ap.parse_args()

    root = args.evaldata / "beir_scifact"
    docs = read_jsonl(require_file(root / "corpus.jsonl"))
    queries = {q["_id"]: q["text"] for q in read_jsonl(require_file(root / "queries.jsonl"))}
    qrels = read_qrels(require_file(root / "qrels" / "test.tsv"))
    if args.quick:
        relevant = {d for ids in qrels.values() for d in ids}
        others = [d for d in docs if str(d["_id"]) not in relevant]
        docs = [d for d in docs if str(d["_id"]) in relevant] + random.Random(0).sample(others, 1000)
    print(f"SciFact test: {len(qrels)} claims over {len(docs)} abstracts; start {uptime_line()}", flush=True)
    if args.chunk_budgets:
        compare_budgets([int(b) for b in args.chunk_budgets.split(",")], args.overlap, docs, queries, qrels)
        print(f"end {uptime_line()}")
        return 0

    with tempfile.TemporaryDirectory(prefix="grounded-embed-quality-") as tmp:
        runs = [run_backend(b, docs, queries, qrels, Path(tmp)) for b in ("torch", "onnx-int8")]
    base, int8 = runs
    rows = []
    for r in runs:
        rows.append([r["backend"], float(np.mean(list(r["ndcg"].values()))), float(np.mean(list(r["recall"].values()))),
                     round(r["cpu"], 1), round(r["wall"], 1), r["load"].split("load average:")[-1].strip()])
    print(table(["backend", "nDCG@10", "R@100", "corpus CPU s", "corpus wall s", "load (1, 5, 15 min)"], rows))
    diffs = np.array([int8["ndcg"][q] - base["ndcg"][q] for q in qrels])
    rng = np.random.default_rng(0)
    boot = [float(np.mean(rng.choice(diffs, size=len(diffs)))) for _ in range(2000)]
    print(f"onnx-int8 - torch nDCG@10: {diffs.mean():+.4f} (bootstrap 95% CI {np.percentile(boot, 2.5):+.4f} .. "
          f"{np.percentile(boot, 97.5):+.4f}); CPU ratio torch/int8 {base['cpu'] / int8['cpu']:.2f}x")
    print(f"end {uptime_line()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
