"""`grounded eval DATASET ...` (run, report, gate) and `grounded eval import beir|squad2|llamaindex SRC OUT`."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup

from grounded.cli.common import err, open_components, settings_or_exit


class _RunByDefault(TyperGroup):
    """`grounded eval DATASET` means `grounded eval run DATASET`."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=_RunByDefault, no_args_is_help=True, help="Measure answer quality; gate regressions.")


class Source(StrEnum):
    BEIR = "beir"
    SQUAD2 = "squad2"
    LLAMAINDEX = "llamaindex"


class Judge(StrEnum):
    NONE = "none"
    LOCAL = "local"
    OPENAI = "openai"


@app.command("import")
def import_cmd(
    source: Annotated[Source, typer.Argument(help="format of SRC")],
    src: Annotated[Path, typer.Argument(help="BEIR folder, SQuAD 2.0 JSON, or LlamaIndex dataset folder")],
    out: Annotated[Path, typer.Argument(help="new dataset folder")],
    limit: Annotated[Optional[int], typer.Option(min=1, help="at most N questions")] = None,
) -> None:
    """Convert a public dataset into Grounded's dataset folder format."""
    from grounded.evals.datasets import DatasetError
    from grounded.evals.importers import IMPORTERS

    try:
        dataset = IMPORTERS[source.value](src, out, limit)
    except (DatasetError, FileNotFoundError, FileExistsError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    err.print(f"wrote {out}: {len(dataset.questions)} questions ({dataset.corpus_kind.value} corpus)")


@app.command("run")
def run_cmd(
    dataset_path: Annotated[Path, typer.Argument(metavar="DATASET", help="dataset folder")],
    collection: Annotated[str, typer.Option("--collection", "-c")],
    ingest: Annotated[bool, typer.Option("--ingest", help="ingest the dataset's corpus first")] = False,
    limit: Annotated[Optional[int], typer.Option(min=1)] = None,
    out: Annotated[Path, typer.Option(help="report folder")] = Path("runs/latest"),
    gate: Annotated[Optional[Path], typer.Option(help="YAML of metric thresholds; exit 1 if any falls short")] = None,
    baseline: Annotated[Optional[Path], typer.Option(help="an earlier report.json (or its folder)")] = None,
    retrieval_only: Annotated[bool, typer.Option("--retrieval-only", help="rank documents only (top 100)")] = False,
    judge: Annotated[Judge, typer.Option(help="LLM judge for RAGAS LLM metrics")] = Judge.NONE,
    profile: Annotated[Optional[Path], typer.Option("--profile")] = None,
) -> None:
    """Ask every question as the API would, score it, write report.json/report.md/plots, apply the gate."""
    from grounded.evals.datasets import DatasetError, load_dataset
    from grounded.evals.gate import check_gate, load_gate
    from grounded.evals.plots import write_plots
    from grounded.evals.report import EvalReport, rows, write_report
    from grounded.evals.run import run_answers, run_retrieval
    from grounded.evals.scoring import answer_scores, retrieval_scores

    try:
        dataset = load_dataset(dataset_path)
        thresholds = load_gate(gate) if gate else None
    except (DatasetError, FileNotFoundError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    settings = settings_or_exit(profile)
    with open_components(settings) as components:
        if ingest:
            report = components.ingestor().sync(collection, dataset.corpus_path)
            err.print(f"ingested: {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
                      f"{len(report.failed)} failed")
        if components.store.get_collection(collection) is None:
            err.print(f"[red]collection not found: {collection}[/red] (use --ingest)")
            raise typer.Exit(2)
        total = min(limit or len(dataset.questions), len(dataset.questions))
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True) as progress:
            task = progress.add_task("questions", total=total)
            tick = lambda _: progress.advance(task)  # noqa: E731
            if retrieval_only:
                searcher = components.answers.searcher
                results = run_retrieval(dataset, searcher, collection, limit=limit, on_done=tick)
            else:
                results = run_answers(dataset, components.answers, collection, limit=limit, on_done=tick)
        metrics = {**retrieval_scores(results, ks=(1, 5, 10, 100) if retrieval_only else (1, 3, 5)),
                   **answer_scores(results)}
        per_sample = {}
        if not retrieval_only:
            from grounded.evals.ragas_run import ragas_metrics

            ragas, per_sample = ragas_metrics(results, components, judge.value)
            metrics.update(ragas)

    g = settings.generator
    report = EvalReport(
        dataset=str(dataset_path), collection=collection, metrics=metrics, questions=rows(results),
        config={"generator": "none (retrieval only)" if retrieval_only else f"{g.backend.value} ({g.local_model if g.backend.value == 'local' else g.model})",
                "retrieval": f"hybrid RRF k={settings.retrieval.rrf_k}, top_k={settings.retrieval.top_k}",
                "judge": judge.value},
    )
    if baseline is not None:
        base_path = baseline / "report.json" if baseline.is_dir() else baseline
        base = EvalReport.model_validate_json(base_path.read_text())
        report.regressions = regressions(report.values(), base.values())
    if thresholds is not None:
        report.gate = check_gate(report.values(), thresholds)
    write_report(report, out)
    write_plots(report, out, per_sample)
    _print_summary(report)
    err.print(f"report: {out / 'report.md'}")
    if report.gate is not None and not report.gate.passed:
        for f in report.gate.failures:
            err.print(f"[red]gate failed[/red] {f.metric}: {f.reason}")
        raise typer.Exit(1)


LATENCY_TOLERANCE = 0.5  # timings on a shared 2-core machine swing by tens of percent run to run
QUALITY_TOLERANCE = 0.05


def regressions(current: dict[str, float | None], baseline: dict[str, float | None]):
    """Quality metrics may drop 5% before they count as a regression; latencies may grow 50%."""
    from grounded.evals.gate import compare_to_baseline

    timing = {k for k in current if k.endswith("_ms")}
    split = lambda d, keep: {k: v for k, v in d.items() if (k in timing) == keep}  # noqa: E731
    return compare_to_baseline(split(current, False), split(baseline, False), tolerance=QUALITY_TOLERANCE) + \
        compare_to_baseline(split(current, True), split(baseline, True), tolerance=LATENCY_TOLERANCE)


def _print_summary(report) -> None:
    from rich.table import Table

    table = Table(title=f"{report.dataset} ({len(report.questions)} questions)")
    for col in ("metric", "value", "n", "NaN"):
        table.add_column(col)
    for name, m in report.metrics.items():
        table.add_row(name, "—" if m.value is None else f"{m.value:.3f}", str(m.n), str(m.n_nan))
    Console(file=sys.stdout).print(table)
