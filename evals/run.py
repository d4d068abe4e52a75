"""Ask every question of a dataset through the same code path as the API (`AnswerService.stream`), keeping the
evidence the answer saw and the final answer contract."""

from __future__ import annotations

from typing import Callable

from pydantic import BaseModel, Field

from grounded.evals.datasets import EvalDataset, EvalQuestion
from grounded.contracts import Answer
from grounded.retrieval.answer import AnswerService, AskRequest
from grounded.retrieval.events import EvidenceSummary, FinalEvent, RetrievalEvent
from grounded.retrieval.search import Searcher


class QuestionResult(BaseModel):
    question: EvalQuestion
    evidence: list[EvidenceSummary] = Field(default_factory=list)
    answer: Answer | None = Field(default=None, description="None in retrieval-only runs")

    @property
    def ranked_doc_ids(self) -> list[str]:
        return [e.doc_id for e in self.evidence]


def run_answers(
    dataset: EvalDataset, service: AnswerService, collection: str, limit: int | None = None,
    on_done: Callable[[QuestionResult], None] | None = None,
) -> list[QuestionResult]:
    results = []
    for q in dataset.questions[:limit]:
        result = QuestionResult(question=q)
        for event in service.stream(AskRequest(collection=collection, question=q.question, cache=False), tokens=False):
            if isinstance(event, RetrievalEvent):
                result.evidence = event.evidence
            elif isinstance(event, FinalEvent):
                result.answer = event.answer
        results.append(result)
        if on_done:
            on_done(result)
    return results


def run_retrieval(
    dataset: EvalDataset, searcher: Searcher, collection: str, top_k: int = 100, limit: int | None = None,
    on_done: Callable[[QuestionResult], None] | None = None,
) -> list[QuestionResult]:
    """Retrieval only (no generation): for ranking metrics at depths beyond what an answer uses."""
    results = []
    for q in dataset.questions[:limit]:
        hits = searcher.search(collection, q.question, top_k=top_k)
        evidence = [
            EvidenceSummary(chunk_id=h.chunk.chunk_id, doc_id=h.chunk.doc_id, title=h.chunk.title,
                            section=h.chunk.section, page=h.chunk.page, score=h.score, text=h.chunk.text)
            for h in hits
        ]
        results.append(QuestionResult(question=q, evidence=evidence))
        if on_done:
            on_done(results[-1])
    return results
