"""How well a passage answers a question: the share of the question's content stems it holds, plus (with an
embedder) its MiniLM similarity to the question, weighted equally. The extractive generator picks its answer by it,
and `sources.excerpt` picks the window of a chunk to show the model (docs/results.md, issue 8, sixth round: on
SQuAD's tuning half the semantic part kept the answer inside 600 shown characters about as often as word overlap
alone did inside 900)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from grounded.embedder import Embedder
from grounded.retrieval.text import overlap, stems


class MatchScores(NamedTuple):
    combined: np.ndarray
    lexical: np.ndarray


class QuestionMatch:
    """Scores passages against one question; the question is embedded once, with the first passages scored."""

    def __init__(self, question: str, embedder: Embedder | None = None) -> None:
        self.question = question
        self.stems = stems(question)
        self._embedder = embedder
        self._vector: np.ndarray | None = None

    def scores(self, passages: list[str]) -> MatchScores:
        lexical = np.array([overlap(self.stems, p) for p in passages])
        if self._embedder is None or not passages:
            return MatchScores(lexical, lexical)
        if self._vector is None:
            vectors = self._embedder.embed([self.question, *passages])
            self._vector, passage_vectors = vectors[0], vectors[1:]
        else:
            passage_vectors = self._embedder.embed(passages)
        return MatchScores(0.5 * (passage_vectors @ self._vector) + 0.5 * lexical, lexical)
