"""SciFact (BEIR) retrieval quality and latency of Grounded's search, next to published anchors.

    python bench/retrieval.py                                  # everything (first run embeds 5,183 abstracts)
    python bench/retrieval.py --out /tmp/retrieval.json        # also write the numbers as JSON
    python bench/retrieval.py --skip-scale --skip-server       # quality + query latency only

Sections
1. Quality on the 300 BEIR test claims: `Searcher.search(top_k=100, mode=dense|sparse|hybrid)`, chunks mapped to
   doc ids (first occurrence; several chunks of one abstract count once); nDCG@10, R@10, R@100, MRR@10 with
   evals.metrics.retrieval. Note: the Searcher raises the per-branch candidates to max(candidates, top_k), so the
   hybrid row here runs with candidates=100.
2. Tuning on the 809 TRAIN claims: RRF k x (dense, sparse) weights x candidates, picked by train nDCG@10, then test
   numbers for the defaults and the tuned choice (+ paired bootstrap CI of the difference). These runs build the
   `StoreQuery` directly (query vectors embedded once, exactly as the Searcher embeds them) with limit=100 and the
   given candidates, so the top of each list is what production (top_k=5, candidates=40) would return.
3. Query latency: `Searcher.search(hybrid, top_k=5)` over the test claims, split into dense embedding, BM25 query
   encoding and `store.search`.
4. Scale: the SciFact points (payload + dense + BM25 vectors read back with scroll) upserted N times under new
   chunk ids into a bench collection of >= 20,000 points; hybrid latency with and without filters, before and
   after `EdgeShard.optimize()` (production never calls optimize).
5. Server adapter contrast: `ServerStore(QdrantClient(":memory:"))` on a 2,000-point slice — qdrant-client's
   brute-force local mode, NOT a Qdrant server — next to the embedded engine on the same slice.

The machine is shared: the load average is printed at the start and before each timed section.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    DEFAULT_EVALDATA,
    DEFAULT_HOME,
    StepTimer,
    TimedEmbedder,
    TimedSparse,
    TimedStore,
    distinct_docs,
    ensure_ingested,
    load_average,
    machine_info,
    open_components,
    pct,
    read_jsonl,
    require_file,
    table,
    uptime_line,
    write_json,
)
from grounded.evals.importers.beir import read_qrels  # noqa: E402
from grounded.evals.metrics.retrieval import ndcg_at_k, retrieval_metrics  # noqa: E402
from grounded.contracts import CollectionInfo  # noqa: E402
from grounded.settings import RetrievalSettings  # noqa: E402
from grounded.store import SearchFilter, SearchMode, StoreQuery  # noqa: E402
from grounded.store.base import DENSE, SPARSE, payload_chunk  # noqa: E402
from grounded.sparse import SparseVec  # noqa: E402
from grounded.retrieval.search import Searcher  # noqa: E402

COLLECTION = "scifact"
SCALE_COLLECTION = "bench_scifact_scaled"
SLICE_COLLECTION = "bench_scifact_slice"
COPY_NS = uuid.UUID("6f1d7c1e-6a59-4c39-9d55-7d0c1b1f0b3a")

PUBLISHED = [  # SOURCE.md (castorini/anserini regressions), BEIR SciFact test
    ("BM25 flat (anserini)", 0.6789, 0.9253),
    ("BM25 multifield (anserini; BEIR paper)", 0.6647, 0.9076),
    ("BGE-base-en-v1.5 dense (anserini)", 0.7408, 0.9667),
]
MEASURED_BEFORE = [  # /work/shared/NOTES.md, measured on this kind of machine
    ("MiniLM-L6 dense (NOTES.md)", 0.645, 0.925),
    ("bm25s + Snowball (NOTES.md)", 0.686, 0.913),
    ("RRF k=60 of the two (NOTES.md)", 0.717, 0.948),
]

RRF_KS = (20, 60, 100)
WEIGHTS = ((1.0, 1.0), (1.0, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, 1.0))
CANDIDATES = (40, 100)


def log(msg: str = "") -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------- data


def load_scifact(evaldata: Path):
    root = evaldata / "beir_scifact"
    corpus = require_file(root / "corpus.jsonl")
    queries = {q["_id"]: q["text"] for q in read_jsonl(require_file(root / "queries.jsonl"))}
    test = read_qrels(require_file(root / "qrels" / "test.tsv"))
    train = read_qrels(require_file(root / "qrels" / "train.tsv"))
    return corpus, queries, test, train


def metrics_of(runs: dict[str, list[str]], qrels: dict[str, list[str]]) -> dict[str, float | None]:
    cases = [(runs[q], qrels[q]) for q in qrels]
    m = retrieval_metrics(cases, ks=(10, 100), ndcg_k=10, mrr_k=10)
    return {
        "ndcg@10": m["ndcg@10"].value,
        "recall@10": m["recall@10"].value,
        "recall@100": m["recall@100"].value,
        "mrr@10": m["mrr@10"].value,
        "n": m["ndcg@10"].n,
    }


# ---------------------------------------------------------------- direct runs over cached query vectors


class QueryVectors:
    """Each query embedded once, the same way `Searcher.search` embeds it (embed_query, one at a time)."""

    def __init__(self, components, texts: dict[str, str]) -> None:
        self.dense: dict[str, list[float]] = {}
        self.sparse: dict[str, SparseVec] = {}
        self.embed_ms: list[float] = []
        for qid, text in texts.items():
            t = time.perf_counter()
            self.dense[qid] = components.embedder.embed_query(text)
            self.embed_ms.append((time.perf_counter() - t) * 1000)
            self.sparse[qid] = components.sparse.embed_query(text)

    def query(self, qid: str, **kw) -> StoreQuery:
        s = self.sparse[qid]
        return StoreQuery(dense=self.dense[qid], sparse_indices=s.indices, sparse_values=s.values, **kw)


def run_direct(store, collection: str, qv: QueryVectors, qids, **kw) -> tuple[dict[str, list[str]], list[float]]:
    runs, times = {}, []
    for qid in qids:
        q = qv.query(qid, **kw)
        t = time.perf_counter()
        ev = store.search(collection, q)
        times.append((time.perf_counter() - t) * 1000)
        runs[qid] = distinct_docs(ev)
    return runs, times


def paired_bootstrap(a: dict[str, float], b: dict[str, float], n: int = 2000, seed: int = 7) -> dict[str, float]:
    """Mean of b - a over queries, with a 95% percentile-bootstrap interval."""
    qids = sorted(a)
    diffs = [b[q] - a[q] for q in qids]
    rng = random.Random(seed)
    means = sorted(sum(rng.choice(diffs) for _ in diffs) / len(diffs) for _ in range(n))
    return {
        "mean_diff": sum(diffs) / len(diffs),
        "ci95_low": means[int(0.025 * n)],
        "ci95_high": means[int(0.975 * n) - 1],
        "wins": sum(d > 1e-12 for d in diffs),
        "losses": sum(d < -1e-12 for d in diffs),
        "ties": sum(abs(d) <= 1e-12 for d in diffs),
    }


def per_query_ndcg(runs, qrels) -> dict[str, float]:
    return {q: ndcg_at_k(runs[q], qrels[q], 10) for q in qrels}


# ---------------------------------------------------------------- sections


def section_quality(comps, queries, test, out) -> None:
    log("\n## 1. SciFact test (300 claims): Searcher.search(top_k=100), chunks -> distinct doc ids")
    searcher = Searcher(comps.store, comps.embedder, comps.sparse, comps.settings.retrieval)
    rows, res = [], {}
    for mode in (SearchMode.DENSE, SearchMode.SPARSE, SearchMode.HYBRID):
        runs, n_docs = {}, []
        t = time.perf_counter()
        for qid in test:
            ev = searcher.search(COLLECTION, queries[qid], top_k=100, mode=mode)
            runs[qid] = distinct_docs(ev)
            n_docs.append(len(runs[qid]))
        secs = time.perf_counter() - t
        m = metrics_of(runs, test)
        m["mean_distinct_docs_in_top100_chunks"] = round(sum(n_docs) / len(n_docs), 1)
        m["seconds"] = round(secs, 1)
        res[mode.value] = m
        res[f"_runs_{mode.value}"] = runs
        label = {"dense": "Grounded dense (MiniLM-L6, edge)", "sparse": "Grounded BM25 (qdrant Bm25 + IDF)",
                 "hybrid": "Grounded hybrid RRF k=60 w=1/1 (cand=100)"}[mode.value]
        rows.append([label, m["ndcg@10"], m["recall@10"], m["recall@100"], m["mrr@10"],
                     m["mean_distinct_docs_in_top100_chunks"]])
    for name, ndcg, r100 in PUBLISHED + MEASURED_BEFORE:
        rows.append([name, ndcg, None, r100, None, None])
    log(table(["system", "nDCG@10", "R@10", "R@100", "MRR@10", "docs/100 chunks"], rows))
    out["quality_test"] = {k: v for k, v in res.items() if not k.startswith("_runs_")}
    out["_runs"] = {k[6:]: v for k, v in res.items() if k.startswith("_runs_")}


def section_tuning(comps, qv: QueryVectors, test, train, out) -> None:
    log("\n## 2. Fusion tuning on TRAIN (809 claims), picked by train nDCG@10; test numbers for reference")
    d = RetrievalSettings()
    default = (d.rrf_k, (d.dense_weight, d.sparse_weight), d.candidates)
    grid = []
    for k in RRF_KS:
        for w in WEIGHTS:
            for c in CANDIDATES:
                kw = dict(limit=100, candidates=c, rrf_k=k, weights=w, mode=SearchMode.HYBRID)
                tr_runs, _ = run_direct(comps.store, COLLECTION, qv, train, **kw)
                te_runs, _ = run_direct(comps.store, COLLECTION, qv, test, **kw)
                tr, te = metrics_of(tr_runs, train), metrics_of(te_runs, test)
                grid.append({"rrf_k": k, "weights": list(w), "candidates": c, "train": tr, "test": te,
                             "_test_ndcg": per_query_ndcg(te_runs, test), "_train_ndcg": per_query_ndcg(tr_runs, train)})
    for mode in (SearchMode.DENSE, SearchMode.SPARSE):
        tr_runs, _ = run_direct(comps.store, COLLECTION, qv, train, limit=100, candidates=100, mode=mode)
        out.setdefault("single_mode_train", {})[mode.value] = metrics_of(tr_runs, train)
    grid.sort(key=lambda g: (-g["train"]["ndcg@10"], -g["train"]["recall@100"]))
    best = grid[0]
    dflt = next(g for g in grid if (g["rrf_k"], tuple(g["weights"]), g["candidates"]) == default)
    rows = [
        [g["rrf_k"], f"{g['weights'][0]:g}/{g['weights'][1]:g}", g["candidates"], g["train"]["ndcg@10"],
         g["train"]["recall@100"], g["test"]["ndcg@10"], g["test"]["recall@10"], g["test"]["recall@100"],
         g["test"]["mrr@10"], "default" if g is dflt else ("chosen" if g is best else "")]
        for g in grid
    ]
    st = out["single_mode_train"]
    log(f"train, single branches: dense nDCG@10 {st['dense']['ndcg@10']:.4f} R@100 {st['dense']['recall@100']:.4f}; "
        f"BM25 nDCG@10 {st['sparse']['ndcg@10']:.4f} R@100 {st['sparse']['recall@100']:.4f}")
    log(table(["rrf_k", "w d/s", "cand", "train nDCG@10", "train R@100", "test nDCG@10", "test R@10",
               "test R@100", "test MRR@10", ""], rows))
    boot_test = paired_bootstrap(dflt["_test_ndcg"], best["_test_ndcg"])
    boot_train = paired_bootstrap(dflt["_train_ndcg"], best["_train_ndcg"])
    log("\ntest (300), defaults vs tuned:")
    log(table(
        ["setting", "rrf_k", "w d/s", "cand", "nDCG@10", "R@10", "R@100", "MRR@10"],
        [[lbl, g["rrf_k"], f"{g['weights'][0]:g}/{g['weights'][1]:g}", g["candidates"], g["test"]["ndcg@10"],
          g["test"]["recall@10"], g["test"]["recall@100"], g["test"]["mrr@10"]]
         for lbl, g in (("defaults", dflt), ("tuned (train)", best))],
    ))
    log(f"tuned - defaults, nDCG@10 per query: train {boot_train['mean_diff']:+.4f} "
        f"[{boot_train['ci95_low']:+.4f}, {boot_train['ci95_high']:+.4f}]; test {boot_test['mean_diff']:+.4f} "
        f"[{boot_test['ci95_low']:+.4f}, {boot_test['ci95_high']:+.4f}] (95% paired bootstrap; test wins/losses/ties "
        f"{boot_test['wins']}/{boot_test['losses']}/{boot_test['ties']})")
    out["tuning"] = {
        "grid": [{k: v for k, v in g.items() if not k.startswith("_")} for g in grid],
        "default": {k: v for k, v in dflt.items() if not k.startswith("_")},
        "chosen": {k: v for k, v in best.items() if not k.startswith("_")},
        "tuned_minus_default_ndcg10_test": boot_test,
        "tuned_minus_default_ndcg10_train": boot_train,
    }


def section_latency(comps, queries, test, out) -> None:
    log(f"\n## 3. Query latency: Searcher.search(hybrid, top_k=5) over the test claims  [{uptime_line()}]")
    timer = StepTimer()
    searcher = Searcher(TimedStore(comps.store, timer), TimedEmbedder(comps.embedder, timer),
                        TimedSparse(comps.sparse, timer), comps.settings.retrieval)
    qids = list(test)
    for qid in qids[:10]:  # warm-up
        searcher.search(COLLECTION, queries[qid])
        timer.take()
    rows = []
    for qid in qids:
        t = time.perf_counter()
        searcher.search(COLLECTION, queries[qid])
        total = (time.perf_counter() - t) * 1000
        r = timer.take()
        r["total"] = total
        rows.append(r)
    steps = ("embed_dense", "embed_sparse", "store", "total")
    stats = {s: pct([r[s] for r in rows]) for s in steps}
    log(table(["step", "n", "p50 ms", "p95 ms", "p99 ms", "mean ms", "max ms"],
              [[s, stats[s]["n"], stats[s]["p50"], stats[s]["p95"], stats[s]["p99"], stats[s]["mean"], stats[s]["max"]]
               for s in steps], digits=2))
    out["latency_5k"] = {"points": comps.store.count(COLLECTION), "load_average": load_average(), "steps_ms": stats}


def engine_shard(store, collection: str):
    """The embedded engine's live shard behind the versioned store's name (alias -> index version)."""
    return store.base.shard(store.resolve(collection))


def _read_points(store, collection: str):
    """(payload, dense, SparseVec) of every point, via the engine's scroll (`EmbeddedStore.shard`)."""
    from qdrant_edge import ScrollRequest

    shard = engine_shard(store, collection)
    out, offset = [], None
    while True:
        records, offset = shard.scroll(ScrollRequest(offset=offset, limit=2048, with_payload=True, with_vector=True))
        for r in records:
            vec = r.vector
            sp = vec[SPARSE]
            out.append((r.payload, vec[DENSE], SparseVec(list(sp.indices), list(sp.values))))
        if offset is None:
            return out


