"""Embedded store at scale: filtered hybrid query latency before, during and after the background index build,
while writes go on; the query plans side by side; build time, disk and memory; the server adapter's numbers.

    python bench/store_scale.py --points 100000          # the issue's scale
    python bench/store_scale.py --points 20000 --queries 100

Two scenarios, both through `EmbeddedStore` (reads are `store.search`, the product path, so they include building
the Evidence):
  ingest   the product's path: a writer upserts --points in batches of 256 (an ingest's write_batch_chunks) as fast
           as it can while a reader runs one filtered hybrid query every --read-interval s; builds start in the
           background every `build_after` unindexed points and a writer that outruns them waits (IndexPolicy).
  bulk     the worst case: --points written with index builds off (a collection from before this change), then
           reopened with builds on: one build of every point runs in the background while the reader queries and
           a writer adds ~1,000 points per second in batches of 256 (waiting once it is `max_unindexed` points
           ahead of the build).
Before and after the build both plans are timed on the engine: 2 branch searches + RRF in the app + a retrieve of
the top hits (the adapter's) and the former one (a branch search each plus the engine's fused query: 5 searches).

Synthetic points: random unit 384-d vectors, BM25-like sparse vectors over a 5,000-term vocabulary, payloads shaped
like real chunks (doc_id over 1,000 documents, doc_prefixes over 10 folders). Every query carries a folder filter
(`SearchFilter(under=...)`, ~10% of the points) unless marked unfiltered. "server" is `ServerStore` over
qdrant-client's in-process mode at --server-points (NOTES.md: brute force in Python; no Qdrant server binary can be
had here).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from qdrant_edge import Filter, FieldCondition, Fusion, MatchValue, Prefetch, Query, QueryBatchRequest, QueryRequest, SearchParams, SparseVector  # noqa: E402,E501

from bench.common import pct, table, uptime_line  # noqa: E402
from grounded.contracts import Chunk, CollectionInfo, SourceFormat  # noqa: E402
from grounded.settings import IngestSettings  # noqa: E402
from grounded.sparse import SparseVec  # noqa: E402
from grounded.store import StoreQuery, SearchFilter  # noqa: E402
from grounded.store.base import DENSE, SPARSE  # noqa: E402
from grounded.settings import IndexPolicy  # noqa: E402
from grounded.store.embedded import EmbeddedStore  # noqa: E402

D = 384
BATCH = 1000  # loading a collection before anything is measured
WRITE = IngestSettings().write_batch_chunks  # points per upsert while measuring: what an ingest writes per call


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


def query(rng, filtered: bool = True) -> StoreQuery:
    v = rng.standard_normal(D).astype(np.float32)
    terms = sorted(int(t) for t in rng.choice(5000, size=6, replace=False))
    return StoreQuery(dense=(v / np.linalg.norm(v)).tolist(), sparse_indices=terms, sparse_values=[1.0] * 6,
                      limit=5, candidates=40,
                      filter=SearchFilter(under=f"f{int(rng.integers(10))}") if filtered else None)


def engine_plan(shard, q: StoreQuery) -> None:
    """The former plan: dense branch, sparse branch and the engine's fused query (2 more prefetches)."""
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
    """The adapter's plan (EmbeddedStore.search, without building the Evidence): the two branch searches only,
    RRF in Python (ranks from 0, as the engine), then the payloads of the top hits."""
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


def dense_recall(shard, queries, k: int = 10) -> float:
    """Filtered dense top-k through the index vs exact search: what the HNSW graph loses."""
    found = 0
    for q in queries:
        flt = Filter(must=[FieldCondition(key="doc_prefixes", match=MatchValue(value=q.filter.under))])
        nearest = Query.Nearest(q.dense, using=DENSE)
        approx = shard.query(QueryRequest(query=nearest, filter=flt, limit=k))
        exact = shard.query(QueryRequest(query=nearest, filter=flt, limit=k, params=SearchParams(exact=True)))
        found += len({p.id for p in approx} & {p.id for p in exact})
    return found / (k * len(queries))


