"""Hybrid search: dense (MiniLM) + BM25 sparse, fused by weighted RRF inside Qdrant, with metadata filters.

Access control rides on the same filter: the caller's allowed collections are checked before the store is asked,
and document-level restrictions arrive as a `SearchFilter` that the engine applies to every branch.
"""

from __future__ import annotations

from grounded.contracts import Evidence
from grounded.embedder import Embedder, check_variant
from grounded.embedders import EmbedderPool
from grounded.retrieval.cache import LruCache
from grounded.settings import RetrievalSettings
from grounded.sparse import SparseEncoder
from grounded.store import CollectionNotFound, SearchFilter, SearchMode, StoreQuery, VectorStore


class AccessDenied(PermissionError):
    """The caller's key is not granted this collection."""


def check_access(collection: str, allowed_collections: frozenset[str] | None) -> None:
    if allowed_collections is not None and "*" not in allowed_collections and collection not in allowed_collections:
        raise AccessDenied(f"not allowed to read collection '{collection}'")


class Searcher:
    def __init__(
        self, store: VectorStore, embedder: Embedder, sparse: SparseEncoder, settings: RetrievalSettings,
        embedders: EmbedderPool | None = None, embedding_cache: LruCache[list[float]] | None = None,
    ):
        self.store, self.embedder, self.sparse, self.settings = store, embedder, sparse, settings
        self.embedders, self.embedding_cache = embedders, embedding_cache
        self._version_embedder: dict[str, Embedder] = {}

    def _embed_query(self, index_version: str, question: str) -> list[float]:
        embedder = self.embedder_for(index_version)
        if self.embedding_cache is None:
            return embedder.embed_query(question)
        key = (id(embedder), question)  # embedders live as long as the process: id() is a stable key
        vector = self.embedding_cache.get(key)
        if vector is None:
            vector = embedder.embed_query(question)
            self.embedding_cache.put(key, vector)
        return vector

    def store_revision(self, index_version: str) -> int:
        revision = getattr(self.store, "revision", None)
        return revision(index_version) if revision else 0

    def resolve(self, collection: str) -> str:
        """The concrete index version serving `collection` now; answers, traces and cache keys name it."""
        resolve = getattr(self.store, "resolve", None)
        return resolve(collection) if resolve else collection

    def embedder_for(self, index_version: str) -> Embedder:
        """A version's build settings never change, so its embedder is looked up once."""
        if index_version not in self._version_embedder:
            info = self.store.get_collection(index_version)
            if info is None:
                raise CollectionNotFound(index_version)
            build = info.index.build if info.index is not None else {}
            embedder = self.embedder if self.embedders is None else self.embedders.get(build.get("embed"))
            check_variant(info, embedder)  # an index is only ever queried with the variant that built it
            self._version_embedder[index_version] = embedder
        return self._version_embedder[index_version]

    def search(
        self,
        collection: str,
        question: str,
        filters: SearchFilter | None = None,
        top_k: int | None = None,
        allowed_collections: frozenset[str] | None = None,
        mode: SearchMode = SearchMode.HYBRID,
        index_version: str | None = None,
    ) -> list[Evidence]:
        """`allowed_collections` is the caller's grant (None = unrestricted, e.g. the CLI owner); `index_version`
        pins the concrete index (resolved once per answer) instead of whatever the alias points at now."""
        check_access(collection, allowed_collections)
        target = index_version or collection
        s = self.settings
        sparse = self.sparse.embed_query(question)
        query = StoreQuery(
            dense=self._embed_query(target, question),
            sparse_indices=sparse.indices,
            sparse_values=sparse.values,
            limit=top_k or s.top_k,
            candidates=max(s.candidates, top_k or s.top_k),
            rrf_k=s.rrf_k,
            weights=(s.dense_weight, s.sparse_weight),
            filter=filters,
            mode=mode,
        )
        return self.store.search(target, query)
