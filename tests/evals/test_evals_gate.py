import math
from pathlib import Path

import pytest

from grounded.evals.gate import (
    Direction,
    Gate,
    Threshold,
    check_gate,
    compare_to_baseline,
    load_gate,
    metric_direction,
)

pytestmark = pytest.mark.unit

GATE_YAML = """
metrics:
  abstention_f1: {min: 0.7}
  p95_total_ms: {max: 20000}
  faithfulness: {min: 0.8, max: 1.0}
"""


@pytest.fixture
def gate(tmp_path: Path) -> Gate:
    path = tmp_path / "gate.yaml"
    path.write_text(GATE_YAML)
    return load_gate(path)


def test_load_gate(gate: Gate) -> None:
    assert gate.metrics["abstention_f1"] == Threshold(min=0.7)
    assert gate.metrics["p95_total_ms"].max == 20000


@pytest.mark.parametrize(
    "text",
    ["metrics: {x: {}}", "metrics: {x: {min: 2, max: 1}}", "metrics: {x: {minimum: 1}}", "metrics: [", "{}"],
)
def test_invalid_gate_files(tmp_path: Path, text: str) -> None:
    path = tmp_path / "gate.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match="invalid gate file"):
        load_gate(path)


def test_gate_passes_with_inclusive_bounds(gate: Gate) -> None:
    report = {"abstention_f1": 0.7, "p95_total_ms": 20000, "faithfulness": 1.0, "other": None}
    result = check_gate(report, gate)
    assert result.passed and result.failures == []
    assert result.checked == ["abstention_f1", "p95_total_ms", "faithfulness"]


def test_gate_failure_reasons(gate: Gate) -> None:
    result = check_gate({"abstention_f1": 0.65, "p95_total_ms": None, "faithfulness": math.nan}, gate)
    assert not result.passed
    reasons = {f.metric: f.reason for f in result.failures}
    assert reasons["abstention_f1"] == "0.65 is below the minimum 0.7"
    assert "undefined (None)" in reasons["p95_total_ms"]
    assert reasons["faithfulness"] == "metric is NaN"
    assert "missing" in check_gate({}, gate).failures[0].reason
    assert check_gate({"p95_total_ms": 25000}, Gate(metrics={"p95_total_ms": Threshold(max=20000)})).failures[
        0
    ].reason == "25000 is above the maximum 20000"


def test_metric_direction() -> None:
    for name in ["p95_total_ms", "cost_per_question_usd", "tokens_per_successful_answer", "latency_mean"]:
        assert metric_direction(name) is Direction.LOWER_IS_BETTER
    for name in ["ndcg@10", "recall@5", "abstention_f1", "faithfulness", "exact_match"]:
        assert metric_direction(name) is Direction.HIGHER_IS_BETTER


def test_baseline_regression_directions() -> None:
    baseline = {"ndcg@10": 0.70, "recall@5": 0.80, "p95_total_ms": 1000.0, "p50_total_ms": 500.0}
    current = {"ndcg@10": 0.60, "recall@5": 0.79, "p95_total_ms": 1200.0, "p50_total_ms": 300.0}
    regressions = compare_to_baseline(current, baseline, tolerance=0.05)
    # ndcg dropped 0.10 > 0.035 allowed; recall dropped 0.01 < 0.04; p95 rose 200 > 50; p50 improved
    assert [(r.metric, r.direction) for r in regressions] == [
        ("ndcg@10", Direction.HIGHER_IS_BETTER),
        ("p95_total_ms", Direction.LOWER_IS_BETTER),
    ]
    assert "lower is better" in regressions[1].reason


def test_improvements_are_not_regressions() -> None:
    baseline = {"ndcg@10": 0.5, "p95_total_ms": 99.0}
    assert compare_to_baseline({"ndcg@10": 0.9, "p95_total_ms": 10.0}, baseline) == []


def test_missing_undefined_and_nan_current_values_regress() -> None:
    baseline = {"a": 0.5, "b": 0.5, "c": 0.5, "d": None, "e": math.nan}
    regressions = compare_to_baseline({"b": None, "c": math.nan}, baseline)
    assert [(r.metric, r.reason) for r in regressions] == [
        ("a", "metric is missing in the current report"),
        ("b", "metric is undefined in the current report"),
        ("c", "metric is NaN in the current report"),
    ]


def test_abs_tolerance_and_direction_override() -> None:
    assert compare_to_baseline({"cost_usd": 0.001}, {"cost_usd": 0.0}, abs_tolerance=0.01) == []
    assert len(compare_to_baseline({"cost_usd": 0.001}, {"cost_usd": 0.0})) == 1
    override = {"abstention_rate": Direction.LOWER_IS_BETTER}
    current, baseline = {"abstention_rate": 0.5}, {"abstention_rate": 0.2}
    assert len(compare_to_baseline(current, baseline, directions=override)) == 1
    assert compare_to_baseline(current, baseline) == []
