"""What every command shares: the stderr console, exit codes, common options, settings and components."""

from __future__ import annotations

from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Iterator, Optional

import typer
from rich.console import Console
from rich.markup import escape

from grounded.settings import Settings, load_settings

if TYPE_CHECKING:
    from grounded.app import Components

err = Console(stderr=True)

EXIT_OK, EXIT_USAGE, EXIT_PARTIAL = 0, 2, 3

ProfileOpt = Annotated[Optional[Path], typer.Option("--profile", help="YAML settings profile")]
CollectionOpt = Annotated[str, typer.Option("--collection", "-c", help="collection name")]


def settings_or_exit(profile: Path | None) -> Settings:
    """The settings, or a one-line error and exit code 2 (no traceback) when the profile is missing or invalid."""
    try:
        return load_settings(profile)
    except (FileNotFoundError, ValueError) as exc:
        err.print(f"[red]settings error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from exc


@contextmanager
def open_components(settings: Settings) -> Iterator[Components]:
    """The composition root for one command, closed when the command ends."""
    from grounded.app import Components

    components = Components(settings)
    try:
        yield components
    finally:
        components.close()


def require_extra(extra: str, *modules: str) -> None:
    """Exit 2 with the install command, not an ImportError, when an optional extra is not installed."""
    missing = [m for m in modules if find_spec(m) is None]
    if missing:
        install = escape(f"pip install 'grounded[{extra}]'")
        err.print(f"[red]this command needs the '{extra}' extra[/red] (missing: {', '.join(missing)}); {install}")
        raise typer.Exit(EXIT_USAGE)
