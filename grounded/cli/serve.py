"""`grounded serve`: the HTTP API."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from grounded.cli.common import ProfileOpt, refuse_if_served, settings_or_exit

app = typer.Typer()


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="bind address (default 127.0.0.1)")] = None,
    port: Annotated[Optional[int], typer.Option(min=1, max=65535, help="port (default 8000)")] = None,
    profile: ProfileOpt = None,
) -> None:
    """Run the HTTP API (chat, OpenAI-compatible chat, collections, ingest jobs, traces, health, metrics)."""
    from grounded.api.serve import serve as run_server

    settings = settings_or_exit(profile)
    refuse_if_served(settings)
    run_server(settings, host=host, port=port)
