"""`grounded ask QUESTION -c NAME`: one answer with citations, or an explicit abstention."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console

from grounded.cli.common import CollectionOpt, ProfileOpt, exit_with, open_components, settings_or_exit
from grounded.cli.remote import call_once, server_for

if TYPE_CHECKING:
    from grounded.contracts import Answer

app = typer.Typer()


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help='the question, or "-" to read it from stdin')],
    collection: CollectionOpt,
    as_json: Annotated[bool, typer.Option("--json", help="print the answer contract as JSON")] = False,
    top_k: Annotated[Optional[int], typer.Option("--top-k", min=1, max=50)] = None,
    doc: Annotated[Optional[list[str]], typer.Option("--doc", help="only these doc ids (repeatable)")] = None,
    under: Annotated[Optional[str], typer.Option("--under", help="only documents under this folder")] = None,
    profile: ProfileOpt = None,
) -> None:
    """Answer QUESTION from the collection, with citations, or say that the documents do not hold the answer.
    While a server runs on this GROUNDED_HOME, the question goes through its API."""
    from grounded.contracts import Answer

    if question == "-":
        question = sys.stdin.read()
    if not question.strip():
        exit_with('the question is empty: ask something, e.g. grounded ask "How many leave days?" -c NAME')
    settings = settings_or_exit(profile)
    remote = server_for(settings)
    if remote is not None:
        body = {"collection": collection, "question": question.strip(), "top_k": top_k,
                "filters": {"doc_ids": doc or None, "under": under}}
        answer = Answer.model_validate(call_once(remote, "POST", "/v1/chat", json=body))
    else:
        answer = _ask_here(settings, collection, question.strip(), doc, under, top_k)
    if as_json:
        sys.stdout.write(answer.model_dump_json(indent=2) + "\n")
    else:
        print_answer(answer)


def _ask_here(settings, collection: str, question: str, doc, under, top_k) -> Answer:
    from grounded.embedder import EmbedderMismatch
    from grounded.retrieval.answer import AskRequest
    from grounded.store import CollectionNotFound, SearchFilter

    with open_components(settings) as components:
        if components.store.get_collection(collection) is None:
            exit_with(str(CollectionNotFound(collection)))
        filters = SearchFilter(doc_ids=doc or None, under=under)
        try:
            return components.answers.ask(
                AskRequest(collection=collection, question=question, filters=filters, top_k=top_k))
        except EmbedderMismatch as exc:
            exit_with(str(exc))


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
