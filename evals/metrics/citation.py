"""Citation precision and recall of one answer. Support is decided by the answer pipeline's own judge
(retrieval/judge.py, with the verifier's thresholds) unless the caller passes another checker.

Conventions: an answer with no sentences (e.g. an abstention) has ``precision = recall = None``;
an answer with sentences but no citations has ``precision = None`` (nothing to judge) and
``recall = 0.0`` (no sentence is backed). Averaging over answers is left to
:func:`evals.metrics.aggregate.mean_metric`, which counts those ``None`` values as skipped.
"""

from collections.abc import Callable, Sequence

from functools import lru_cache

from pydantic import BaseModel, Field

SupportChecker = Callable[[str, str], bool]
"""``supports(sentence, quote)``: does the quoted evidence support the sentence?"""


@lru_cache(maxsize=1)
def _judge():
    from grounded.retrieval.judge import Judge
    from grounded.retrieval.verify import VERIFIER_THRESHOLDS

    return Judge(VERIFIER_THRESHOLDS)


def judge_supports(sentence: str, quote: str) -> bool:
    """The verifier's judge (cheap path) on the quote alone: does it back every part of the sentence?"""
    return _judge().judge(sentence, [quote]).supported


class CitedSentence(BaseModel):
    """One answer sentence and the evidence quotes it cites."""

    text: str
    quotes: list[str] = Field(default_factory=list)


class CitationScores(BaseModel):
    """Per-answer citation scores and the counts behind them."""

    precision: float | None
    recall: float | None
    n_sentences: int
    n_supported_sentences: int
    n_citations: int
    n_supported_citations: int


def citation_scores(sentences: Sequence[CitedSentence], supports: SupportChecker = judge_supports) -> CitationScores:
    """Precision: share of citations whose quote supports the sentence citing it.
    Recall: share of sentences carrying at least one supporting citation."""
    n_citations = n_supported_citations = n_supported_sentences = 0
    for sentence in sentences:
        supported = [supports(sentence.text, quote) for quote in sentence.quotes]
        n_citations += len(supported)
        n_supported_citations += sum(supported)
        n_supported_sentences += any(supported)
    return CitationScores(
        precision=n_supported_citations / n_citations if n_citations else None,
        recall=n_supported_sentences / len(sentences) if sentences else None,
        n_sentences=len(sentences),
        n_supported_sentences=n_supported_sentences,
        n_citations=n_citations,
        n_supported_citations=n_supported_citations,
    )
