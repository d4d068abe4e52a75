"""Abstention quality: did the system say "I can't answer that" exactly when it should?

The positive class is ABSTENTION: a question is gold-positive when it is not answerable, and
predicted-positive when the system abstained. Zero-division convention: a ratio whose denominator is
0 is ``None`` (undefined), never NaN and never silently 0 or 1. F1 is ``None`` when precision or recall
is ``None``, and 0.0 when both are 0.
"""

from collections.abc import Iterable

from pydantic import BaseModel

from grounded.evals.metrics.aggregate import MetricValue


class AbstentionCounts(BaseModel):
    """Confusion matrix with abstention as the positive class."""

    true_abstain: int = 0  # unanswerable, abstained
    false_abstain: int = 0  # answerable, abstained
    missed_abstain: int = 0  # unanswerable, answered
    true_answer: int = 0  # answerable, answered

    @property
    def total(self) -> int:
        """Number of questions counted."""
        return self.true_abstain + self.false_abstain + self.missed_abstain + self.true_answer


class AbstentionScores(BaseModel):
    """Precision, recall and F1 of abstention, accuracy of the answer/abstain decision, and the counts."""

    counts: AbstentionCounts
    precision: float | None
    recall: float | None
    f1: float | None
    accuracy: float | None

    def metrics(self) -> dict[str, MetricValue]:
        """As ``abstention_precision``, ``abstention_recall``, ``abstention_f1``, ``abstention_accuracy``;
        ``n`` is each ratio's denominator (questions for F1 and accuracy)."""
        c = self.counts
        rows = [
            ("abstention_precision", self.precision, c.true_abstain + c.false_abstain),
            ("abstention_recall", self.recall, c.true_abstain + c.missed_abstain),
            ("abstention_f1", self.f1, c.total),
            ("abstention_accuracy", self.accuracy, c.total),
        ]
        return {name: MetricValue(name=name, value=value, n=n) for name, value, n in rows}


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def abstention_scores(pairs: Iterable[tuple[bool, bool]]) -> AbstentionScores:
    """Score ``(answerable_gold, abstained)`` pairs, one per question."""
    counts = AbstentionCounts()
    for answerable, abstained in pairs:
        if abstained:
            if answerable:
                counts.false_abstain += 1
            else:
                counts.true_abstain += 1
        elif answerable:
            counts.true_answer += 1
        else:
            counts.missed_abstain += 1
    precision = _ratio(counts.true_abstain, counts.true_abstain + counts.false_abstain)
    recall = _ratio(counts.true_abstain, counts.true_abstain + counts.missed_abstain)
    if precision is None or recall is None:
        f1 = None
    elif precision + recall == 0:
        f1 = 0.0
    else:
        f1 = 2 * precision * recall / (precision + recall)
    accuracy = _ratio(counts.true_abstain + counts.true_answer, counts.total)
    return AbstentionScores(counts=counts, precision=precision, recall=recall, f1=f1, accuracy=accuracy)
