"""Embedded store at scale: hybrid latency with a payload filter, the adapter's plan (2 branch searches + the
engine's fused query: 5 searches) vs 2 searches + RRF in the app, before and after the HNSW optimize; upsert and optimize time, disk and memory; the server adapter's
numbers beside them.

    python bench/store_scale.py --points 100000          # the issue's scale (the optimize alone takes minutes)
    python bench/store_scale.py --points 20000 --queries 200

Synthetic points: random unit 384-d vectors, BM25-like sparse vectors over a 5,000-term vocabulary, payloads shaped
like real chunks (doc_id over 1,000 documents, doc_prefixes over 10 folders). Every query carries a folder
filter (`SearchFilter(under=...)`, ~10% of the points). "server" is `ServerStore` over qdrant-client's
in-process mode at --server-points (NOTES.md: brute force in Python; no Qdrant server binary can be had here).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from qdrant_edge import Filter, FieldCondition, Fusion, MatchValue, Prefetch, Query, QueryBatchRequest, QueryRequest, SparseVector  # noqa: E402,E501

from bench.common import pct, table, uptime_line  # noqa: E402
from grounded.contracts import Chunk, CollectionInfo, SourceFormat  # noqa: E402
from grounded.sparse import SparseVec  # noqa: E402
from grounded.store import StoreQuery, SearchFilter  # noqa: E402
from grounded.store.base import DENSE, SPARSE  # noqa: E402
from grounded.store.embedded import EmbeddedStore  # noqa: E402

D = 384


def points(rng, start: int, n: int):
    dense = rng.standard_normal((n, D)).astype(np.float32)
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    chunks, sparse = [], []
    for i in range(start, start + n):
        doc = i % 1000
        chunks.append(Chunk(chunk_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"p{i}")), doc_id=f"f{doc % 10}/doc{doc}.md",
                            source="s", format=SourceFormat.MD, title=f"Document {doc}", section="Section",
                            page=None, char_start=0, char_end=600, text="lorem ipsum " * 50, content_hash="h",
                            index=i // 1000, n_chunks=100))
        terms = rng.choice(5000, size=30, replace=False)
        sparse.append(SparseVec(indices=sorted(int(t) for t in terms), values=[1.0] * 30))
    return chunks, dense, sparse


def query(rng) -> StoreQuery:
    v = rng.standard_normal(D).astype(np.float32)
    terms = sorted(int(t) for t in rng.choice(5000, size=6, replace=False))
    return StoreQuery(dense=(v / np.linalg.norm(v)).tolist(), sparse_indices=terms, sparse_values=[1.0] * 6,
                       limit=5, candidates=40, filter=SearchFilter(under=f"f{int(rng.integers(10))}"))


def old_plan(shard, q: StoreQuery) -> None:
    """The former adapter: dense branch, sparse branch and the engine's fused query (2 more prefetches)."""
    flt = Filter(must=[FieldCondition(key="doc_prefixes", match=MatchValue(value=q.filter.under))])
    dq = Query.Nearest(q.dense, using=DENSE)
    sq = Query.Nearest(SparseVector(indices=q.sparse_indices, values=q.sparse_values), using=SPARSE)
    fused = QueryRequest(limit=q.limit, prefetches=[Prefetch(limit=q.candidates, query=dq, filter=flt),
                                                    Prefetch(limit=q.candidates, query=sq, filter=flt)],
                         query=Fusion.Rrf(k=q.rrf_k, weights=list(q.weights)), filter=flt, with_payload=True)
    branch = dict(limit=q.candidates, filter=flt, with_payload=False)
    shard.query_batch(QueryBatchRequest(queries=[QueryRequest(query=dq, **branch), QueryRequest(query=sq, **branch),
                                                 fused]))


