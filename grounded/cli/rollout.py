"""`grounded reindex | versions | promote | rollback`: index versions behind a collection name."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from grounded.cli.common import EXIT_OK, EXIT_USAGE, CollectionOpt, ProfileOpt, err, settings_or_exit

EXIT_NOT_PROMOTED = 1
app = typer.Typer()


def _components(profile: Path | None):
    from grounded.app import Components

    return Components(settings_or_exit(profile))


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]{message}[/red]")
    return typer.Exit(EXIT_USAGE)


@app.command()
def reindex(
    collection: CollectionOpt,
    profile: Annotated[Optional[Path], typer.Option(
        "--profile", help="YAML settings profile: the new version is built with its embed/chunk settings")] = None,
    eval_dataset: Annotated[Optional[Path], typer.Option(
        "--eval", help="eval dataset to gate promotion on (remembered for the collection)")] = None,
    gate: Annotated[Optional[Path], typer.Option("--gate", help="YAML of metric thresholds the build must meet")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as one JSON object")] = False,
) -> None:
    """Build a new index version beside the live one; promote it if its eval holds up, else leave it staged.
    Exit 0 promoted, 1 staged (not promoted), 2 usage error."""
    from grounded.evals.datasets import DatasetError
    from grounded.evals.promotion import reindex as run_reindex
    from grounded.ingest.reindex import NoSourceRoots
    from grounded.store import CollectionNotFound, VersionError

    components = _components(profile)
    try:
        report = run_reindex(components, collection, eval_dataset=eval_dataset, gate=gate)
    except (CollectionNotFound, VersionError, NoSourceRoots, DatasetError, FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        components.close()
    if as_json:
        sys.stdout.write(report.model_dump_json() + "\n")
    else:
        d = report.decision
        err.print(f"built {report.version_id} in {report.build_seconds:.1f}s ({report.ingest.chunks} chunks)")
        for name, summary in (("candidate", d.candidate), ("live", d.live)):
            if summary is not None:
                shown = {k: v for k, v in summary.metrics.items() if k in SUMMARY_METRICS}
                err.print(f"  {name}: " + ", ".join(f"{k} {_fmt(v)}" for k, v in shown.items())
                          + f" ({summary.questions} questions, {summary.seconds:.1f}s)")
        verdict = "[green]promoted[/green]" if d.promoted else "[yellow]staged, not promoted[/yellow]"
        err.print(f"{verdict}: {d.reason}\nlive: {report.live}")
    raise typer.Exit(EXIT_OK if report.decision.promoted else EXIT_NOT_PROMOTED)


SUMMARY_METRICS = ("recall@5", "mrr", "status_accuracy", "answer_contains_reference", "citation_precision")


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


@app.command()
def versions(
    collection: CollectionOpt,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON list")] = False,
    profile: ProfileOpt = None,
) -> None:
    """List a collection's index versions: settings, eval summary, and which one is live."""
    from grounded.store import CollectionNotFound

    components = _components(profile)
    try:
        entries = components.store.versions(collection)
    except CollectionNotFound as exc:
        raise _fail(str(exc)) from exc
    finally:
        components.close()
    if as_json:
        sys.stdout.write(json.dumps([e.model_dump(mode="json") for e in entries]) + "\n")
        return
    table = Table(title=f"versions of {collection}")
    for col in ("version", "live", "status", "chunks", "chunking", "embedder", "eval", "built"):
        table.add_column(col)
    for e in entries:
        chunk = e.build.get("chunk", {})
        metrics = ((e.eval or {}).get("candidate") or {}).get("metrics", {})
        table.add_row(
            e.id, "*" if e.live else "", e.status.value, str(e.chunks if e.chunks is not None else "—"),
            f"{chunk.get('max_tokens', '?')}/{chunk.get('overlap_tokens', '?')}" if chunk else "—",
            (e.build.get("embed") or {}).get("backend", "torch"),  # versions from before backends were recorded
            ", ".join(f"{k} {_fmt(v)}" for k, v in metrics.items() if k in SUMMARY_METRICS) or "—",
            (e.built_at or "")[:19],
        )
    Console().print(table)


@app.command()
def promote(
    collection: CollectionOpt,
    version: Annotated[str, typer.Argument(help="version to make live: v3, 3 or NAME@v3")],
    profile: ProfileOpt = None,
) -> None:
    """Make VERSION live (one atomic alias swap); the version it replaces is kept for rollback."""
    _swap(profile, lambda store: store.promote(collection, version), collection)


@app.command()
def rollback(collection: CollectionOpt, profile: ProfileOpt = None) -> None:
    """Make the version the live one replaced live again."""
    _swap(profile, lambda store: store.rollback(collection), collection)


def _swap(profile: Path | None, action, collection: str) -> None:
    from grounded.store import CollectionNotFound, VersionError

    components = _components(profile)
    try:
        info = action(components.store)
    except (CollectionNotFound, VersionError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        components.close()
    err.print(f"{collection} -> {info.name} (live)")
