"""`grounded ask QUESTION -c NAME`: one answer with citations, or an explicit abstention."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console

from grounded.cli.common import EXIT_USAGE, CollectionOpt, ProfileOpt, err, open_components, settings_or_exit

if TYPE_CHECKING:
    from grounded.contracts import Answer

app = typer.Typer()


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
    from grounded.embedder import EmbedderMismatch
    from grounded.retrieval.answer import AskRequest
    from grounded.store import CollectionNotFound, SearchFilter

    with open_components(settings_or_exit(profile)) as components:
        try:
            if components.store.get_collection(collection) is None:
                raise CollectionNotFound(collection)
            filters = SearchFilter(doc_ids=doc or None, under=under)
            answer = components.answers.ask(
                AskRequest(collection=collection, question=question, filters=filters, top_k=top_k)
            )
        except (CollectionNotFound, EmbedderMismatch) as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(EXIT_USAGE) from exc
    if as_json:
        sys.stdout.write(answer.model_dump_json(indent=2) + "\n")
    else:
        print_answer(answer)


def print_answer(answer: Answer) -> None:
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
