"""The vector-store boundary: one protocol, two adapters (embedded qdrant-edge, qdrant-client server).

Points carry a dense vector (`dense`), a BM25 sparse vector (`bm25`) and the chunk as payload. The store is also
the ingest manifest: every chunk records its document's content hash and chunk count, so the state of each
document (complete, partial, stale) is read from the store itself and can never disagree with it.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from enum import StrEnum
from typing import Annotated, Any, Iterable, Protocol

import numpy as np
from pydantic import BaseModel, Field, StringConstraints

from grounded.contracts import Chunk, CollectionInfo, DocumentInfo, Evidence
from grounded.sparse import SparseVec

DENSE = "dense"
SPARSE = "bm25"
INDEXED_FIELDS = ("doc_id", "content_hash", "doc_prefixes", "format")


class StoreUnavailable(RuntimeError):
    """The vector store cannot be reached (server down, shard unreadable)."""


class CollectionNotFound(KeyError):
    def __str__(self) -> str:
        return f"collection not found: {self.args[0]}"


PayloadKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$",
                                             max_length=128)]
"""A payload field, dotted for nested keys: Qdrant parses keys as paths, so brackets, quotes and empty parts
are refused here rather than failing inside the store."""
PayloadInt = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
"""Qdrant stores integers as 64-bit."""


class SearchFilter(BaseModel):
    """Metadata filters; all given conditions must hold."""

    doc_ids: list[str] | None = Field(default=None, description="only these documents")
    under: str | None = Field(
        default=None, description="only documents whose doc_id lies under this folder, e.g. 'hr' (CLI: --under)"
    )
    equals: dict[PayloadKey, str | bool | PayloadInt] = Field(
        default_factory=dict, description="payload key (dotted path) == value"
    )

    def is_empty(self) -> bool:
        return not self.doc_ids and not self.under and not self.equals


class SearchMode(StrEnum):
    HYBRID = "hybrid"
    DENSE = "dense"
    SPARSE = "sparse"


class StoreQuery(BaseModel):
    """One store search: dense, BM25 or both fused by RRF inside the engine (`mode`), with optional filters."""

    dense: list[float]
    sparse_indices: list[int]
    sparse_values: list[float]
    limit: int
    candidates: int
    rrf_k: int = 60
    weights: tuple[float, float] = (1.0, 1.0)
    filter: SearchFilter | None = None
    mode: SearchMode = SearchMode.HYBRID


class DocVersion(BaseModel):
    content_hash: str
    expected: int = Field(description="n_chunks recorded on the chunks")
    present: int = Field(description="chunks of this version found in the store")
    source: str = ""
    title: str = ""

    @property
    def complete(self) -> bool:
        return self.present == self.expected


def doc_prefixes(doc_id: str) -> list[str]:
    """'hr/leave/policy.md' -> ['hr', 'hr/leave']: stored with each chunk (payload key `doc_prefixes`) so that
    `SearchFilter.under` is an exact keyword match. Not the document's `source` (where it was read from)."""
    parts = doc_id.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def chunk_payload(chunk: Chunk) -> dict[str, Any]:
    """What the store keeps of a chunk. Payloads reach API responses (citations, document lists), so an absolute
    server path as `source` is stored as the document's relative id instead."""
    payload = chunk.model_dump(mode="json")
    if Path(payload["source"]).is_absolute():
        payload["source"] = chunk.doc_id
    payload["doc_prefixes"] = doc_prefixes(chunk.doc_id)
    return payload


def payload_chunk(payload: dict[str, Any]) -> Chunk:
    return Chunk.model_validate({k: v for k, v in payload.items() if k != "doc_prefixes"})


