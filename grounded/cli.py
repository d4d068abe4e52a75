"""The `grounded` command: ingest | ask | serve | eval | collections."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from grounded.settings import Settings, load_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Grounded: answers only from your documents.")
err = Console(stderr=True)

EXIT_OK, EXIT_USAGE, EXIT_PARTIAL = 0, 2, 3

ProfileOpt = Annotated[Optional[Path], typer.Option("--profile", help="YAML settings profile")]
CollectionOpt = Annotated[str, typer.Option("--collection", "-c", help="collection name")]


def _settings(profile: Path | None) -> Settings:
    try:
        return load_settings(profile)
    except (FileNotFoundError, ValueError) as exc:
        err.print(f"[red]settings error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from exc


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


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="folder of md/txt/html/pdf/docx files, or a corpus.jsonl")],
    collection: CollectionOpt,
    prune: Annotated[bool, typer.Option("--prune/--no-prune", help="remove documents gone from PATH")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as one JSON object")] = False,
    profile: ProfileOpt = None,
) -> None:
    """Ingest PATH into a collection: unchanged files are skipped, changed ones replaced, removed ones pruned."""
    from grounded.components import Components
    from grounded.ingest.sync import EmbedderMismatch

    if not path.exists():
        err.print(f"[red]no such file or folder:[/red] {path}")
        raise typer.Exit(EXIT_USAGE)
    components = Components(_settings(profile))
    try:
        ingestor = components.ingestor()
        if as_json:
            report = ingestor.sync(collection, path, prune=prune)
        else:
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), _RateColumn(),
                       TimeElapsedColumn())
            with Progress(*columns, console=err, transient=True) as progress:
                report = ingestor.sync(collection, path, prune=prune, progress=_RichProgress(progress))
    except EmbedderMismatch as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_USAGE) from exc
    finally:
        components.close()
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


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the question")],
    collection: CollectionOpt,
    as_json: Annotated[bool, typer.Option("--json", help="print the answer contract as JSON")] = False,
    top_k: Annotated[Optional[int], typer.Option("--top-k", min=1, max=50)] = None,
    doc: Annotated[Optional[list[str]], typer.Option("--doc", help="only these doc ids (repeatable)")] = None,
    under: Annotated[Optional[str], typer.Option("--under", help="only documents under this folder")] = None,
    profile: ProfileOpt = None,
) -> None:
    """Answer QUESTION from the collection, with citations, or say that the documents do not hold the answer."""
    from grounded.components import Components
    from grounded.embedder import EmbedderMismatch
    from grounded.store import CollectionNotFound, SearchFilter
    from grounded.retrieval.answer import AskRequest

    components = Components(_settings(profile))
    try:
        if components.store.get_collection(collection) is None:
            raise CollectionNotFound(collection)
        filters = SearchFilter(doc_ids=doc or None, source_prefix=under)
        answer = components.answers.ask(
            AskRequest(collection=collection, question=question, filters=filters, top_k=top_k)
        )
    except (CollectionNotFound, EmbedderMismatch) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_USAGE) from exc
    finally:
        components.close()
    if as_json:
        sys.stdout.write(answer.model_dump_json(indent=2) + "\n")
        return
    out = Console()
    out.print(f"[bold]{answer.status.value}[/bold] (confidence {answer.confidence:.2f})")
    if answer.answer:
        out.print(answer.answer)
    for text in (answer.followup_question, answer.missing_information):
        if text:
            out.print(f"[yellow]{text}[/yellow]")
    for c in answer.citations:
        where = f"{c.doc_id}" + (f", p. {c.page}" if c.page else "") + (f" ({c.section})" if c.section else "")
        out.print(f"[{c.marker}] {where}\n    \"{c.quote}\"")
    if answer.fallback:
        out.print(f"[dim]fallback: {answer.fallback}[/dim]")


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="bind address (default 127.0.0.1)")] = None,
    port: Annotated[Optional[int], typer.Option(min=1, max=65535, help="port (default 8000)")] = None,
    profile: ProfileOpt = None,
) -> None:
    """Run the HTTP API (chat, OpenAI-compatible chat, collections, ingest jobs, traces, health, metrics)."""
    from grounded.api.serve import serve as run_server

    run_server(_settings(profile), host=host, port=port)


def _register_eval() -> None:
    from grounded.evals.cli import eval_app

    app.add_typer(eval_app, name="eval")


_register_eval()

collections_app = typer.Typer(help="List or delete collections.")
app.add_typer(collections_app, name="collections")


@collections_app.command("list")
def collections_list(profile: ProfileOpt = None) -> None:
    from grounded.components import Components

    components = Components(_settings(profile))
    try:
        for info in components.store.list_collections():
            typer.echo(json.dumps({**info.model_dump(mode="json"), "chunks": components.store.count(info.name)}))
    finally:
        components.close()


if __name__ == "__main__":
    app()
