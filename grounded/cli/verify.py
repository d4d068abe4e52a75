"""`grounded verify`: check claims against passages with the support judge, JSONL in, JSONL out.

Input, one object a line (a file or stdin): {"claim": str, "passages": [str, ...]}.
Output on stdout, one line per input line, in order: {"supported": bool, "score": float,
"evidence": [{"passage": i, "quote": exact span}], "unsupported": [spans of the claim not backed]}; an input line
that is not a valid request gets {"error": "..."} in its place and the exit code is 3. Blank lines are skipped.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Optional, TextIO

import typer
from pydantic import ValidationError

from grounded.cli.common import EXIT_PARTIAL, EXIT_USAGE, ProfileOpt, settings_or_exit

app = typer.Typer()


def verify_lines(lines: TextIO, out: TextIO, judge, budget_s: float | None) -> int:
    """Judge each request line and write its verdict line; returns how many lines were invalid."""
    from grounded.retrieval.judge import ClaimCheck, ClaimVerdict

    invalid = 0
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            request = ClaimCheck.model_validate_json(line)
        except ValidationError as exc:
            invalid += 1
            problem = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'line'}: {e['msg']}" for e in exc.errors()[:3])
            out.write(json.dumps({"error": f"line {n}: {problem}"}) + "\n")
            continue
        deadline = None if budget_s is None else time.monotonic() + budget_s
        verdict = judge.judge(request.claim, request.passages, deadline=deadline)
        out.write(verdict.model_dump_json(include=set(ClaimVerdict.model_fields)) + "\n")
        out.flush()
    return invalid


@app.command()
def verify(
    path: Annotated[Optional[Path], typer.Argument(help="JSONL file of {claim, passages}; stdin if omitted or '-'")] = None,
    model: Annotated[bool, typer.Option("--model/--no-model", help="let the local LLM judge uncertain claims")] = False,
    budget: Annotated[float, typer.Option("--budget", min=0.1, help="seconds the model may spend per claim")] = 30.0,
    profile: ProfileOpt = None,
) -> None:
    """Check whether each claim is supported by its passages (JSONL on stdin or in PATH, one verdict line each)."""
    from grounded.retrieval.judge import Judge

    if path is not None and str(path) != "-" and not path.is_file():
        typer.echo(f"no such file: {path}", err=True)
        raise typer.Exit(EXIT_USAGE)
    model_judge = None
    if model:
        from grounded.retrieval.generators.local_runtime import ModelNotInstalledError
        from grounded.retrieval.judge_model import ModelJudge

        settings = settings_or_exit(profile)
        model_judge = ModelJudge(models_dir=settings.models_dir, kind=settings.generator.local_model,
                                 threads=settings.generator.local_threads)
        try:
            model_judge.start()
        except (ModelNotInstalledError, FileNotFoundError, RuntimeError, ValueError) as exc:
            typer.echo(f"local model unavailable: {exc}", err=True)
            raise typer.Exit(EXIT_USAGE) from exc
    try:
        judge = Judge(model=model_judge)
        if path is None or str(path) == "-":
            invalid = verify_lines(sys.stdin, sys.stdout, judge, budget if model else None)
        else:
            with open(path, encoding="utf-8") as lines:
                invalid = verify_lines(lines, sys.stdout, judge, budget if model else None)
    finally:
        if model_judge is not None:
            model_judge.close()
    if invalid:
        typer.echo(f"{invalid} invalid input line(s)", err=True)
        raise typer.Exit(EXIT_PARTIAL)