def _copy_chunks(points, copy: int):
    chunks, dense, sparse = [], [], []
    for payload, d, s in points:
        c = payload_chunk(payload)
        chunks.append(c.model_copy(update={
            "chunk_id": str(uuid.uuid5(COPY_NS, f"{c.chunk_id}#copy{copy}")),
            "doc_id": f"copy{copy}/{c.doc_id}",
            "source": f"copy{copy}/{c.source}",
        }))
        dense.append(d)
        sparse.append(s)
    return chunks, dense, sparse


def _upsert_all(store, collection, chunks, dense, sparse, batch=1024) -> None:
    import numpy as np

    for i in range(0, len(chunks), batch):
        store.upsert(collection, chunks[i:i + batch], np.asarray(dense[i:i + batch], dtype=np.float32),
                     sparse[i:i + batch])


def _latency_runs(store, collection, qv: QueryVectors, qids, filters: dict, top_k=5, candidates=40):
    """store.search only (query vectors precomputed), per filter; returns stats and the runs."""
    res = {}
    for name, flt in filters.items():
        kw = dict(limit=top_k, candidates=candidates, filter=flt, mode=SearchMode.HYBRID)
        run_direct(store, collection, qv, qids[:10], **kw)  # warm-up
        runs, times = run_direct(store, collection, qv, qids, **kw)
        res[name] = {"stats": pct(times), "runs": runs}
    return res


