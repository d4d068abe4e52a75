"""`grounded ingest PATH -c NAME`: sync a folder, a file or a corpus.jsonl into a collection (scoped to its source
root: see ingest/roots.py), or with --dry-run show the plan."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from grounded.contracts import IngestReport
from grounded.cli.common import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, CollectionOpt, ProfileOpt, err, exit_with, open_components, settings_or_exit
from grounded.cli.remote import RemoteError, server_for

app = typer.Typer()


class _RateColumn(ProgressColumn):
    """Documents (or chunks) per second since the task started."""

    def render(self, task) -> Text:
        elapsed = task.elapsed or 0.0
        return Text(f"{task.completed / elapsed:,.1f}/s" if elapsed > 0 and task.completed else "")


class _RichProgress:
    def __init__(self, progress: Progress) -> None:
        self.p = progress
        self.files = progress.add_task("documents", total=None)
        self.chunks = progress.add_task("chunks written", total=None)

    def start(self, total_files: int) -> None:
        self.p.update(self.files, total=total_files)

    def file_done(self, doc_id: str) -> None:
        self.p.advance(self.files)

    def chunks_written(self, n: int) -> None:
        self.p.advance(self.chunks, n)


class _LineProgress:
    """Piped or logged output: a plain line at the start, at most every INTERVAL_S, and when the files are done."""

    INTERVAL_S = 5.0

    def __init__(self, collection: str, path: Path) -> None:
        self.collection, self.total, self.files, self.chunks = collection, None, 0, 0
        self.started = self.printed = time.monotonic()
        self._line(f"reading {path}")

    def start(self, total_files: int) -> None:
        self.total = total_files
        self._update(force=True)

    def file_done(self, doc_id: str) -> None:
        self.files += 1
        self._update(force=self.files == self.total)

    def chunks_written(self, n: int) -> None:
        self.chunks += n
        self._update()

    def _update(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.printed >= self.INTERVAL_S:
            self.printed = now
            total = "?" if self.total is None else self.total
            elapsed = max(now - self.started, 1e-9)
            self._line(f"{self.files}/{total} files, {self.chunks} chunks written, {elapsed:.0f}s "
                       f"({self.files / elapsed:.1f} docs/s, {self.chunks / elapsed:.1f} chunks/s)")

    def _line(self, text: str) -> None:
        print(f"ingest {self.collection}: {text}", file=sys.stderr, flush=True)


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="folder of md/txt/html/pdf/docx files, one such file, or a corpus.jsonl")],
    collection: CollectionOpt,
    prune: Annotated[
        bool,
        typer.Option("--prune/--no-prune", help="remove this source root's documents under PATH that are gone "
                                                 "from PATH (never another root's; never for a single file)"),
    ] = True,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the plan (add/update/remove) and change nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report (with its plan) as one JSON object")] = False,
    profile: ProfileOpt = None,
) -> None:
    """Ingest PATH into a collection: unchanged files are skipped, changed ones replaced, and (with --prune)
    documents of the same source root under PATH that are gone from it removed. A collection remembers every
    root it was synced from; PATH inside a known folder keeps that folder's doc ids. While a server runs on this
    GROUNDED_HOME, the server runs the ingest (as a job) and this command waits for it."""
    if not path.exists():
        err.print(f"[red]no such file or folder:[/red] {path}")
        raise typer.Exit(EXIT_USAGE)
    settings = settings_or_exit(profile)
    remote = server_for(settings)
    if remote is not None:
        if dry_run:
            remote.close()
            exit_with("--dry-run cannot run through the running server on this GROUNDED_HOME; stop it to plan")
        report = _ingest_through(remote, collection, path, prune)
    else:
        report = _ingest_here(settings, collection, path, prune, as_json, dry_run)
    if as_json:
        sys.stdout.write(report.model_dump_json() + "\n")
    else:
        print_report(report)
    raise typer.Exit(EXIT_PARTIAL if report.failed else EXIT_OK)


def print_report(report: IngestReport) -> None:
    """The report for a person: counts, the source root and scope, every removal (or, dry run, the whole plan)."""
    plan = report.plan
    root = f"{plan.root} ({'new root' if plan.new_root else 'known root'}"
    root += f", scope {plan.scope!r})" if plan.scope else ")"
    if report.dry_run:
        err.print(f"[bold]{report.collection}[/bold] dry run, nothing changed. Source {root}: would add "
                  f"{len(plan.add)}, update {len(plan.update)}, keep {plan.unchanged} unchanged, remove "
                  f"{len(plan.remove)}; {plan.untouched} other documents untouched")
    else:
        err.print(
            f"[bold]{report.collection}[/bold]: {report.added} added, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.removed} removed, {len(report.failed)} failed; "
            f"{report.chunks} chunks in {report.seconds:.1f}s. Source {root}; {plan.untouched} other documents "
            "untouched"
        )
    listed = (("would add", plan.add), ("would update", plan.update), ("would remove", plan.remove))
    for label, ids in listed if report.dry_run else (("removed", plan.remove),):
        for doc_id in ids:
            err.print(f"  {label} {doc_id}")
    for doc_id in plan.kept_stale:
        err.print(f"  [yellow]kept[/yellow] {doc_id}: gone from the source (--no-prune)")
    for note in plan.notes:
        err.print(f"  [dim]{note}[/dim]")
    for s in report.skipped:
        err.print(f"  [yellow]skipped[/yellow] {s.path}: {s.reason}")
    for f in report.failed:
        err.print(f"  [red]failed[/red] {f.path}: {f.error}")


def _ingest_through(remote, collection: str, path: Path, prune: bool) -> IngestReport:
    """The server (which owns this GROUNDED_HOME) runs the ingest as a job; its report, as a local run gives."""
    err.print(f"a grounded server (pid {remote.info.pid}) owns this GROUNDED_HOME: ingesting through it")
    try:
        job = remote.ingest(collection, path, prune)
    except RemoteError as exc:
        exit_with(str(exc))
    finally:
        remote.close()
    if job["status"] != "succeeded":
        exit_with(f"the server's ingest job failed: {job.get('error')}")
    return IngestReport.model_validate(job["report"])


def _ingest_here(settings, collection: str, path: Path, prune: bool, as_json: bool, dry_run: bool) -> IngestReport:
    from grounded.ingest.sync import EmbedderMismatch

    with open_components(settings) as components:
        try:
            ingestor = components.ingestor()
            if as_json or dry_run:
                return ingestor.sync(collection, path, prune=prune, dry_run=dry_run)
            if not err.is_terminal:
                return ingestor.sync(collection, path, prune=prune, progress=_LineProgress(collection, path))
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), _RateColumn(),
                       TimeElapsedColumn())
            with Progress(*columns, console=err, transient=True) as progress:
                return ingestor.sync(collection, path, prune=prune, progress=_RichProgress(progress))
        except EmbedderMismatch as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(EXIT_USAGE) from exc
