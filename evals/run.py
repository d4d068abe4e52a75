"""Ask every question of a dataset through the same code path as the API (`AnswerService.stream`), keeping the
evidence the answer saw and the final answer contract."""

from __future__ import annotations

from typing import Callable

from pydantic import BaseModel, Field

from grounded.evals.datasets import EvalDataset, EvalQuestion
from grounded.contracts import Answer, Evidence
from grounded.retrieval.answer import AnswerService, AskRequest
from grounded.retrieval.events import FinalEvent, RetrievalEvent
from grounded.retrieval.search import Searcher


class QuestionResult(BaseModel):
    question: EvalQuestion
    evidence: list[Evidence] = Field(default_factory=list)
    answer: Answer | None = Field(default=None, description="None in retrieval-only runs")

    @property
    def ranked_doc_ids(self) -> list[str]:
        return [e.chunk.doc_id for e in self.evidence]


def run_answers(
    dataset: EvalDataset, service: AnswerService, collection: str, limit: int | None = None,
    on_done: Callable[[QuestionResult], None] | None = None,
) -> list[QuestionResult]:
    results = []
    for q in dataset.questions[:limit]:
        result = QuestionResult(question=q)
        for event in service.stream(AskRequest(collection=collection, question=q.question, cache=False), live=False):
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
        results.append(QuestionResult(question=q, evidence=searcher.search(collection, q.question, top_k=top_k)))
        if on_done:
            on_done(results[-1])
    return results