def app_plan(shard, q: StoreQuery) -> None:
    """The alternative measured against it: the two branch searches only, RRF in Python (ranks from 0, as the
    engine), then the payloads of the top hits."""
    flt = Filter(must=[FieldCondition(key="doc_prefixes", match=MatchValue(value=q.filter.under))])
    branch = dict(limit=q.candidates, filter=flt, with_payload=False)
    dense, sparse = shard.query_batch(QueryBatchRequest(queries=[
        QueryRequest(query=Query.Nearest(q.dense, using=DENSE), **branch),
        QueryRequest(query=Query.Nearest(SparseVector(indices=q.sparse_indices, values=q.sparse_values), using=SPARSE),
                     **branch)]))
    scores: dict = {}
    for hits in (dense, sparse):
        for rank, p in enumerate(hits):
            scores[p.id] = scores.get(p.id, 0.0) + 1.0 / (q.rrf_k + rank)
    top = sorted(scores, key=lambda i: -scores[i])[: q.limit]
    shard.retrieve(top, with_payload=True, with_vector=False)


def timed(fn, queries) -> dict:
    out = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t) * 1000)
    return pct(out)


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--server-points", type=int, default=2_000)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    queries = [query(rng) for _ in range(args.queries)]
    tmp = Path(tempfile.mkdtemp(prefix="grounded-store-scale-"))
    rows = []
    try:
        print(f"start {uptime_line()}", flush=True)
        store = EmbeddedStore(tmp / "collections")
        store.create_collection(CollectionInfo(name="big", embed_model="synthetic", dimension=D))
        rss0, t0 = rss_mb(), time.perf_counter()
        for start in range(0, args.points, 2000):
            store.upsert("big", *points(rng, start, min(2000, args.points - start)))
        store._shard("big").flush()
        upsert_s = time.perf_counter() - t0
        shard = store._shard("big")
        load = lambda: os.getloadavg()[0]  # noqa: E731
        rows.append(["embedded, not indexed", "old (5 searches)", timed(lambda q: old_plan(shard, q), queries), load()])
        rows.append(["embedded, not indexed", "new (2 + app RRF)", timed(lambda q: app_plan(shard, q), queries), load()])
        t0 = time.perf_counter()
        store.flush("big")  # optimize (HNSW) + flush
        optimize_s = time.perf_counter() - t0
        rows.append(["embedded, HNSW", "old (5 searches)", timed(lambda q: old_plan(shard, q), queries), load()])
        rows.append(["embedded, HNSW", "new (2 + app RRF)", timed(lambda q: app_plan(shard, q), queries), load()])
        disk_mb, rss_used = du(tmp / "collections" / "big") / 2**20, rss_mb() - rss0
        store.close()

        from qdrant_client import QdrantClient

        from grounded.store.server import ServerStore

        server = ServerStore(QdrantClient(":memory:"))
        server.create_collection(CollectionInfo(name="slice", embed_model="synthetic", dimension=D))
        srng = np.random.default_rng(1)
        t0 = time.perf_counter()
        for start in range(0, args.server_points, 1000):
            server.upsert("slice", *points(srng, start, min(1000, args.server_points - start)))
        server_upsert_s = time.perf_counter() - t0
        rows.append([f"server adapter (qdrant-client local, {args.server_points:,} points)", "adapter's plan",
                     timed(lambda q: server.search("slice", q), queries[:50]), load()])
        server.close()

        print(f"\n{args.points:,} points: upsert {upsert_s:.1f} s, optimize+flush {optimize_s:.1f} s (holds the GIL: "
              f"the process does nothing else meanwhile), disk {disk_mb:.0f} MB, RSS +{rss_used:.0f} MB "
              f"(max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB); server adapter upsert "
              f"{server_upsert_s:.1f} s for {args.server_points:,}")
        print(table(["store", "plan", "p50 ms", "p95 ms", "max ms", "load1"],
                    [[s, p, r["p50"], r["p95"], r["max"], round(la, 1)] for s, p, r, la in rows], digits=2))
        print(f"end {uptime_line()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