def timed(fn, queries) -> dict:
    out = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t) * 1000)
    return pct(out)


def disk_mb(path: Path) -> tuple[float, float]:
    """(allocated, apparent) MB: the engine preallocates sparse files, so the apparent size overstates."""
    files = [p.stat() for p in path.rglob("*") if p.is_file()]
    return sum(s.st_blocks * 512 for s in files) / 2**20, sum(s.st_size for s in files) / 2**20


class Reader(threading.Thread):
    """One filtered hybrid query every `interval` s through `store.search`, tagged with the collection's state."""

    def __init__(self, store: EmbeddedStore, name: str, interval: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.store, self.name, self.interval = store, name, interval
        self.rng = np.random.default_rng(seed)
        self.samples: list[tuple[float, bool, int, int]] = []  # ms, building, unindexed, points written
        self.written = 0
        self.stop = threading.Event()

    def run(self) -> None:
        live = self.store._live(self.name)
        while not self.stop.is_set():
            q = query(self.rng)
            t = time.perf_counter()
            self.store.search(self.name, q)
            self.samples.append(((time.perf_counter() - t) * 1000, live.building(), live.unindexed, self.written))
            self.stop.wait(self.interval)


def policy(args) -> IndexPolicy:
    return IndexPolicy(build_after=args.build_after, max_unindexed=args.max_unindexed)


def summary(label: str, samples: list, load: float) -> list:
    r = pct([s[0] for s in samples])
    return [label, r["n"], r["p50"], r["p95"], r["max"], round(load, 1)]


def ingest_scenario(root: Path, args, rows: list, notes: list) -> EmbeddedStore:
    store = EmbeddedStore(root, policy(args))
    store.create_collection(CollectionInfo(name="ingest", embed_model="synthetic", dimension=D))
    reader = Reader(store, "ingest", args.read_interval, seed=1)
    rng = np.random.default_rng(0)
    upserts = []
    reader.start()
    t0 = time.perf_counter()
    for start in range(0, args.points, WRITE):
        batch = points(rng, start, min(WRITE, args.points - start))
        t = time.perf_counter()
        store.upsert("ingest", *batch)
        upserts.append(time.perf_counter() - t)
        reader.written = start + len(batch[0])
    written_s = time.perf_counter() - t0
    store.flush("ingest")
    store.wait_for_index("ingest")
    settled_s = time.perf_counter() - t0
    reader.stop.set()
    reader.join()
    live = store._live("ingest")
    s = reader.samples
    load = os.getloadavg()[0]
    rows.append(summary("ingest: every query while writing and building", s, load))
    rows.append(summary("ingest: queries while a build ran", [x for x in s if x[1]], load))
    rows.append(summary("ingest: queries while no build ran", [x for x in s if not x[1]], load))
    windows = []
    step = max(WRITE, args.points // 10)
    for lo in range(0, args.points, step):
        w = [x for x in s if lo < x[3] <= lo + step]
        if w:
            r = pct([x[0] for x in w])
            windows.append([f"{lo:,}-{lo + step:,}", r["n"], r["p50"], r["p95"], r["max"], max(x[2] for x in w),
                            sum(x[1] for x in w)])
    notes.append(f"ingest: {args.points:,} points written in {written_s:.1f} s, indexed {settled_s:.1f} s after the "
                 f"start; upsert of {WRITE:,} p50 {np.median(upserts):.2f} s, max {max(upserts):.2f} s (includes "
                 f"waiting: copy under the write lock, backpressure); {len(live.history)} builds; max unindexed seen "
                 f"{max(x[2] for x in s):,}")
    notes.append("ingest, by points written (a window's queries; unindexed = the reader's view; building = queries "
                 "that ran during a build):\n" + table(
                     ["written", "n", "p50 ms", "p95 ms", "max ms", "max unindexed", "during build"], windows, 2))
    notes.append("ingest builds:\n" + table(
        ["points", "replayed updates", "copy s", "build s", "swap s", "of which load s", "segments", "build MB"],
        [[b.points, b.replayed, b.copy_s, b.build_s, b.swap_s, b.load_s, b.segments, b.build_rss_mb]
         for b in live.history], 2))
    return store


def bulk_scenario(root: Path, args, rows: list, notes: list) -> None:
    cold = EmbeddedStore(root, IndexPolicy(build_after=None))
    cold.create_collection(CollectionInfo(name="bulk", embed_model="synthetic", dimension=D))
    rng = np.random.default_rng(2)
    t0 = time.perf_counter()
    for start in range(0, args.points, BATCH):
        cold.upsert("bulk", *points(rng, start, min(BATCH, args.points - start)))
    cold.flush("bulk")
    upsert_s = time.perf_counter() - t0
    qrng = np.random.default_rng(3)
    queries = [query(qrng) for _ in range(args.queries)]
    shard = cold.shard("bulk")
    rows.append(["bulk: before the build (not indexed), engine fusion (5 searches)",
                 *_plan_cells(timed(lambda q: engine_plan(shard, q), queries))])
    rows.append(["bulk: before the build (not indexed), 2 searches + app RRF (the adapter's)",
                 *_plan_cells(timed(lambda q: app_plan(shard, q), queries))])
    cold.close()

    store = EmbeddedStore(root, policy(args))  # opens with every point unindexed: the build starts at once
    live = store._live("bulk")
    reader = Reader(store, "bulk", args.read_interval, seed=4)
    reader.start()
    t0 = time.perf_counter()
    extra, waits = 0, []
    while True:  # writes go on during the build, ~1,000 points a second, until it is swapped in
        idle = live.wait_for_builds(timeout=WRITE / 1000)
        if live.history:
            break
        if idle:
            raise RuntimeError("the build ended without being swapped in (see the log)")
        t = time.perf_counter()
        store.upsert("bulk", *points(rng, args.points + extra * WRITE, WRITE))
        waits.append(time.perf_counter() - t)
        extra += 1
    build_wall = time.perf_counter() - t0
    reader.stop.set()
    reader.join()
    during = [x for x in reader.samples if x[1]]
    rows.append(summary("bulk: during the build (reads + 1,000 writes/s)", during, os.getloadavg()[0]))
    b = live.history[0] if live.history else None
    notes.append(f"bulk: {args.points:,} points upserted in {upsert_s:.1f} s with builds off; then one background "
                 f"build of {b.points if b else '?':,} points: copy {b.copy_s if b else '?'} s, build process "
                 f"{b.build_s if b else '?'} s, swap {b.swap_s if b else '?'} s (load {b.load_s if b else '?'} s), build process peak RSS {b.build_rss_mb if b else '?'} MB (replayed {b.replayed if b else '?'} "
                 f"writes), {build_wall:.1f} s until no build ran; {extra * WRITE:,} points written meanwhile, "
                 f"upsert of {WRITE:,} max {max(waits, default=0):.2f} s (max_unindexed points ahead of the "
                 f"build a writer waits for it)")
    store.flush("bulk")
    store.wait_for_index("bulk")
    shard = store.shard("bulk")
    rows.append(["bulk: after the build, engine fusion (5 searches)",
                 *_plan_cells(timed(lambda q: engine_plan(shard, q), queries))])
    rows.append(["bulk: after the build, 2 searches + app RRF (the adapter's)",
                 *_plan_cells(timed(lambda q: app_plan(shard, q), queries))])
    store.close()


def _plan_cells(r: dict) -> list:
    return [r["n"], r["p50"], r["p95"], r["max"], round(os.getloadavg()[0], 1)]


def serve_probe(root: Path, name: str, n: int) -> dict:
    """In a fresh process: RSS before opening the collection and after n queries (what serving it costs)."""
    code = (
        "import json, sys, numpy as np\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, sys.argv[3])\n"
        "from bench.store_scale import EmbeddedStore, IndexPolicy, query, rss_mb\n"
        "before = rss_mb()\n"
        "store = EmbeddedStore(Path(sys.argv[1]), IndexPolicy(build_after=None))\n"
        "rng = np.random.default_rng(9)\n"
        "for _ in range(int(sys.argv[4])): store.search(sys.argv[2], query(rng))\n"
        "print(json.dumps({'before': before, 'after': rss_mb()}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(root), name, str(Path(__file__).resolve().parents[1]),
                          str(n)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def server_rows(args, rows: list) -> float:
    from qdrant_client import QdrantClient

    from grounded.store.server import ServerStore

    server = ServerStore(QdrantClient(":memory:"))
    server.create_collection(CollectionInfo(name="slice", embed_model="synthetic", dimension=D))
    srng = np.random.default_rng(1)
    t0 = time.perf_counter()
    for start in range(0, args.server_points, BATCH):
        server.upsert("slice", *points(srng, start, min(BATCH, args.server_points - start)))
    upsert_s = time.perf_counter() - t0
    qrng = np.random.default_rng(5)
    queries = [query(qrng) for _ in range(min(50, args.queries))]
    rows.append([f"server adapter (qdrant-client local, {args.server_points:,} points), adapter plan",
                 *_plan_cells(timed(lambda q: server.search("slice", q), queries))])
    server.close()
    return upsert_s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--read-interval", type=float, default=0.05, help="seconds between the reader's queries")
    ap.add_argument("--server-points", type=int, default=2_000)
    ap.add_argument("--skip-bulk", action="store_true", help="only the ingest scenario")
    ap.add_argument("--build-after", type=int, default=IndexPolicy().build_after)
    ap.add_argument("--max-unindexed", type=int, default=IndexPolicy().max_unindexed)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="grounded-store-scale-"))
    rows: list = []
    notes: list = []
    try:
        print(f"start {uptime_line()}", flush=True)
        store = ingest_scenario(tmp / "ingest", args, rows, notes)
        print(f"ingest done {uptime_line()}", flush=True)
        qrng = np.random.default_rng(3)
        queries = [query(qrng) for _ in range(args.queries)]
        shard = store.shard("ingest")
        rows.append(["ingest: after, engine fusion (5 searches)",
                     *_plan_cells(timed(lambda q: engine_plan(shard, q), queries))])
        rows.append(["ingest: after, 2 searches + app RRF (the adapter's)",
                     *_plan_cells(timed(lambda q: app_plan(shard, q), queries))])
        urng = np.random.default_rng(6)
        unfiltered = [query(urng, filtered=False) for _ in range(args.queries)]
        rows.append(["ingest: after, store.search without a filter",
                     *_plan_cells(timed(lambda q: store.search("ingest", q), unfiltered))])
        segments = shard.info().segments_count
        notes.append(f"ingest collection, filtered dense top-10 through the index vs exact: recall "
                     f"{dense_recall(shard, queries[:50]):.3f}")
        store.close()
        allocated, apparent = disk_mb(tmp / "ingest" / "ingest")
        probe = serve_probe(tmp / "ingest", "ingest", 100)
        notes.append(f"ingest collection: {segments} segments; disk {allocated:.0f} MB allocated ({apparent:.0f} MB "
                     f"apparent, preallocated sparse files); serving it from a fresh process: RSS "
                     f"+{probe['after'] - probe['before']:.0f} MB after 100 queries "
                     f"({probe['before']:.0f} -> {probe['after']:.0f} MB)")
        if not args.skip_bulk:
            bulk_scenario(tmp / "bulk", args, rows, notes)
            print(f"bulk done {uptime_line()}", flush=True)
        server_upsert_s = server_rows(args, rows)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        notes.append(f"child processes (builds, the serving probe): {children.ru_utime + children.ru_stime:.0f} CPU s "
                     f"in all; bench process peak RSS "
                     f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; server adapter upsert "
                     f"{server_upsert_s:.1f} s for {args.server_points:,} points")
        print()
        print(table(["phase (filtered hybrid unless said)", "n", "p50 ms", "p95 ms", "max ms", "load1"], rows, 2))
        for note in notes:
            print(f"\n{note}")
        print(f"\nend {uptime_line()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
