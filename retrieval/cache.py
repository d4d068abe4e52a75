"""Caches where they are safe: query embeddings (a pure function of the embedder and the text) and whole answers,
keyed by (index version + its write revision, normalised question, filters, top_k, answer profile). A promote or
rollback changes the index version and an ingest into the live version bumps its revision, so a stale entry can
never be found again: invalidation by construction. Requests with history bypass the answer cache.

A small LRU of our own: `functools.lru_cache` has no TTL, no per-call bypass and no hit counts to export."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from typing import Generic, Hashable, TypeVar

from pydantic import BaseModel

from grounded.contracts import Answer, Evidence
from grounded.store import SearchFilter

V = TypeVar("V")

_SPACE = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s?.!]+$")


def normalise_question(question: str) -> str:
    """Case, runs of whitespace and trailing punctuation do not change what is asked."""
    return _TRAILING.sub("", _SPACE.sub(" ", question.strip().lower()))


class CacheStats(BaseModel):
    hits: int = 0
    misses: int = 0
    entries: int = 0

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class LruCache(Generic[V]):
    def __init__(self, max_entries: int, ttl_s: float | None = None) -> None:
        self.max_entries, self.ttl_s = max_entries, ttl_s
        self._data: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = self._misses = 0

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            item = self._data.get(key)
            if item is not None and self.ttl_s is not None and time.monotonic() - item[0] > self.ttl_s:
                del self._data[key]
                item = None
            if item is None:
                self._misses += 1
                return None
            self._data.move_to_end(key)
            self._hits += 1
            return item[1]

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._data[key] = (time.monotonic(), value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(hits=self._hits, misses=self._misses, entries=len(self._data))


def answer_key(
    index_version: str, revision: int, question: str, filters: SearchFilter | None, top_k: int | None, profile: str
) -> tuple:
    flt = filters.model_dump_json(exclude_defaults=True) if filters is not None and not filters.is_empty() else ""
    return (index_version, revision, normalise_question(question), flt, top_k, profile)


class AnswerCache:
    """Finished answer contracts with the evidence they were drawn from (a hit replays the retrieval event, so a
    client can still open each citation in context, and its trace lists the evidence); only answers that did not
    fall back (a fallback is a transient condition)."""

    def __init__(self, max_entries: int, ttl_s: float | None) -> None:
        self._lru: LruCache[tuple[Answer, list[Evidence]]] = LruCache(max_entries, ttl_s)

    def get(self, key: tuple) -> tuple[Answer, list[Evidence]] | None:
        return self._lru.get(key)

    def put(self, key: tuple, answer: Answer, evidence: list[Evidence]) -> None:
        if answer.fallback is None:
            self._lru.put(key, (answer.model_copy(deep=True), [e.model_copy(deep=True) for e in evidence]))

    def stats(self) -> CacheStats:
        return self._lru.stats()
