"""`grounded collections ...`: list (and manage) collections."""

from __future__ import annotations

import json
import shutil
from typing import Annotated

import typer

from grounded.cli.common import EXIT_USAGE, ProfileOpt, err, open_components, settings_or_exit
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


@app.command("delete")
def collections_delete(
    name: Annotated[str, typer.Argument(help="the collection to delete")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
    profile: ProfileOpt = None,
) -> None:
    """Delete a collection: all its chunks and its uploaded files (through the server while one runs)."""
    from grounded.api.uploads import uploads_dir

    settings = settings_or_exit(profile)
    if not yes:
        typer.confirm(f"Delete collection '{name}' and all its chunks?", abort=True, err=True)
    remote = server_for(settings)
    if remote is not None:
        call_once(remote, "DELETE", f"/v1/collections/{name}")
        err.print(f"deleted collection {name}")
        return
    with open_components(settings) as components:
        if not components.store.delete_collection(name):
            err.print(f"[red]collection not found: {name}[/red]")
            raise typer.Exit(EXIT_USAGE)
    shutil.rmtree(uploads_dir(settings, name), ignore_errors=True)
    err.print(f"deleted collection {name}")
