"""`grounded collections ...`: list (and manage) collections."""

from __future__ import annotations

import json

import typer

from grounded.cli.common import ProfileOpt, open_components, settings_or_exit

app = typer.Typer(help="List or delete collections.")


@app.command("list")
def collections_list(profile: ProfileOpt = None) -> None:
    """One JSON line per collection, with its chunk count."""
    with open_components(settings_or_exit(profile)) as components:
        for info in components.store.list_collections():
            typer.echo(json.dumps({**info.model_dump(mode="json"), "chunks": components.store.count(info.name)}))
