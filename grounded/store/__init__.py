"""Vector store: `open_store(settings)` gives the embedded engine, or a Qdrant server when a URL is set."""

from grounded.settings import Settings
from grounded.store.base import (
    CollectionNotFound,
    SearchFilter,
    SearchMode,
    StoreQuery,
    StoreUnavailable,
    VectorStore,
    doc_versions,
    list_documents,
)
from grounded.store.versioned import VersionedStore, VersionError


def build_record(settings: Settings) -> dict:
    """The index-shaping settings a version is built with (recorded on the version, compared on reindex)."""
    return {
        "embed": {"model_path": str(settings.embed.model_path) if settings.embed.model_path else None,
                  "max_seq_length": settings.embed.max_seq_length, "backend": settings.embed.backend.value},
        "chunk": settings.chunk.model_dump(mode="json"),
        "sparse": "bm25",
    }


def open_store(settings: Settings) -> VersionedStore:
    """The configured adapter behind collection aliases (see `versioned.py`)."""
    if settings.qdrant_url:
        from grounded.store.server import ServerStore

        key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        base: VectorStore = ServerStore.connect(settings.qdrant_url, api_key=key)
    else:
        from grounded.store.embedded import EmbeddedStore

        base = EmbeddedStore(settings.collections_dir, settings.store_index)
    return VersionedStore(base, default_build=build_record(settings), retention=settings.rollout.retention)


__all__ = [
    "CollectionNotFound",
    "SearchFilter",
    "SearchMode",
    "StoreQuery",
    "StoreUnavailable",
    "VectorStore",
    "VersionError",
    "VersionedStore",
    "doc_versions",
    "list_documents",
    "open_store",
]
