"""The eval run's judgement: baseline tolerances (quality 5%, latency 50%), the gate, and the run's config line."""

from __future__ import annotations

import pytest

from grounded.evals.gate import Gate, Threshold
from grounded.evals.metrics.aggregate import MetricValue
from grounded.evals.report import EvalReport
from grounded.evals.suite import judge_report, regressions, run_config
from grounded.settings import Settings

pytestmark = pytest.mark.unit


def test_quality_may_drop_5_percent_and_latency_may_grow_50_percent():
    baseline = {"recall@5": 0.80, "abstention_f1": 0.80, "p95_total_ms": 1000.0, "p50_total_ms": 1000.0}
    current = {"recall@5": 0.77, "abstention_f1": 0.75, "p95_total_ms": 1400.0, "p50_total_ms": 1600.0}
    assert sorted(r.metric for r in regressions(current, baseline)) == ["abstention_f1", "p50_total_ms"]


def report(**values: float) -> EvalReport:
    return EvalReport(dataset="d", collection="c", metrics={k: MetricValue(name=k, value=v, n=1) for k, v in values.items()},
                      questions=[], config={})


def test_judge_report_reads_a_baseline_folder_and_applies_the_gate(tmp_path):
    (tmp_path / "report.json").write_text(report(recall_at_5=0.9).model_dump_json())
    current = report(recall_at_5=0.5)
    judge_report(current, baseline=tmp_path, thresholds=Gate(metrics={"recall_at_5": Threshold(min=0.8)}))
    assert [r.metric for r in current.regressions] == ["recall_at_5"]
    assert current.gate is not None and not current.gate.passed


def test_run_config_names_the_generator_or_says_retrieval_only(tmp_path):
    settings = Settings(home=tmp_path, generator={"backend": "extractive"})
    assert run_config(settings, retrieval_only=False, judge="none")["generator"].startswith("extractive")
    assert run_config(settings, retrieval_only=True, judge="none")["generator"] == "none (retrieval only)"
