"""The `grounded` command: one module per command group, assembled here.

Every command imports its stage inside the function, so `grounded --help`, `grounded collections list` and the
HTTP client paths start without torch, unstructured, llama-index or ragas (tests/test_architecture.py checks).
A new command group: add a module with its own `typer.Typer()` and one `app.add_typer(...)` line below.
"""

import typer

from grounded.cli import ask, collections, evals, ingest, serve

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Grounded: answers only from your documents.")
app.add_typer(ingest.app)
app.add_typer(ask.app)
app.add_typer(serve.app)
app.add_typer(evals.app, name="eval")
app.add_typer(collections.app, name="collections")
