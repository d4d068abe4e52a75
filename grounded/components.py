"""The heavy, long-lived pieces (store, embedder, BM25 encoder, generator), built once from settings and
handed to the CLI commands, the API and the evals. Models load on first use, so `grounded --help` stays fast."""

from __future__ import annotations

import threading
from functools import cached_property

from grounded.embedder import Embedder
from grounded.settings import Settings
from grounded.sparse import SparseEncoder
from grounded.store import VectorStore, open_store


class Components:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()

    @cached_property
    def store(self) -> VectorStore:
        return open_store(self.settings)

    @cached_property
    def embedder(self) -> Embedder:
        with self._lock:
            return Embedder(self.settings.embed)

    @cached_property
    def sparse(self) -> SparseEncoder:
        return SparseEncoder()

    def ingestor(self):
        from ingest.sync import Ingestor

        return Ingestor(self.store, self.embedder, self.sparse, self.settings.chunk)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
