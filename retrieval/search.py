"""Hybrid search: dense (MiniLM) + BM25 sparse, fused by weighted RRF inside Qdrant, with metadata filters.

Access control rides on the same filter: the caller's allowed collections are checked before the store is asked,
and document-level restrictions arrive as a `SearchFilter` that the engine applies to every branch.
"""

from __future__ import annotations

from grounded.contracts import Evidence
from grounded.embedder import Embedder, check_variant
from grounded.settings import RetrievalSettings
from grounded.sparse import SparseEncoder
from grounded.store import CollectionNotFound, SearchFilter, SearchMode, StoreQuery, VectorStore


class AccessDenied(PermissionError):
    """The caller's key is not granted this collection."""


class Searcher:
    def __init__(self, store: VectorStore, embedder: Embedder, sparse: SparseEncoder, settings: RetrievalSettings):
        self.store, self.embedder, self.sparse, self.settings = store, embedder, sparse, settings

    def search(
        self,
        collection: str,
        question: str,
        filters: SearchFilter | None = None,
        top_k: int | None = None,
        allowed_collections: frozenset[str] | None = None,
        mode: SearchMode = SearchMode.HYBRID,
    ) -> list[Evidence]:
        """`allowed_collections` is the caller's grant (None = unrestricted, e.g. the CLI owner)."""
        if allowed_collections is not None and "*" not in allowed_collections and collection not in allowed_collections:
            raise AccessDenied(f"not allowed to read collection '{collection}'")
        info = self.store.get_collection(collection)
        if info is None:
            raise CollectionNotFound(collection)
        check_variant(info, self.embedder)  # an index is only ever queried with the variant that built it
        s = self.settings
        sparse = self.sparse.embed_query(question)
        query = StoreQuery(
            dense=self.embedder.embed_query(question),
            sparse_indices=sparse.indices,
            sparse_values=sparse.values,
            limit=top_k or s.top_k,
            candidates=max(s.candidates, top_k or s.top_k),
            rrf_k=s.rrf_k,
            weights=(s.dense_weight, s.sparse_weight),
            filter=filters,
            mode=mode,
        )
        return self.store.search(collection, query)