def _dense_recall_vs_exact(shard, qv: QueryVectors, qids, k: int = 10) -> float:
    """Share of the engine's dense top-k whose score reaches the exact k-th score (copies tie exactly, so ids
    are not compared)."""
    from qdrant_edge import Query, QueryRequest, SearchParams

    hits = 0
    for qid in qids:
        q = Query.Nearest(qv.dense[qid], using=DENSE)
        approx = shard.query(QueryRequest(limit=k, query=q))
        exact = shard.query(QueryRequest(limit=k, query=q, params=SearchParams(exact=True)))
        kth = min(p.score for p in exact)
        hits += sum(p.score >= kth - 1e-6 for p in approx)
    return hits / (k * len(qids))


def section_scale(comps, qv: QueryVectors, queries, test, target: int, out) -> list:
    store = comps.store
    log(f"\n## 4. Scale: >= {target} points in the embedded engine (SciFact points copied under new ids)")
    t = time.perf_counter()
    points = _read_points(store, COLLECTION)
    read_s = time.perf_counter() - t
    copies = max(1, math.ceil(target / len(points)))
    src = store.get_collection(COLLECTION)
    store.delete_collection(SCALE_COLLECTION)  # always rebuilt: the optimize step below changes it
    store.create_collection(CollectionInfo(name=SCALE_COLLECTION, embed_model=src.embed_model,
                                           dimension=src.dimension, source_path=None))
    t = time.perf_counter()
    for c in range(copies):
        _upsert_all(store, SCALE_COLLECTION, *_copy_chunks(points, c))
    store.flush(SCALE_COLLECTION)
    upsert_s = time.perf_counter() - t
    n = store.count(SCALE_COLLECTION)
    log(f"read back {len(points)} points in {read_s:.1f} s; {copies} copies -> {n} points upserted in {upsert_s:.1f} s")

    qids = list(test)
    rng = random.Random(11)
    some_docs = sorted({p[0]["doc_id"] for p in points})
    doc_filter = [f"copy1/{d}" for d in rng.sample(some_docs, 50)]
    filters = {
        "none": None,
        f"under=copy1 (1/{copies} of points)": SearchFilter(under="copy1"),
        "doc_ids (50 docs)": SearchFilter(doc_ids=doc_filter),
    }
    shard = engine_shard(store, SCALE_COLLECTION)
    phases = {}
    info0 = shard.info()
    log(f"[{uptime_line()}]")
    phases["as ingested (no optimize)"] = {
        "segments": info0.segments_count, "indexed_vectors": info0.indexed_vectors_count,
        "runs": _latency_runs(store, SCALE_COLLECTION, qv, qids, filters),
    }
    t = time.perf_counter()
    changed = shard.optimize()
    opt_s = time.perf_counter() - t
    info1 = shard.info()
    log(f"EdgeShard.optimize(): {opt_s:.1f} s (changed={changed}); segments {info0.segments_count} -> "
        f"{info1.segments_count}, indexed vectors {info0.indexed_vectors_count} -> {info1.indexed_vectors_count}")
    log(f"[{uptime_line()}]")
    phases["after optimize()"] = {
        "segments": info1.segments_count, "indexed_vectors": info1.indexed_vectors_count,
        "runs": _latency_runs(store, SCALE_COLLECTION, qv, qids, filters),
    }
    hnsw_recall = _dense_recall_vs_exact(shard, qv, qids)
    log(f"dense top-10 after optimize vs exact search (tie-robust, by score): recall {hnsw_recall:.4f}")
    # the full Searcher path (embedding included) on the scaled collection, unfiltered
    timer = StepTimer()
    searcher = Searcher(TimedStore(store, timer), TimedEmbedder(comps.embedder, timer),
                        TimedSparse(comps.sparse, timer), comps.settings.retrieval)
    full = []
    for qid in qids:
        t = time.perf_counter()
        searcher.search(SCALE_COLLECTION, queries[qid])
        r = timer.take()
        r["total"] = (time.perf_counter() - t) * 1000
        full.append(r)
    full_stats = {s: pct([r[s] for r in full]) for s in ("embed_dense", "embed_sparse", "store", "total")}

    # sanity: unfiltered top-5 before/after optimize (HNSW is approximate); copies of one abstract tie exactly,
    # so compare the underlying SciFact ids as sets
    base = lambda docs: {d.split("/", 1)[1] for d in docs}  # noqa: E731
    a = phases["as ingested (no optimize)"]["runs"]["none"]["runs"]
    b = phases["after optimize()"]["runs"]["none"]["runs"]
    same_top5 = sum(base(a[q]) == base(b[q]) for q in qids) / len(qids)

    rows = []
    for phase, ph in phases.items():
        for fname, r in ph["runs"].items():
            s = r["stats"]
            rows.append([phase, fname, s["p50"], s["p95"], s["p99"], s["max"]])
    for step, s in full_stats.items():
        rows.append(["after optimize(), Searcher.search", step, s["p50"], s["p95"], s["p99"], s["max"]])
    log(table(["phase", "filter / step", "p50 ms", "p95 ms", "p99 ms", "max ms"], rows, digits=2))
    log(f"same top-5 (SciFact ids, as sets) before/after optimize, unfiltered: {same_top5:.3f} of queries")
    out["scale"] = {
        "points": n, "copies": copies, "read_back_s": round(read_s, 2), "upsert_s": round(upsert_s, 2),
        "optimize_s": round(opt_s, 2),
        "phases": {p: {"segments": ph["segments"], "indexed_vectors": ph["indexed_vectors"],
                       "store_search_ms": {f: r["stats"] for f, r in ph["runs"].items()}}
                   for p, ph in phases.items()},
        "searcher_after_optimize_ms": full_stats,
        "same_top5_before_after_optimize": same_top5,
        "dense_top10_recall_vs_exact_after_optimize": hnsw_recall,
        "target": "p95 retrieval < 50 ms at 20,000 chunks",
    }
    return points


