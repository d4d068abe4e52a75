"""Server store: a Qdrant server or distributed cluster through qdrant-client (`GROUNDED_QDRANT_URL`).

Hybrid search is one Query API call (prefetch + RRF fusion) so the work stays in the engine; the branch
scores the gate reads come from the same batch. Collection facts (model, dimension, source) live in the
collection's own metadata.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from grounded.contracts import Chunk, CollectionInfo, Evidence
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
)

_SCROLL_PAGE = 2048
_META_KEY = "grounded"


def _server_filter(f: SearchFilter | None) -> models.Filter | None:
    if f is None or f.is_empty():
        return None
    must: list[models.Condition] = []
    if f.doc_ids:
        must.append(models.FieldCondition(key="doc_id", match=models.MatchAny(any=list(f.doc_ids))))
    if f.under:
        must.append(
            models.FieldCondition(key="doc_prefixes", match=models.MatchValue(value=f.under.strip("/")))
        )
    for key, value in f.equals.items():
        must.append(models.FieldCondition(key=key, match=models.MatchValue(value=value)))
    return models.Filter(must=must)


class ServerStore:
    kind = "server"

    def __init__(self, client: QdrantClient) -> None:
        self._client = client

    @classmethod
    def connect(cls, url: str, api_key: str | None = None, timeout: int = 10) -> "ServerStore":
        return cls(QdrantClient(url=url, api_key=api_key, timeout=timeout))

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ResponseHandlingException, ConnectionError, OSError) as exc:
            raise StoreUnavailable(f"Qdrant server unreachable: {exc}") from exc
        except UnexpectedResponse as exc:
            if exc.status_code == 404:
                raise CollectionNotFound(kwargs.get("collection_name", "?")) from exc
            raise

    # ------------------------------------------------------------ collections

    def list_collections(self) -> list[CollectionInfo]:
        names = [c.name for c in self._call(self._client.get_collections).collections]
        return [info for n in sorted(names) if (info := self.get_collection(n)) is not None]

    def get_collection(self, name: str) -> CollectionInfo | None:
        if not self._call(self._client.collection_exists, name):
            return None
        meta = (self._call(self._client.get_collection, name).config.metadata or {}).get(_META_KEY)
        return CollectionInfo.model_validate(meta) if meta else None

    def create_collection(self, info: CollectionInfo) -> None:
        self._call(
            self._client.create_collection,
            collection_name=info.name,
            vectors_config={DENSE: models.VectorParams(size=info.dimension, distance=models.Distance.COSINE)},
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            metadata={_META_KEY: info.model_dump(mode="json")},
        )
        for field in INDEXED_FIELDS:
            self._call(
                self._client.create_payload_index,
                collection_name=info.name,
                field_name=field,
                field_schema=models.PayloadSchemaType.KEYWORD,
            )

    def update_collection(self, info: CollectionInfo) -> None:
        self._call(
            self._client.update_collection,
            collection_name=info.name,
            metadata={_META_KEY: info.model_dump(mode="json")},
        )

    def delete_collection(self, name: str) -> bool:
        if not self._call(self._client.collection_exists, name):
            return False
        return bool(self._call(self._client.delete_collection, collection_name=name))

    # ------------------------------------------------------------ aliases

    def aliases(self) -> dict[str, str]:
        return {a.alias_name: a.collection_name for a in self._call(self._client.get_aliases).aliases}

    def set_alias(self, alias: str, target: str | None) -> None:
        """Qdrant applies one alias request's operations atomically: delete + create is a swap with no gap."""
        ops: list = []
        if alias in self.aliases():
            ops.append(models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=alias)))
        if target is not None:
            ops.append(models.CreateAliasOperation(
                create_alias=models.CreateAlias(collection_name=target, alias_name=alias)))
        if ops:
            self._call(self._client.update_collection_aliases, change_aliases_operations=ops)

    def _require(self, name: str) -> None:
        if not self._call(self._client.collection_exists, name):
            raise CollectionNotFound(name)

    # ------------------------------------------------------------ points

    def upsert(self, name: str, chunks: list[Chunk], dense: np.ndarray, sparse: list[SparseVec]) -> None:
        self._require(name)
        points = [
            models.PointStruct(
                id=c.chunk_id,
                vector={DENSE: d.tolist(), SPARSE: models.SparseVector(indices=s.indices, values=s.values)},
                payload=chunk_payload(c),
            )
            for c, d, s in zip(chunks, dense, sparse, strict=True)
        ]
        self._call(self._client.upsert, collection_name=name, points=points, wait=True)

    def delete_document(self, name: str, doc_id: str, keep_hash: str | None = None) -> None:
        must_not = (
            [models.FieldCondition(key="content_hash", match=models.MatchValue(value=keep_hash))] if keep_hash else None
        )
        flt = models.Filter(
            must=[models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id))], must_not=must_not
        )
        self._call(
            self._client.delete, collection_name=name, points_selector=models.FilterSelector(filter=flt), wait=True
        )

    def payloads(self, name: str, fields: list[str]) -> Iterable[dict[str, Any]]:
        self._require(name)
        offset = None
        while True:
            records, offset = self._call(
                self._client.scroll,
                collection_name=name,
                limit=_SCROLL_PAGE,
                offset=offset,
                with_payload=fields,
                with_vectors=False,
            )
            for r in records:
                yield r.payload or {}
            if offset is None:
                return

    def count(self, name: str) -> int:
        self._require(name)
        return self._call(self._client.count, collection_name=name, exact=True).count

    def flush(self, name: str) -> None:
        """Server writes are acknowledged with wait=True; nothing to flush."""

    # ------------------------------------------------------------ search

    def search(self, name: str, query: StoreQuery) -> list[Evidence]:
        self._require(name)
        flt = _server_filter(query.filter)
        sparse = models.SparseVector(indices=query.sparse_indices, values=query.sparse_values)
        branch = dict(limit=query.candidates, filter=flt, with_payload=False)
        fusion = models.RrfQuery(rrf=models.Rrf(k=query.rrf_k, weights=list(query.weights)))
        requests = [
            models.QueryRequest(query=query.dense, using=DENSE, **branch),
            models.QueryRequest(query=sparse, using=SPARSE, **branch),
        ]
        if query.mode is SearchMode.HYBRID:
            requests.append(
                models.QueryRequest(
                    prefetch=[
                        models.Prefetch(query=query.dense, using=DENSE, limit=query.candidates, filter=flt),
                        models.Prefetch(query=sparse, using=SPARSE, limit=query.candidates, filter=flt),
                    ],
                    query=fusion,
                    filter=flt,
                    limit=query.limit,
                    with_payload=True,
                )
            )
        elif query.mode is SearchMode.DENSE:
            requests.append(models.QueryRequest(query=query.dense, using=DENSE, filter=flt, limit=query.limit, with_payload=True))
        else:
            requests.append(models.QueryRequest(query=sparse, using=SPARSE, filter=flt, limit=query.limit, with_payload=True))
        dense_hits, sparse_hits, fused_hits = (
            r.points for r in self._call(self._client.query_batch_points, collection_name=name, requests=requests)
        )
        return attach_branch_ranks(
            [(p.payload or {}, p.score) for p in fused_hits],
            [(str(p.id), p.score) for p in dense_hits],
            [(str(p.id), p.score) for p in sparse_hits],
        )

    def ping(self) -> None:
        self._call(self._client.get_collections)

    def close(self) -> None:
        self._client.close()
