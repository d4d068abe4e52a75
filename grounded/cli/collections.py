"""`grounded collections ...`: list (and manage) collections."""

from __future__ import annotations

import json

import typer

from grounded.cli.common import ProfileOpt, open_components, settings_or_exit
from grounded.cli.remote import call_once, server_for

app = typer.Typer(help="List or delete collections.")


@app.command("list")
def collections_list(profile: ProfileOpt = None) -> None:
    """One JSON line per collection, with its chunk count (through the server while one runs on this home)."""
    settings = settings_or_exit(profile)
    remote = server_for(settings)
    if remote is not None:
        for row in call_once(remote, "GET", "/v1/collections"):
            typer.echo(json.dumps(row))
        return
    with open_components(settings) as components:
        for info in components.store.list_collections():
            typer.echo(json.dumps({**info.model_dump(mode="json"), "chunks": components.store.count(info.name)}))
