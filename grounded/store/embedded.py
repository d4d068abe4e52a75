"""Embedded store: the real Qdrant engine in-process (qdrant-edge), one shard per collection.

Layout under `GROUNDED_HOME/collections/<name>/`: `collection.json` (model, dimension, source) and the live
shard folder (edge_layout.py). The shard's write-ahead log makes every acknowledged update survive a kill -9. The
HNSW index is built in the background, in a child process, and swapped in atomically (edge_live.py): reads and
writes never wait for it. `aliases.json` maps collection names to concrete index versions (the embedded stand-in
for Qdrant's collection aliases).
"""

from __future__ import annotations

import fcntl
import json
import shutil
import threading
from pathlib import Path
from typing import Any, Iterable

import numpy as np
from qdrant_edge import (
    CountRequest,
    EdgeShard,
    FieldCondition,
    Filter,
    Fusion,
    MatchAny,
    MatchValue,
    PayloadSchemaType,
    Point,
    Prefetch,
    Query,
    QueryBatchRequest,
    QueryRequest,
    ScrollRequest,
    SparseVector,
    UpdateOperation,
)

from grounded.contracts import Chunk, CollectionInfo, Evidence
from grounded.settings import IndexPolicy
from grounded.sparse import SparseVec
from grounded.store.base import (
    DENSE,
    INDEXED_FIELDS,
    SPARSE,
    CollectionNotFound,
    StoreQuery,
    SearchFilter,
    SearchMode,
    StoreUnavailable,
    chunk_payload,
    attach_branch_ranks,
    rrf_rank,
)
from grounded.store.edge_layout import write_atomic
from grounded.store.edge_live import LiveCollection

_META = "collection.json"
_ALIASES = "aliases.json"
_SCROLL_PAGE = 2048


def _edge_filter(f: SearchFilter | None) -> Filter | None:
    if f is None or f.is_empty():
        return None
    must = []
    if f.doc_ids:
        must.append(FieldCondition(key="doc_id", match=MatchAny(any=list(f.doc_ids))))
    if f.under:
        must.append(FieldCondition(key="doc_prefixes", match=MatchValue(value=f.under.strip("/"))))
    for key, value in f.equals.items():
        must.append(FieldCondition(key=key, match=MatchValue(value=value)))
    return Filter(must=must)


