"""`extractive` backend: no LLM. Picks the evidence sentences that best answer the question (lexical overlap
plus MiniLM similarity) and cites them. Deterministic, always available, and the fallback for the others."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from grounded.embedder import Embedder
from grounded.injection import instruction_spans, overlaps
from grounded.retrieval.generators.base import Endpoint, Generation, GenerationRequest, GeneratorInfo
from grounded.retrieval.prompts import NO_ANSWER
from grounded.retrieval.matching import QuestionMatch
from grounded.retrieval.text import quote_candidates, row_as_sentence, stems

MIN_SCORE = 0.35
SECOND_SENTENCE_RATIO = 0.9


class ExtractiveGenerator:
    name = "extractive"
    model = "extractive-v1"

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def generate(self, request: GenerationRequest) -> Generation:
        candidates: list[tuple[int, str, str]] = []  # (marker, answer sentence, text to score it by)
        for source in request.sources:
            chunk = source.evidence.chunk
            headings = {h.strip().lower() for h in [chunk.title, *chunk.section.split(" > ")]}
            injected = instruction_spans(source.excerpt)
            for s, e, scoring in quote_candidates(source.excerpt):
                if overlaps(s, e, injected):
                    continue  # text that instructs the assistant is data, never an answer
                span = source.excerpt[s:e]
                if span.strip(" .").lower() in headings or (scoring == span and len(span.split()) < 4):
                    continue  # a heading names a topic; it answers nothing
                sentence = row_as_sentence(scoring[: len(scoring) - len(span) - 1], span) if scoring != span else span
                if len(stems(scoring)) >= 2:
                    candidates.append((source.marker, sentence, scoring))
        if not candidates:
            return Generation(text=NO_ANSWER, model=self.model)
        scores, lexical = QuestionMatch(request.question, self._embedder).scores([c[2] for c in candidates])
        order = np.argsort(-scores)
        best = int(order[0])
        if scores[best] < MIN_SCORE or lexical[best] == 0:
            return Generation(text=NO_ANSWER, model=self.model, score=float(scores[best]))
        chosen = [best]
        if len(order) > 1:
            second = int(order[1])
            if scores[second] >= SECOND_SENTENCE_RATIO * scores[best] and lexical[second] > 0:
                chosen.append(second)
        text = " ".join(f"{_as_sentence(candidates[i][1])} [{candidates[i][0]}]" for i in chosen)
        return Generation(text=text, model=self.model, score=round(float(scores[best]), 4))

    def stream(self, request: GenerationRequest) -> Iterator[str | Generation]:
        generation = self.generate(request)
        yield generation.text
        yield generation

    def warm_up(self) -> None:
        """Nothing to load beyond the embedder, which the answer service already holds."""

    def readiness(self) -> str | None:
        return None

    def describe(self) -> GeneratorInfo:
        return GeneratorInfo(name=self.name, model=self.model, judges_evidence=False)

    def endpoint(self) -> Endpoint | None:
        return None

    def close(self) -> None:
        """Holds nothing to release."""


def _as_sentence(text: str) -> str:
    return text.rstrip(".") + "." if not text.endswith((".", "!", "?")) else text
