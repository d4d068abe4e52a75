"""The `grounded` command: one module per command group, assembled here.

Every command imports its stage inside the function, so `grounded --help`, `grounded collections list` and the
HTTP client paths start without torch, unstructured, llama-index or ragas (tests/test_architecture.py checks).
A new command group: add a module with its own `typer.Typer()` and one `app.add_typer(...)` line below.
"""

from importlib.metadata import version
from typing import Annotated

import typer

from grounded.cli import ask, collections, evals, ingest, rollout, runtime, serve, verify
from grounded.quiet import quiet_libraries

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Grounded: answers only from your documents.")
app.add_typer(ingest.app)
app.add_typer(ask.app)
app.add_typer(serve.app)
app.add_typer(evals.app, name="eval")
app.add_typer(verify.app)
app.add_typer(collections.app, name="collections")
app.add_typer(rollout.app)
app.add_typer(runtime.app, name="runtime")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"grounded {version('grounded')}")
        raise typer.Exit()


@app.callback()
def main(
    _version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="print the version and exit")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="show library logs and model-loading progress bars")
    ] = False,
) -> None:
    quiet_libraries(verbose)
