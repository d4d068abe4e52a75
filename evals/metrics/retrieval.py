"""Ranked-retrieval metrics with binary relevance.

Ranked ids are de-duplicated first (first occurrence wins), so several chunks of one document count
once and ``k`` counts distinct documents. Every per-question function returns ``None`` when the question
has no relevant ids; :func:`retrieval_metrics` reports those as ``n_skipped``.
"""

import math
from collections.abc import Collection, Sequence

from grounded.evals.metrics.aggregate import MetricValue, mean_metric


def _distinct(ranked: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ranked))


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")


def recall_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float | None:
    """Share of the relevant ids found in the top ``k``."""
    _check_k(k)
    if not relevant:
        return None
    relevant_set = set(relevant)
    return len(relevant_set.intersection(_distinct(ranked)[:k])) / len(relevant_set)


def reciprocal_rank(ranked: Sequence[str], relevant: Collection[str], k: int | None = None) -> float | None:
    """1 / rank of the first relevant id (within the top ``k`` if given), 0.0 if none is found."""
    if k is not None:
        _check_k(k)
    if not relevant:
        return None
    relevant_set = set(relevant)
    for rank, doc_id in enumerate(_distinct(ranked)[:k], start=1):
        if doc_id in relevant_set:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Collection[str], k: int = 10) -> float | None:
    """nDCG@k: gain 1 per relevant id at rank i, discounted by 1/log2(i + 1), over the ideal ranking's DCG."""
    _check_k(k)
    if not relevant:
        return None
    relevant_set = set(relevant)
    dcg = sum(
        1.0 / math.log2(rank + 1)
        for rank, doc_id in enumerate(_distinct(ranked)[:k], start=1)
        if doc_id in relevant_set
    )
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant_set), k) + 1))
    return dcg / ideal


def retrieval_metrics(
    cases: Sequence[tuple[Sequence[str], Collection[str]]],
    ks: Sequence[int] = (1, 5, 10),
    ndcg_k: int = 10,
    mrr_k: int | None = None,
) -> dict[str, MetricValue]:
    """Mean ``recall@<k>`` per k, ``mrr`` (``mrr@<k>`` with ``mrr_k``) and ``ndcg@<ndcg_k>``.

    ``cases`` holds one (ranked doc ids, relevant doc ids) pair per question.
    """
    metrics = [
        mean_metric(f"recall@{k}", (recall_at_k(r, rel, k) for r, rel in cases)) for k in ks
    ]
    mrr_name = "mrr" if mrr_k is None else f"mrr@{mrr_k}"
    metrics.append(mean_metric(mrr_name, (reciprocal_rank(r, rel, mrr_k) for r, rel in cases)))
    metrics.append(mean_metric(f"ndcg@{ndcg_k}", (ndcg_at_k(r, rel, ndcg_k) for r, rel in cases)))
    return {m.name: m for m in metrics}
