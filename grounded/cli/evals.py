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

from grounded.cli.common import err, open_components, require_extra, settings_or_exit


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
    profiles: Annotated[Optional[str], typer.Option(
        "--profiles", help="A,B: run two answer profiles side by side (reports in OUT/A, OUT/B, OUT/comparison.md)")
    ] = None,
) -> None:
    """Ask every question as the API would, score it, write report.json/report.md/plots, apply the gate."""
    require_extra("eval", "ragas", "matplotlib")
    if profiles is not None:
        _run_profiles(dataset_path, collection, [p.strip() for p in profiles.split(",") if p.strip()], out, limit,
                      profile)
        return
    from grounded.evals.datasets import DatasetError, load_dataset
    from grounded.evals.gate import load_gate
    from grounded.evals.plots import write_plots
    from grounded.evals.report import write_report
    from grounded.evals.suite import judge_report, run_suite

    try:
        dataset = load_dataset(dataset_path)
        thresholds = load_gate(gate) if gate else None
    except (DatasetError, FileNotFoundError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    with open_components(settings_or_exit(profile)) as components:
        if ingest:
            synced = components.ingestor().sync(collection, dataset.corpus_path)
            err.print(f"ingested: {synced.added} added, {synced.updated} updated, {synced.unchanged} unchanged, "
                      f"{len(synced.failed)} failed")
        if components.store.get_collection(collection) is None:
            err.print(f"[red]collection not found: {collection}[/red] (use --ingest)")
            raise typer.Exit(2)
        total = min(limit or len(dataset.questions), len(dataset.questions))
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True) as progress:
            task = progress.add_task("questions", total=total)
            report, per_sample = run_suite(
                dataset, str(dataset_path), components, collection, limit=limit, retrieval_only=retrieval_only,
                judge=judge.value, on_done=lambda _: progress.advance(task),
            )
    judge_report(report, baseline, thresholds)
    write_report(report, out)
    write_plots(report, out, per_sample)
    _print_summary(report)
    err.print(f"report: {out / 'report.md'}")
    if report.gate is not None and not report.gate.passed:
        for f in report.gate.failures:
            err.print(f"[red]gate failed[/red] {f.metric}: {f.reason}")
        raise typer.Exit(1)


def _run_profiles(dataset_path: Path, collection: str, names: list[str], out: Path, limit: int | None,
                  profile: Path | None) -> None:
    from grounded.evals.compare import comparison_rows, profile_reports
    from grounded.evals.datasets import DatasetError, load_dataset
    from grounded.retrieval.variants import UnknownProfile
    from rich.table import Table

    if len(names) != 2:
        err.print("[red]--profiles takes two profile names: A,B ('default' is the configured settings)[/red]")
        raise typer.Exit(2)
    with open_components(settings_or_exit(profile)) as components:
        if components.store.get_collection(collection) is None:
            err.print(f"[red]collection not found: {collection}[/red]")
            raise typer.Exit(2)
        try:
            reports = profile_reports(components, load_dataset(dataset_path), dataset_path, collection, names, out,
                                      limit)
        except (DatasetError, FileNotFoundError, UnknownProfile) as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
    table = Table(title=f"{dataset_path}: {' vs '.join(names)}")
    for col in ("metric", *names, "Δ"):
        table.add_column(col)
    fmt = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
    for name, values, delta in comparison_rows(reports):
        table.add_row(name, *(fmt(v) for v in values), fmt(delta))
    Console(file=sys.stdout).print(table)
    err.print(f"reports: {out / 'comparison.md'}")


def _print_summary(report) -> None:
    from rich.table import Table

    table = Table(title=f"{report.dataset} ({len(report.questions)} questions)")
    for col in ("metric", "value", "n", "NaN"):
        table.add_column(col)
    for name, m in report.metrics.items():
        table.add_row(name, "—" if m.value is None else f"{m.value:.3f}", str(m.n), str(m.n_nan))
    Console(file=sys.stdout).print(table)
