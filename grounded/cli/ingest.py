"""`grounded ingest PATH -c NAME`: sync a folder (or corpus.jsonl) into a collection."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from grounded.cli.common import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, CollectionOpt, ProfileOpt, err, exit_with, open_components, settings_or_exit
from grounded.cli.remote import RemoteError, server_for

app = typer.Typer()


class _RichProgress:
    def __init__(self, progress: Progress) -> None:
        self.p = progress
        self.files = progress.add_task("files", total=None)
        self.chunks = progress.add_task("chunks written", total=None)

    def start(self, total_files: int) -> None:
        self.p.update(self.files, total=total_files)

    def file_done(self, doc_id: str) -> None:
        self.p.advance(self.files)

    def chunks_written(self, n: int) -> None:
        self.p.advance(self.chunks, n)


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="folder of md/txt/html/pdf/docx files, or a corpus.jsonl")],
    collection: CollectionOpt,
    prune: Annotated[bool, typer.Option("--prune/--no-prune", help="remove documents gone from PATH")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as one JSON object")] = False,
    profile: ProfileOpt = None,
) -> None:
    """Ingest PATH into a collection: unchanged files are skipped, changed ones replaced, removed ones pruned.
    While a server runs on this GROUNDED_HOME, the server runs the ingest (as a job) and this command waits."""
    if not path.exists():
        err.print(f"[red]no such file or folder:[/red] {path}")
        raise typer.Exit(EXIT_USAGE)
    settings = settings_or_exit(profile)
    remote = server_for(settings)
    if remote is not None:
        report = _ingest_through(remote, collection, path, prune)
    else:
        report = _ingest_here(settings, collection, path, prune, as_json)
    if as_json:
        sys.stdout.write(report.model_dump_json() + "\n")
    else:
        err.print(
            f"[bold]{report.collection}[/bold]: {report.added} added, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.removed} removed, {len(report.failed)} failed; "
            f"{report.chunks} chunks in {report.seconds:.1f}s"
        )
        for f in report.failed:
            err.print(f"  [red]failed[/red] {f.path}: {f.error}")
    raise typer.Exit(EXIT_PARTIAL if report.failed else EXIT_OK)


def _ingest_through(remote, collection: str, path: Path, prune: bool):
    """The server (which owns this GROUNDED_HOME) runs the ingest as a job; its report, as a local run gives."""
    from grounded.contracts import IngestReport

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


def _ingest_here(settings, collection: str, path: Path, prune: bool, as_json: bool):
    from grounded.ingest.sync import EmbedderMismatch

    with open_components(settings) as components:
        try:
            ingestor = components.ingestor()
            if as_json:
                report = ingestor.sync(collection, path, prune=prune)
            else:
                columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
                with Progress(*columns, console=err, transient=True) as progress:
                    report = ingestor.sync(collection, path, prune=prune, progress=_RichProgress(progress))
        except EmbedderMismatch as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(EXIT_USAGE) from exc
    return report
