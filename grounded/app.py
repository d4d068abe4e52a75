"""The composition root: the heavy, long-lived pieces (store, embedder, BM25 encoder, generator, answer service,
ingestor), built once from settings and handed to the CLI commands, the API and the evals. It is the only module
that knows every stage; it is not part of the kernel. Models load on first use, so `grounded --help` stays fast."""

from __future__ import annotations

import threading
from functools import cached_property

from grounded.embedder import Embedder, open_embedder
from grounded.embedders import EmbedderPool
from grounded.settings import Settings
from grounded.sparse import SparseEncoder
from grounded.store import VersionedStore, open_store


class Components:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._services_lock = threading.Lock()
        self._services: dict = {}

    @cached_property
    def store(self) -> VersionedStore:
        return open_store(self.settings)

    @cached_property
    def embedder(self) -> Embedder:
        with self._lock:
            return open_embedder(self.settings.embed, self.settings.models_dir)

    @cached_property
    def embedders(self) -> EmbedderPool:
        return EmbedderPool(self.settings.embed, self.embedder, self.settings.models_dir)

    @cached_property
    def sparse(self) -> SparseEncoder:
        return SparseEncoder()

    @cached_property
    def generator(self):
        from grounded.retrieval.generators.factory import build_generator

        return build_generator(self.settings, self.embedder)

    @cached_property
    def caches(self):
        """(answer cache, query-embedding cache), or (None, None) when caching is off."""
        from grounded.retrieval.cache import AnswerCache, LruCache

        c = self.settings.cache
        if not c.enabled:
            return None, None
        return AnswerCache(c.answer_entries, c.answer_ttl_s), LruCache(c.embedding_entries)

    @cached_property
    def answers(self):
        """The default profile's answer service, shared by the CLI, the API and the evals."""
        return self.answers_for("default")

    def answers_for(self, profile: str):
        """The answer service of a named profile (retrieval/variants.py); built once, on first use."""
        with self._services_lock:
            if profile not in self._services:
                self._services[profile] = self._build_answers(profile)
            return self._services[profile]

    @cached_property
    def router(self):
        from grounded.retrieval.variants import VariantRouter

        return VariantRouter(self.settings.variants, self.settings.home)

    def _build_answers(self, profile: str):
        from grounded.traces import TraceStore
        from grounded.retrieval.answer import AnswerService
        from grounded.retrieval.generators.extractive import ExtractiveGenerator
        from grounded.retrieval.generators.factory import build_generator
        from grounded.retrieval.search import Searcher
        from grounded.retrieval.variants import UnknownProfile, profile_settings
        from grounded.retrieval.verify import CitationVerifier

        if profile == "default":
            generator, generator_settings, retrieval = self.generator, self.settings.generator, self.settings.retrieval
        elif profile in self.settings.variants.profiles:
            generator_settings, retrieval = profile_settings(self.settings, self.settings.variants.profiles[profile])
            generator = build_generator(self.settings.model_copy(update={"generator": generator_settings}),
                                        self.embedder)
        else:
            raise UnknownProfile(profile)
        return AnswerService(
            searcher=Searcher(self.store, self.embedder, self.sparse, retrieval, self.embedders,
                              embedding_cache=self.caches[1]),
            generator=generator,
            fallback=ExtractiveGenerator(self.embedder),
            verifier=CitationVerifier.from_settings(self.settings),
            traces=TraceStore(self.settings.traces_dir),
            gate_settings=self.settings.gate,
            embedder_name=self.embedder.model_name,
            generator_settings=generator_settings,
            cache=self.caches[0],
            profile=profile,
            budget=self.settings.budget,
        )

    def ingestor(self):
        from grounded.ingest.sync import Ingestor

        return Ingestor(self.store, self.embedder, self.sparse, self.settings.chunk, self.settings.ingest)

    def close(self) -> None:
        for service in self._services.values():
            service.verifier.close()
        generators = [self.__dict__.get("generator")] + [a.generator for a in self._services.values()]
        for generator in {id(g): g for g in generators if g is not None}.values():
            generator.close()
        if "store" in self.__dict__:
            self.store.close()
