import math

import pytest

from grounded.evals.metrics.retrieval import ndcg_at_k, recall_at_k, reciprocal_rank, retrieval_metrics

pytestmark = pytest.mark.unit

RANKED = ["a", "b", "c", "d"]
RELEVANT = {"b", "d"}


def test_recall_at_k() -> None:
    assert recall_at_k(RANKED, RELEVANT, 1) == 0.0
    assert recall_at_k(RANKED, RELEVANT, 2) == 0.5
    assert recall_at_k(RANKED, RELEVANT, 4) == 1.0
    assert recall_at_k([], RELEVANT, 5) == 0.0


def test_reciprocal_rank() -> None:
    assert reciprocal_rank(RANKED, RELEVANT) == 0.5
    assert reciprocal_rank(["x", "y", "b"], RELEVANT, k=2) == 0.0
    assert reciprocal_rank(["x"], RELEVANT) == 0.0


def test_ndcg_hand_computed() -> None:
    # relevant at ranks 2 and 4; ideal has them at ranks 1 and 2
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(RANKED, RELEVANT) == pytest.approx(expected)
    assert expected == pytest.approx(0.6509, abs=1e-4)
    assert ndcg_at_k(["b", "d"], RELEVANT) == pytest.approx(1.0)
    assert ndcg_at_k(RANKED, RELEVANT, k=1) == 0.0
    # more relevant docs than k: ideal DCG is capped at k
    assert ndcg_at_k(["b"], {"b", "d", "e"}, k=1) == 1.0


def test_duplicate_doc_ids_count_once() -> None:
    ranked = ["a", "a", "b", "b"]
    assert recall_at_k(ranked, {"b"}, 2) == 1.0
    assert reciprocal_rank(ranked, {"b"}) == 0.5
    assert ndcg_at_k(ranked, {"a"}) == 1.0  # a second "a" adds no gain beyond 1


def test_no_relevant_ids_is_none_and_bad_k_raises() -> None:
    assert recall_at_k(RANKED, set(), 5) is None
    assert reciprocal_rank(RANKED, []) is None
    assert ndcg_at_k(RANKED, set()) is None
    with pytest.raises(ValueError):
        recall_at_k(RANKED, RELEVANT, 0)


def test_retrieval_metrics_skips_questions_without_references() -> None:
    cases = [(["a", "b"], {"b"}), (["c"], {"c"}), (["z"], set())]
    m = retrieval_metrics(cases, ks=(1, 2), mrr_k=10)
    assert list(m) == ["recall@1", "recall@2", "mrr@10", "ndcg@10"]
    assert m["recall@1"].value == 0.5 and m["recall@2"].value == 1.0
    assert m["mrr@10"].value == 0.75
    assert (m["mrr@10"].n, m["mrr@10"].n_skipped, m["mrr@10"].n_nan) == (2, 1, 0)
    assert m["ndcg@10"].value == pytest.approx((1 / math.log2(3) + 1) / 2)
    assert retrieval_metrics([], ks=(5,))["recall@5"].value is None
