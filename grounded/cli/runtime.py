"""`grounded runtime info | build`: the embedded llama.cpp runtime, and a build of it for this CPU."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from grounded.cli.common import EXIT_OK, ProfileOpt, err, exit_with, settings_or_exit

EXIT_BUILD_FAILED = 1
app = typer.Typer(help="The embedded llama.cpp runtime: what it was built for, and a faster build for this CPU.")


@app.command()
def info(as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False) -> None:
    """Print the runtime's version, the instruction sets it uses and the build this CPU could take."""
    from grounded.retrieval.generators import local_build

    plan = local_build.plan()
    report = {"package": local_build.PACKAGE, "version": plan.version, "system_info": local_build.system_info(),
              "build": plan.verdict.value, "reason": plan.reason}
    if as_json:
        typer.echo(json.dumps(report))
        return
    for key, value in report.items():
        typer.echo(f"{key:12} {value}")


@app.command()
def build(
    profile: ProfileOpt = None,
    force: Annotated[bool, typer.Option("--force", help="build even if the runtime already uses AVX-512")] = False,
    log: Annotated[Optional[Path], typer.Option("--log", help="build log (default GROUNDED_HOME/logs/runtime-build.log)")] = None,
) -> None:
    """Compile llama.cpp for this CPU's instruction sets (AVX-512: prompts read ~1.4x faster; a few minutes).

    Exits 0 without building where there is nothing to gain (no AVX-512, or built already) or no compiler, saying
    so; 1 if a build was tried and failed (the prebuilt runtime is put back)."""
    from grounded.retrieval.generators import local_build
    from grounded.retrieval.generators.local_runtime import ModelNotInstalledError, assemble_model

    settings = settings_or_exit(profile)
    plan = local_build.plan(force=force)
    if plan.verdict is not local_build.Verdict.BUILD:
        err.print(f"runtime: {plan.reason}")
        raise typer.Exit(EXIT_OK)
    try:  # the smoke test loads the model the generator will use
        model = assemble_model(settings.generator.local_model, settings.models_dir)
    except ModelNotInstalledError as exc:
        exit_with(str(exc))
    log = log or settings.home / "logs" / "runtime-build.log"
    with err.status(f"building {local_build.PACKAGE} {plan.version} for this CPU (AVX-512, no AMX); log: {log}"):
        result = local_build.build(plan, log, model)
    if not result.built:
        if result.restored:
            err.print(f"[red]runtime: {result.error}; the prebuilt AVX2 runtime is installed again[/red]")
        else:
            err.print(f"[red]runtime: {result.error}; putting the prebuilt runtime back failed too (see {log}): run "
                      f"pip install --force-reinstall --no-deps {local_build.PACKAGE}=={plan.version}[/red]")
        raise typer.Exit(EXIT_BUILD_FAILED)
    err.print(f"runtime: built in {result.seconds:.0f} s and answered a test prompt; {result.system_info}", soft_wrap=True)
