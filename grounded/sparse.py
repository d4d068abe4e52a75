"""BM25 sparse vectors, from Qdrant's own BM25 embedder (qdrant-edge; no download).

The same vectors go to the embedded engine and to a Qdrant server (collection with the IDF modifier), so the
engine computes the IDF and the whole BM25 score stays in Qdrant.
"""

from __future__ import annotations

from dataclasses import dataclass

from qdrant_edge import Bm25, Bm25Config

BM25_NAME = "qdrant-bm25-english"


@dataclass(frozen=True)
class SparseVec:
    indices: list[int]
    values: list[float]


class SparseEncoder:
    def __init__(self, avg_len: float = 120.0) -> None:
        self._bm25 = Bm25(Bm25Config(language="english", avg_len=avg_len))

    def embed_documents(self, texts: list[str]) -> list[SparseVec]:
        out = []
        for text in texts:
            vec = self._bm25.embed_document(text)
            out.append(SparseVec(list(vec.indices), list(vec.values)))
        return out

    def embed_query(self, text: str) -> SparseVec:
        vec = self._bm25.embed_query(text)
        return SparseVec(list(vec.indices), list(vec.values))
