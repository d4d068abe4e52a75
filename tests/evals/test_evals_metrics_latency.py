import pytest

from grounded.evals.metrics.latency import QuestionUsage, latency_metrics, percentile, usage_summary

pytestmark = pytest.mark.unit


def test_nearest_rank_percentile() -> None:
    values = list(range(1, 11))
    assert percentile(values, 50) == 5  # rank ceil(5.0) = 5
    assert percentile(values, 95) == 10  # rank ceil(9.5) = 10
    assert percentile(values, 90) == 9
    assert percentile([3, 1, 2], 50) == 2  # rank ceil(1.5) = 2 of the sorted values
    assert percentile([7], 95) == 7
    assert percentile(values, 0) == 1 and percentile(values, 100) == 10
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_latency_metrics_per_step() -> None:
    timings = [{"retrieve": 10, "total": 100}, {"retrieve": 30, "total": 300}, {"total": 200}]
    m = latency_metrics(timings)
    assert list(m) == ["p50_retrieve_ms", "p95_retrieve_ms", "p50_total_ms", "p95_total_ms"]
    assert (m["p50_retrieve_ms"].value, m["p50_retrieve_ms"].n, m["p50_retrieve_ms"].n_skipped) == (10, 2, 1)
    assert m["p95_retrieve_ms"].value == 30
    assert (m["p50_total_ms"].value, m["p95_total_ms"].value) == (200, 300)
    assert latency_metrics([]) == {}


def test_usage_summary() -> None:
    usages = [
        QuestionUsage(prompt_tokens=100, completion_tokens=20, cost_usd=0.01, successful=True),
        QuestionUsage(prompt_tokens=200, completion_tokens=30, cost_usd=0.02, successful=False),
        QuestionUsage(prompt_tokens=50, cost_usd=0.0, successful=True),
    ]
    s = usage_summary(usages)
    assert (s.n_questions, s.n_successful, s.total_tokens) == (3, 2, 400)
    assert s.tokens_per_question == pytest.approx(400 / 3)
    assert s.tokens_per_successful_answer == 200
    assert s.total_cost_usd == pytest.approx(0.03)
    assert s.cost_per_question_usd == pytest.approx(0.01)
    assert s.cost_per_successful_answer_usd == pytest.approx(0.015)
    m = s.metrics()
    assert m["tokens_per_successful_answer"].n == 2 and m["cost_per_question_usd"].n == 3


def test_usage_unknown_cost_and_no_success() -> None:
    s = usage_summary([QuestionUsage(prompt_tokens=10, cost_usd=None, successful=False)])
    assert s.total_cost_usd is None and s.cost_per_question_usd is None
    assert s.tokens_per_question == 10 and s.tokens_per_successful_answer is None
    empty = usage_summary([])
    assert (empty.tokens_per_question, empty.total_cost_usd, empty.cost_per_question_usd) == (None, 0.0, None)
