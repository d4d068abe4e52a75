"""`grounded eval DATASET --profiles A,B`: the same questions through two answer profiles, one report per
profile and a side-by-side table (metric, A, B, B - A)."""

from __future__ import annotations

from pathlib import Path

from grounded.app import Components
from grounded.evals.datasets import EvalDataset
from grounded.evals.report import EvalReport, write_report
from grounded.evals.suite import run_suite
from grounded.retrieval.prompts import PROMPTS


def profile_reports(
    components: Components, dataset: EvalDataset, dataset_path: Path, collection: str, profiles: list[str],
    out: Path, limit: int | None = None,
) -> dict[str, EvalReport]:
    reports = {}
    for profile in profiles:
        service = components.answers_for(profile)
        report, _ = run_suite(dataset, str(dataset_path), components, collection, limit=limit, answers=service)
        report.config = {
            "profile": profile, "generator": f"{service.generator.name} ({service.generator.model})",
            "prompt": PROMPTS[service.generator_settings.prompt_form],
            "retrieval": f"top_k={service.searcher.settings.top_k}, rrf_k={service.searcher.settings.rrf_k}"}
        write_report(report, out / profile)
        reports[profile] = report
    (out / "comparison.md").write_text(comparison_markdown(reports), encoding="utf-8")
    return reports


def comparison_rows(reports: dict[str, EvalReport]) -> list[tuple[str, list[float | None], float | None]]:
    """(metric, values per profile, last - first) for every metric any profile has."""
    names = list(dict.fromkeys(n for r in reports.values() for n in r.metrics))
    out = []
    for name in names:
        values = [r.values().get(name) for r in reports.values()]
        delta = values[-1] - values[0] if len(values) > 1 and None not in (values[0], values[-1]) else None
        out.append((name, values, delta))
    return out


def comparison_markdown(reports: dict[str, EvalReport]) -> str:
    fmt = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
    profiles = list(reports)
    lines = [f"# Profiles compared: {' vs '.join(profiles)}", "",
             "| metric | " + " | ".join(profiles) + " | Δ |", "|---|" + "---|" * (len(profiles) + 1)]
    for name, values, delta in comparison_rows(reports):
        lines.append(f"| {name} | " + " | ".join(fmt(v) for v in values) + f" | {fmt(delta)} |")
    return "\n".join(lines) + "\n"
