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


def open_store(settings: Settings) -> VectorStore:
    if settings.qdrant_url:
        from grounded.store.server import ServerStore

        key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        return ServerStore.connect(settings.qdrant_url, api_key=key)
    from grounded.store.embedded import EmbeddedStore

    return EmbeddedStore(settings.collections_dir)


__all__ = [
    "CollectionNotFound",
    "SearchFilter",
    "SearchMode",
    "StoreQuery",
    "StoreUnavailable",
    "VectorStore",
    "doc_versions",
    "list_documents",
    "open_store",
]