def versions_from_payloads(payloads: Iterable[dict[str, Any]]) -> dict[str, list[DocVersion]]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    meta: dict[tuple[str, str], dict[str, Any]] = {}
    for p in payloads:
        key = (p["doc_id"], p["content_hash"])
        counts[key] += 1
        meta.setdefault(key, p)
    out: dict[str, list[DocVersion]] = defaultdict(list)
    for (doc_id, content_hash), present in counts.items():
        p = meta[(doc_id, content_hash)]
        out[doc_id].append(
            DocVersion(
                content_hash=content_hash,
                expected=int(p["n_chunks"]),
                present=present,
                source=p.get("source", ""),
                title=p.get("title", ""),
            )
        )
    return dict(out)


def documents_from_versions(versions: dict[str, list[DocVersion]]) -> list[DocumentInfo]:
    docs = []
    for doc_id, vs in sorted(versions.items()):
        best = max(vs, key=lambda v: (v.complete, v.present))
        docs.append(
            DocumentInfo(
                doc_id=doc_id, source=best.source, title=best.title, content_hash=best.content_hash, chunks=best.present
            )
        )
    return docs


class VectorStore(Protocol):
    """What the rest of Grounded needs from Qdrant, whichever way it is reached."""

    kind: str

    def list_collections(self) -> list[CollectionInfo]: ...
    def get_collection(self, name: str) -> CollectionInfo | None: ...
    def create_collection(self, info: CollectionInfo) -> None: ...
    def update_collection(self, info: CollectionInfo) -> None: ...
    def delete_collection(self, name: str) -> bool: ...
    def upsert(self, name: str, chunks: list[Chunk], dense: np.ndarray, sparse: list[SparseVec]) -> None: ...
    def delete_document(self, name: str, doc_id: str, keep_hash: str | None = None) -> None: ...
    def payloads(self, name: str, fields: list[str]) -> Iterable[dict[str, Any]]: ...
    def count(self, name: str) -> int: ...
    def flush(self, name: str) -> None: ...
    def search(self, name: str, query: StoreQuery) -> list[Evidence]: ...
    def aliases(self) -> dict[str, str]: ...
    def set_alias(self, alias: str, target: str | None) -> None: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...


def doc_versions(store: VectorStore, name: str) -> dict[str, list[DocVersion]]:
    fields = ["doc_id", "content_hash", "n_chunks", "source", "title"]
    return versions_from_payloads(store.payloads(name, fields))


def list_documents(store: VectorStore, name: str) -> list[DocumentInfo]:
    return documents_from_versions(doc_versions(store, name))


def rrf_rank(
    query: StoreQuery, dense: list[tuple[str, float]], sparse: list[tuple[str, float]]
) -> list[tuple[str, float]]:
    """The top `query.limit` ids of the query's mode; hybrid = reciprocal rank fusion exactly as Qdrant's
    `Fusion.Rrf` scores it with equal weights: sum over branches of 1 / (k + rank), ranks from 0."""
    if query.mode is SearchMode.DENSE:
        return dense[: query.limit]
    if query.mode is SearchMode.SPARSE:
        return sparse[: query.limit]
    scores: dict[str, float] = defaultdict(float)
    for hits in (dense, sparse):
        for rank, (cid, _) in enumerate(hits):
            scores[cid] += 1.0 / (query.rrf_k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])[: query.limit]


def attach_branch_ranks(
    fused: list[tuple[dict[str, Any], float]],
    dense: list[tuple[str, float]],
    sparse: list[tuple[str, float]],
) -> list[Evidence]:
    """Attach each branch's score and rank to the engine's fused ranking (the gate reads them)."""
    dense_at = {cid: (rank, score) for rank, (cid, score) in enumerate(dense, start=1)}
    sparse_at = {cid: (rank, score) for rank, (cid, score) in enumerate(sparse, start=1)}
    out = []
    for payload, score in fused:
        chunk = payload_chunk(payload)
        d = dense_at.get(chunk.chunk_id)
        s = sparse_at.get(chunk.chunk_id)
        out.append(
            Evidence(
                chunk=chunk,
                score=score,
                dense_rank=d[0] if d else None,
                dense_score=d[1] if d else None,
                sparse_rank=s[0] if s else None,
                sparse_score=s[1] if s else None,
            )
        )
    return out