class EmbeddedStore:
    kind = "embedded"

    def __init__(self, root: Path, index: IndexPolicy | None = None) -> None:
        self._root = root
        self._root.mkdir(parents=True, exist_ok=True)
        self.index = index or IndexPolicy()
        self._open: dict[str, LiveCollection] = {}
        self._lock = threading.RLock()
        self._aliases: tuple[tuple[int, int, int], dict[str, str]] | None = None

    # ------------------------------------------------------------ aliases

    def aliases(self) -> dict[str, str]:
        """alias -> concrete collection; re-read only when the file was replaced (another process swapped)."""
        path = self._root / _ALIASES
        try:
            st = path.stat()
        except FileNotFoundError:
            return {}
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        cached = self._aliases
        if cached is None or cached[0] != key:
            cached = (key, json.loads(path.read_text())["aliases"])
            self._aliases = cached
        return dict(cached[1])

    def set_alias(self, alias: str, target: str | None) -> None:
        """Point `alias` at `target` (None removes it) in one atomic write: temp file + os.replace. An flock
        serialises writers across processes; readers never see a half-written map."""
        path = self._root / _ALIASES
        with self._lock, open(self._root / ".aliases.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = json.loads(path.read_text())["aliases"] if path.is_file() else {}
            if target is None:
                current.pop(alias, None)
            else:
                current[alias] = target
            write_atomic(path, json.dumps({"aliases": current}, indent=1))

    # ------------------------------------------------------------ collections

    def _dir(self, name: str) -> Path:
        return self._root / name

    def list_collections(self) -> list[CollectionInfo]:
        infos = []
        for meta in sorted(self._root.glob(f"*/{_META}")):
            infos.append(CollectionInfo.model_validate_json(meta.read_text()))
        return infos

    def get_collection(self, name: str) -> CollectionInfo | None:
        meta = self._dir(name) / _META
        return CollectionInfo.model_validate_json(meta.read_text()) if meta.is_file() else None

    def create_collection(self, info: CollectionInfo) -> None:
        with self._lock:
            live = LiveCollection.create(info.name, self._dir(info.name), info.dimension, self.index)
            for field in INDEXED_FIELDS:
                live.write(UpdateOperation.create_field_index(field, PayloadSchemaType.Keyword))
            self._open[info.name] = live
            self._write_meta(info)

    def update_collection(self, info: CollectionInfo) -> None:
        self._write_meta(info)

    def _write_meta(self, info: CollectionInfo) -> None:
        d = self._dir(info.name)
        d.mkdir(parents=True, exist_ok=True)
        write_atomic(d / _META, info.model_dump_json(indent=2))

    def delete_collection(self, name: str) -> bool:
        with self._lock:
            if name not in self._open and (self._dir(name) / _META).is_file():
                self._live(name)  # takes the collection: never delete what another process has open
            live = self._open.pop(name, None)
            if live is not None:
                live.close(finish_builds=False)
            d = self._dir(name)
            if not d.exists():
                return False
            (d / _META).unlink(missing_ok=True)  # invisible first, then removed
            shutil.rmtree(d)
            return True

    def _live(self, name: str) -> LiveCollection:
        live = self._open.get(name)
        if live is not None:
            return live
        with self._lock:
            if name not in self._open:
                info = self.get_collection(name)
                if info is None:
                    raise CollectionNotFound(name)
                self._open[name] = LiveCollection.open(name, self._dir(name), info.dimension, self.index)
            return self._open[name]

    def shard(self, name: str) -> EdgeShard:
        """The live engine shard itself, for benchmarks and tests that call qdrant-edge directly (segment info,
        exact search, scroll with vectors). Unlike `search` and `payloads`, a caller holding it across a background
        index swap may find it closed: take it again after `wait_for_index`."""
        return self._live(name).current()

    def wait_for_index(self, name: str, timeout: float | None = None) -> bool:
        """Block until the collection's background index build (if any) is swapped in; False on timeout."""
        return self._live(name).wait_for_builds(timeout)

    # ------------------------------------------------------------ points

    def upsert(self, name: str, chunks: list[Chunk], dense: np.ndarray, sparse: list[SparseVec]) -> None:
        points = [
            Point(
                id=c.chunk_id,
                vector={DENSE: d.tolist(), SPARSE: SparseVector(indices=s.indices, values=s.values)},
                payload=chunk_payload(c),
            )
            for c, d, s in zip(chunks, dense, sparse, strict=True)
        ]
        self._live(name).write(UpdateOperation.upsert_points(points), points=len(points))

    def delete_document(self, name: str, doc_id: str, keep_hash: str | None = None) -> None:
        must_not = [FieldCondition(key="content_hash", match=MatchValue(value=keep_hash))] if keep_hash else None
        flt = Filter(must=[FieldCondition(key="doc_id", match=MatchValue(value=doc_id))], must_not=must_not)
        self._live(name).write(UpdateOperation.delete_points_by_filter(flt))

    def payloads(self, name: str, fields: list[str]) -> Iterable[dict[str, Any]]:
        with self._live(name).reading() as shard:
            offset = None
            while True:
                records, offset = shard.scroll(
                    ScrollRequest(offset=offset, limit=_SCROLL_PAGE, with_payload=fields, with_vector=False)
                )
                for r in records:
                    yield r.payload or {}
                if offset is None:
                    return

    def count(self, name: str) -> int:
        with self._live(name).reading() as shard:
            return shard.count(CountRequest(exact=True))

    def flush(self, name: str) -> None:
        """Persist; past `index.build_after` unindexed points an index build starts in the background."""
        self._live(name).flush()

    # ------------------------------------------------------------ search

    def search(self, name: str, query: StoreQuery) -> list[Evidence]:
        """Two branch searches (dense, BM25) in one batch, fused in the app exactly as the engine's RRF
        (`base.rrf_rank`), then the payloads of the top hits only. Also asking the engine for the fused list runs
        each branch search again (5 searches): at 100k points that plan's filtered p95 was 1.4-6x this one's
        (docs/results.md, issue 12; same ranking up to ties: tests/store/test_query_plan.py). Non-default branch
        weights keep the engine's own weighted fusion (its weighting is not imitated here)."""
        flt = _edge_filter(query.filter)
        dense_q = Query.Nearest(query.dense, using=DENSE)
        sparse_q = Query.Nearest(SparseVector(indices=query.sparse_indices, values=query.sparse_values), using=SPARSE)
        branch = dict(limit=query.candidates, filter=flt, with_payload=False)
        queries = [QueryRequest(query=dense_q, **branch), QueryRequest(query=sparse_q, **branch)]
        engine_fusion = query.mode is SearchMode.HYBRID and tuple(query.weights) != (1.0, 1.0)
        if engine_fusion:
            queries.append(QueryRequest(
                limit=query.limit, filter=flt, with_payload=True,
                query=Fusion.Rrf(k=query.rrf_k, weights=list(query.weights)),
                prefetches=[Prefetch(limit=query.candidates, query=q, filter=flt) for q in (dense_q, sparse_q)],
            ))
        with self._live(name).reading() as shard:
            hits = shard.query_batch(QueryBatchRequest(queries=queries))
            dense = [(str(p.id), p.score) for p in hits[0]]
            sparse = [(str(p.id), p.score) for p in hits[1]]
            if engine_fusion:
                return attach_branch_ranks([(p.payload or {}, p.score) for p in hits[2]], dense, sparse)
            top = rrf_rank(query, dense, sparse)
            found = shard.retrieve([cid for cid, _ in top], with_payload=True, with_vector=False)
        payloads = {str(r.id): r.payload or {} for r in found}
        return attach_branch_ranks([(payloads[cid], score) for cid, score in top if cid in payloads], dense, sparse)

    def ping(self) -> None:
        """The folder is there and every collection opens in this process (not held by another)."""
        if not self._root.is_dir():
            raise StoreUnavailable(f"store folder missing: {self._root}")
        for info in self.list_collections():
            self._live(info.name)

    def close(self) -> None:
        """A collection this process wrote to finishes its running index build first (see LiveCollection.close)."""
        with self._lock:
            for live in self._open.values():
                live.close()
            self._open.clear()
