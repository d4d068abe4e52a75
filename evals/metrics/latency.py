"""Latency percentiles per pipeline step, and token/cost usage per question and per successful answer.

Percentiles use the nearest-rank method: the p-th percentile of n sorted values is the value at
1-based rank ``ceil(p / 100 * n)`` (rank 1 for p = 0), so it is always an observed latency.
"""

import math
from collections.abc import Mapping, Sequence

from pydantic import BaseModel

from grounded.evals.metrics.aggregate import MetricValue


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile, ``0 <= p <= 100``; ``None`` for no values."""
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be in [0, 100], got {p}")
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return float(ordered[rank - 1])


def latency_metrics(
    timings: Sequence[Mapping[str, float]], percentiles: Sequence[float] = (50, 95)
) -> dict[str, MetricValue]:
    """``p<p>_<step>_ms`` for every step seen in the per-question ``{step: ms}`` dicts.

    A question that did not record a step counts as skipped for that step. No ``total`` is
    synthesised; record it as its own step (the sum of steps is not the wall-clock time).
    """
    steps = list(dict.fromkeys(step for timing in timings for step in timing))
    metrics: dict[str, MetricValue] = {}
    for step in steps:
        values = [timing[step] for timing in timings if step in timing]
        for p in percentiles:
            name = f"p{p:g}_{step}_ms"
            metrics[name] = MetricValue(
                name=name, value=percentile(values, p), n=len(values), n_skipped=len(timings) - len(values)
            )
    return metrics


class QuestionUsage(BaseModel):
    """LLM usage of one question; ``cost_usd`` is ``None`` when the price is unknown."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0
    successful: bool


class UsageSummary(BaseModel):
    """Totals and ratios. "Per successful answer" divides the total spend (failures included) by the
    number of successful answers: what one good answer costs. Ratios are ``None`` when their
    denominator is 0; cost figures are ``None`` if any question's cost is unknown."""

    n_questions: int
    n_successful: int
    total_tokens: int
    total_cost_usd: float | None
    tokens_per_question: float | None
    tokens_per_successful_answer: float | None
    cost_per_question_usd: float | None
    cost_per_successful_answer_usd: float | None

    def metrics(self) -> dict[str, MetricValue]:
        """The four ratios as metrics (``n`` = their denominator)."""
        rows = [
            ("tokens_per_question", self.tokens_per_question, self.n_questions),
            ("tokens_per_successful_answer", self.tokens_per_successful_answer, self.n_successful),
            ("cost_per_question_usd", self.cost_per_question_usd, self.n_questions),
            ("cost_per_successful_answer_usd", self.cost_per_successful_answer_usd, self.n_successful),
        ]
        return {name: MetricValue(name=name, value=value, n=n) for name, value, n in rows}


def _per(total: float | None, count: int) -> float | None:
    return total / count if total is not None and count else None


def usage_summary(usages: Sequence[QuestionUsage]) -> UsageSummary:
    """Summarise per-question usage."""
    n_successful = sum(u.successful for u in usages)
    total_tokens = sum(u.prompt_tokens + u.completion_tokens for u in usages)
    costs = [u.cost_usd for u in usages]
    total_cost = None if any(c is None for c in costs) else math.fsum(c for c in costs if c is not None)
    return UsageSummary(
        n_questions=len(usages),
        n_successful=n_successful,
        total_tokens=total_tokens,
        total_cost_usd=total_cost,
        tokens_per_question=_per(total_tokens, len(usages)),
        tokens_per_successful_answer=_per(total_tokens, n_successful),
        cost_per_question_usd=_per(total_cost, len(usages)),
        cost_per_successful_answer_usd=_per(total_cost, n_successful),
    )
