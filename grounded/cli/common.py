"""What every command shares: the stderr console, exit codes, common options, settings and components."""

from __future__ import annotations

import re
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Iterator, NoReturn, Optional

import typer
from rich.console import Console
from rich.markup import escape

from grounded.api.presence import running_server
from grounded.contracts import COLLECTION_NAME_PATTERN
from grounded.settings import Settings, load_settings

if TYPE_CHECKING:
    from grounded.app import Components

err = Console(stderr=True)

EXIT_OK, EXIT_USAGE, EXIT_PARTIAL = 0, 2, 3

ProfileOpt = Annotated[Optional[Path], typer.Option("--profile", help="YAML settings profile")]


def exit_with(message: str) -> NoReturn:
    """One line on stderr (never wrapped, no traceback) and exit code 2."""
    err.print(f"[red]{message}[/red]", soft_wrap=True, markup=True, highlight=False)
    raise typer.Exit(EXIT_USAGE)


def collection_name(value: str) -> str:
    if not re.fullmatch(COLLECTION_NAME_PATTERN, value):
        exit_with(
            f"invalid collection name {value!r}: a collection name is 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (it is a folder name)"
        )
    return value


CollectionOpt = Annotated[
    str, typer.Option("--collection", "-c", help="collection name", callback=collection_name)
]


def settings_or_exit(profile: Path | None) -> Settings:
    """The settings, or a one-line error and exit code 2 (no traceback) when the profile is missing or invalid."""
    try:
        return load_settings(profile)
    except (FileNotFoundError, ValueError) as exc:
        err.print(f"[red]settings error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from exc


@contextmanager
def open_components(settings: Settings) -> Iterator[Components]:
    """The composition root for one command, closed when the command ends. Refused (exit 2, one line) while a
    server owns this GROUNDED_HOME or another process holds a collection the command needs."""
    from grounded.app import Components
    from grounded.store import StoreUnavailable

    refuse_if_served(settings)
    components = Components(settings)
    try:
        yield components
    except StoreUnavailable as exc:
        exit_with(str(exc))
    finally:
        components.close()


def refuse_if_served(settings: Settings) -> None:
    """Commands that need the embedded store in this process cannot run while a server owns it."""
    info = running_server(settings.home)
    if info is not None:
        exit_with(
            f"a grounded server (pid {info.pid}, {info.url or 'starting'}) owns {settings.home}; this command "
            "cannot run through it: stop the server, or use another GROUNDED_HOME"
        )


def require_extra(extra: str, *modules: str) -> None:
    """Exit 2 with the install command, not an ImportError, when an optional extra is not installed."""
    missing = [m for m in modules if find_spec(m) is None]
    if missing:
        install = escape(f"pip install 'grounded[{extra}]'")
        err.print(f"[red]this command needs the '{extra}' extra[/red] (missing: {', '.join(missing)}); {install}")
        raise typer.Exit(EXIT_USAGE)