def section_server(comps, qv: QueryVectors, test, points, n_points: int, n_queries: int, out) -> None:
    from qdrant_client import QdrantClient

    from grounded.store.server import ServerStore

    log(f"\n## 5. Server adapter on a {n_points}-point slice: ServerStore(QdrantClient(':memory:')) = qdrant-client "
        f"LOCAL MODE (brute-force Python), not a Qdrant server; embedded engine on the same slice for contrast; "
        f"{min(n_queries, len(test))} test claims")
    sl = points[:n_points]
    chunks = [payload_chunk(p) for p, _, _ in sl]
    dense = [d for _, d, _ in sl]
    sparse = [s for _, _, s in sl]
    src = comps.store.get_collection(COLLECTION)
    info = CollectionInfo(name=SLICE_COLLECTION, embed_model=src.embed_model, dimension=src.dimension)
    slice_docs = sorted({c.doc_id for c in chunks})
    rng = random.Random(5)
    filters = {"none": None, "doc_ids (50 docs)": SearchFilter(doc_ids=rng.sample(slice_docs, 50))}
    qids = list(test)[:n_queries]
    res = {}
    server = ServerStore(QdrantClient(":memory:"))
    edge = comps.store
    for label, store in (("qdrant-client local mode (ServerStore)", server), ("qdrant-edge (EmbeddedStore)", edge)):
        store.delete_collection(SLICE_COLLECTION)
        store.create_collection(info)
        t = time.perf_counter()
        _upsert_all(store, SLICE_COLLECTION, chunks, dense, sparse, batch=256)
        store.flush(SLICE_COLLECTION)
        up = time.perf_counter() - t
        log(f"[{uptime_line()}]")
        runs = _latency_runs(store, SLICE_COLLECTION, qv, qids, filters)
        res[label] = {"upsert_s": round(up, 2), "points": store.count(SLICE_COLLECTION), "runs": runs}
    server.close()
    a = res["qdrant-client local mode (ServerStore)"]["runs"]["none"]["runs"]
    b = res["qdrant-edge (EmbeddedStore)"]["runs"]["none"]["runs"]
    agree = sum(set(a[q]) == set(b[q]) for q in qids) / len(qids)
    rows = []
    for label, r in res.items():
        for fname, rr in r["runs"].items():
            s = rr["stats"]
            rows.append([label, r["points"], r["upsert_s"], fname, s["p50"], s["p95"], s["max"]])
    log(table(["store", "points", "upsert s", "filter", "p50 ms", "p95 ms", "max ms"], rows, digits=2))
    log(f"same hybrid top-5 doc sets, local mode vs edge: {agree:.3f} of queries")
    out["server_slice"] = {
        label: {"points": r["points"], "upsert_s": r["upsert_s"],
                "store_search_ms": {f: rr["stats"] for f, rr in r["runs"].items()}}
        for label, r in res.items()
    }
    out["server_slice"]["same_top5_local_mode_vs_edge"] = agree
    out["server_slice"]["note"] = "qdrant-client ':memory:' local mode is brute-force Python, not a Qdrant server"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, default=DEFAULT_HOME, help="bench GROUNDED home (default %(default)s)")
    ap.add_argument("--evaldata", type=Path, default=DEFAULT_EVALDATA)
    ap.add_argument("--out", type=Path, help="write the numbers as JSON here")
    ap.add_argument("--scale-points", type=int, default=20_000)
    ap.add_argument("--server-points", type=int, default=2_000)
    ap.add_argument("--server-queries", type=int, default=100, help="test claims timed on the server slice")
    ap.add_argument("--skip-tuning", action="store_true")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--skip-server", action="store_true")
    args = ap.parse_args(argv)

    out: dict = {"machine": machine_info(), "command": " ".join(sys.argv)}
    log(f"# Grounded retrieval bench — SciFact  [{out['machine']['uptime']}]")
    corpus, queries, test, train = load_scifact(args.evaldata)
    # index builds only where section 4 asks for one (its optimize), not in the background on their own
    comps = open_components(args.home, store_index={"build_after": None})
    try:
        out["ingest"] = ensure_ingested(comps, COLLECTION, corpus, log)
        out["settings"] = comps.settings.retrieval.model_dump()
        section_quality(comps, queries, test, out)
        t = time.perf_counter()
        qv = QueryVectors(comps, {q: queries[q] for q in list(test) + list(train)})
        log(f"\n(embedded {len(qv.dense)} queries one by one in {time.perf_counter() - t:.1f} s; "
            f"embed_query p50 {pct(qv.embed_ms)['p50']:.1f} ms)")
        # cross-check: the direct path with the Searcher's effective settings reproduces section 1's hybrid run
        s = comps.settings.retrieval
        direct, _ = run_direct(comps.store, COLLECTION, qv, test, limit=100, candidates=max(s.candidates, 100),
                               rrf_k=s.rrf_k, weights=(s.dense_weight, s.sparse_weight), mode=SearchMode.HYBRID)
        same10 = sum(direct[q][:10] == out["_runs"]["hybrid"][q][:10] for q in test) / len(test)
        dm = metrics_of(direct, test)
        diff = max(abs(dm[k] - out["quality_test"]["hybrid"][k]) for k in ("ndcg@10", "recall@100", "mrr@10"))
        log(f"cross-check, direct StoreQuery path vs Searcher path (hybrid, cand=100): identical top-10 doc lists "
            f"for {same10:.3f} of queries; max |metric diff| {diff:.4f} (RRF ties are ordered arbitrarily by the "
            f"engine, so the tail of a list can differ between two identical calls)")
        out["direct_vs_searcher"] = {"same_top10": same10, "max_metric_diff": diff}
        if not args.skip_tuning:
            section_tuning(comps, qv, test, train, out)
        section_latency(comps, queries, test, out)
        points = None
        if not args.skip_scale:
            points = section_scale(comps, qv, queries, test, args.scale_points, out)
        if not args.skip_server:
            points = points or _read_points(comps.store, COLLECTION)
            section_server(comps, qv, test, points, args.server_points, args.server_queries, out)
    finally:
        comps.close()
    out.pop("_runs", None)
    out["machine"]["uptime_end"] = uptime_line()
    log(f"\n[end: {out['machine']['uptime_end']}]")
    if args.out:
        write_json(args.out, out)
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
