"""The eval report: `report.json` (the contract a later run compares against), `report.md` and PNG plots."""

from __future__ import annotations

import os
import platform
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, Field

from grounded.evals.gate import GateCheck, Regression
from grounded.evals.metrics.aggregate import MetricValue
from grounded.evals.run import QuestionResult


class QuestionRow(BaseModel):
    id: str
    category: str | None
    answerable: bool
    expected_status: str | None
    status: str | None
    answer: str | None
    confidence: float | None
    cited_docs: list[str]
    retrieved_docs: list[str]
    fallback: str | None
    total_ms: float | None


class EvalReport(BaseModel):
    created_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    dataset: str
    collection: str
    machine: str = Field(default_factory=lambda: f"{platform.node()} {os.cpu_count()} cores {platform.machine()}")
    config: dict[str, str] = Field(default_factory=dict)
    metrics: dict[str, MetricValue]
    questions: list[QuestionRow]
    gate: GateCheck | None = None
    regressions: list[Regression] = Field(default_factory=list)

    def values(self) -> dict[str, float | None]:
        return {name: m.value for name, m in self.metrics.items()}


def rows(results: list[QuestionResult]) -> list[QuestionRow]:
    out = []
    for r in results:
        a = r.answer
        out.append(QuestionRow(
            id=r.question.id, category=r.question.category, answerable=r.question.answerable,
            expected_status=r.question.expected_status, status=a.status.value if a else None,
            answer=(a.answer or a.followup_question) if a else None, confidence=a.confidence if a else None,
            cited_docs=[c.doc_id for c in a.citations] if a else [], retrieved_docs=r.ranked_doc_ids[:10],
            fallback=a.fallback if a else None, total_ms=a.timings_ms.get("total") if a else None,
        ))
    return out


def write_report(report: EvalReport, out: Path) -> None:
    """report.json and report.md; the plots are `grounded.evals.plots.write_plots` (it reads this report)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(report.model_dump_json(indent=2), encoding="utf-8")
    (out / "report.md").write_text(markdown(report), encoding="utf-8")


def _fmt(v: float | None) -> str:
    return "—" if v is None else (f"{v:.3f}" if abs(v) < 1000 else f"{v:,.0f}")


def markdown(report: EvalReport) -> str:
    lines = [
        f"# Eval report: {report.dataset}",
        "",
        f"- collection `{report.collection}`, {len(report.questions)} questions, {report.created_at:%Y-%m-%d %H:%M} UTC",
        f"- machine: {report.machine}",
        *(f"- {k}: {v}" for k, v in report.config.items()),
        "",
        "| metric | value | n | NaN | skipped |",
        "|---|---|---|---|---|",
    ]
    for name, m in report.metrics.items():
        lines.append(f"| {name} | {_fmt(m.value)} | {m.n} | {m.n_nan} | {m.n_skipped} |")
    if report.gate is not None:
        lines += ["", f"## Gate: {'passed' if report.gate.passed else 'FAILED'}", ""]
        lines += [f"- {f.metric}: {f.reason}" for f in report.gate.failures]
    if report.regressions:
        lines += ["", "## Regressions against the baseline", ""]
        lines += [f"- {r.metric}: {_fmt(r.baseline)} → {_fmt(r.current)} ({r.reason})" for r in report.regressions]
    wrong = [q for q in report.questions if q.expected_status and q.status != q.expected_status]
    if wrong:
        lines += ["", "## Questions whose status differs from the expected one", "",
                  "| id | category | expected | got | answer |", "|---|---|---|---|---|"]
        for q in wrong:
            text = (q.answer or "").replace("|", "\\|").replace("\n", " ")[:120]
            lines.append(f"| {q.id} | {q.category} | {q.expected_status} | {q.status} | {text} |")
    return "\n".join(lines) + "\n"
