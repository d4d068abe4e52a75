"""The composition root: the heavy, long-lived pieces (store, embedder, BM25 encoder, generator, answer service,
ingestor), built once from settings and handed to the CLI commands, the API and the evals. It is the only module
that knows every stage; it is not part of the kernel. Models load on first use, so `grounded --help` stays fast."""

from __future__ import annotations

import threading
from functools import cached_property

from grounded.embedder import Embedder, open_embedder
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
            return open_embedder(self.settings.embed, self.settings.models_dir)

    @cached_property
    def sparse(self) -> SparseEncoder:
        return SparseEncoder()

    @cached_property
    def generator(self):
        from grounded.retrieval.generators.factory import build_generator

        return build_generator(self.settings, self.embedder)

    @cached_property
    def answers(self):
        """The answer service, shared by the CLI, the API and the evals."""
        from grounded.traces import TraceStore
        from grounded.retrieval.answer import AnswerService
        from grounded.retrieval.generators.extractive import ExtractiveGenerator
        from grounded.retrieval.search import Searcher
        from grounded.retrieval.verify import CitationVerifier

        return AnswerService(
            searcher=Searcher(self.store, self.embedder, self.sparse, self.settings.retrieval),
            generator=self.generator,
            fallback=ExtractiveGenerator(self.embedder),
            verifier=CitationVerifier(self.embedder),
            traces=TraceStore(self.settings.traces_dir),
            gate_settings=self.settings.gate,
            embedder_name=self.embedder.model_name,
            generator_settings=self.settings.generator,
        )

    def ingestor(self):
        from grounded.ingest.sync import Ingestor

        return Ingestor(self.store, self.embedder, self.sparse, self.settings.chunk, self.settings.ingest)

    def close(self) -> None:
        generator = self.__dict__.get("generator")
        if generator is not None:
            generator.close()
        if "store" in self.__dict__:
            self.store.close()
