"""One eval run: ask (or only retrieve) every question through the product's own code path, score the results,
and assemble the report; then compare it with a baseline and apply the gate. Files and printing stay with the
caller (`grounded eval`)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from grounded.app import Components
from grounded.evals.datasets import EvalDataset
from grounded.evals.gate import Gate, check_gate, compare_to_baseline
from grounded.evals.metrics.aggregate import MetricValue
from grounded.evals.ragas_run import ragas_metrics
from grounded.evals.report import EvalReport, rows
from grounded.evals.run import QuestionResult, run_answers, run_retrieval
from grounded.evals.scoring import answer_scores, retrieval_scores
from grounded.retrieval.answer import AnswerService
from grounded.settings import GeneratorBackend, Settings

ANSWER_KS = (1, 3, 5)
RETRIEVAL_ONLY_KS = (1, 5, 10, 100)  # retrieval-only runs rank the top 100
LATENCY_TOLERANCE = 0.5  # timings on a shared 2-core machine swing by tens of percent run to run
QUALITY_TOLERANCE = 0.05

PerSample = dict[str, list[float | None]]


def run_suite(
    dataset: EvalDataset, dataset_name: str, components: Components, collection: str, *, limit: int | None = None,
    retrieval_only: bool = False, judge: str = "none", on_done: Callable[[QuestionResult], None] | None = None,
    answers: AnswerService | None = None,
) -> tuple[EvalReport, PerSample]:
    """The report (metrics and one row per question) and the per-sample RAGAS scores the plots draw.
    `answers`: another answer profile's service (default: the configured one)."""
    answers = answers or components.answers
    if retrieval_only:
        results = run_retrieval(dataset, answers.searcher, collection, limit=limit, on_done=on_done)
    else:
        results = run_answers(dataset, answers, collection, limit=limit, on_done=on_done)
    metrics: dict[str, MetricValue] = {
        **retrieval_scores(results, ks=RETRIEVAL_ONLY_KS if retrieval_only else ANSWER_KS), **answer_scores(results)
    }
    per_sample: PerSample = {}
    if not retrieval_only:
        ragas, per_sample = ragas_metrics(results, components, judge)
        metrics.update(ragas)
    report = EvalReport(dataset=dataset_name, collection=collection, metrics=metrics, questions=rows(results),
                        config=run_config(components.settings, retrieval_only, judge))
    return report, per_sample


def run_config(settings: Settings, retrieval_only: bool, judge: str) -> dict[str, str]:
    g = settings.generator
    model = g.local_model if g.backend is GeneratorBackend.LOCAL else g.model
    return {
        "generator": "none (retrieval only)" if retrieval_only else f"{g.backend.value} ({model})",
        "retrieval": f"hybrid RRF k={settings.retrieval.rrf_k}, top_k={settings.retrieval.top_k}",
        "judge": judge,
    }


def judge_report(report: EvalReport, baseline: Path | None = None, thresholds: Gate | None = None) -> None:
    """Fill `report.regressions` against an earlier report.json (or its folder) and `report.gate`."""
    if baseline is not None:
        base_path = baseline / "report.json" if baseline.is_dir() else baseline
        base = EvalReport.model_validate_json(base_path.read_text())
        report.regressions = regressions(report.values(), base.values())
    if thresholds is not None:
        report.gate = check_gate(report.values(), thresholds)


def regressions(current: dict[str, float | None], baseline: dict[str, float | None]):
    """Quality metrics may drop 5% before they count as a regression; latencies may grow 50%."""
    timing = {k for k in current if k.endswith("_ms")}
    split = lambda d, keep: {k: v for k, v in d.items() if (k in timing) == keep}  # noqa: E731
    return compare_to_baseline(split(current, False), split(baseline, False), tolerance=QUALITY_TOLERANCE) + \
        compare_to_baseline(split(current, True), split(baseline, True), tolerance=LATENCY_TOLERANCE)
