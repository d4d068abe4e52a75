"""`grounded ingest PATH -c NAME`: sync a folder (or corpus.jsonl) into a collection."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from grounded.cli.common import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, CollectionOpt, ProfileOpt, err, open_components, settings_or_exit

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
    """Ingest PATH into a collection: unchanged files are skipped, changed ones replaced, removed ones pruned."""
    from grounded.ingest.sync import EmbedderMismatch

    if not path.exists():
        err.print(f"[red]no such file or folder:[/red] {path}")
        raise typer.Exit(EXIT_USAGE)
    with open_components(settings_or_exit(profile)) as components:
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
