"""The CLI as a script or a log sees it: `--version`, plain one-line ingest progress when stderr is not a terminal,
no model-loading noise unless `-v`, `ask -` reading the question from stdin, `collections delete`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

GROUNDED = [sys.executable, "-m", "grounded.cli"]
NOISE = ("Loading weights", "Batches")


def run(args, home: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "GROUNDED_HOME": str(home), "GROUNDED_GENERATOR__BACKEND": "extractive"}
    return subprocess.run(GROUNDED + args, env=env, input=stdin, capture_output=True, text=True, timeout=600)


def test_version(tmp_path):
    res = run(["--version"], tmp_path)
    assert (res.returncode, res.stdout.strip()) == (0, f"grounded {version('grounded')}")


def test_piped_ingest_prints_plain_progress_lines_and_no_model_noise(tmp_path, corpus_copy):
    res = run(["ingest", str(corpus_copy), "-c", "handbook"], tmp_path)
    assert res.returncode == 0, res.stderr
    lines = res.stderr.splitlines()
    assert lines[0] == f"ingest handbook: reading {corpus_copy}"
    assert any(line.startswith("ingest handbook: 6/6 files, ") for line in lines)
    assert "\r" not in res.stderr and "\x1b[" not in res.stderr  # no bars, no terminal codes
    assert not [n for n in NOISE if n in res.stderr], res.stderr

    asked = run(["ask", "-", "-c", "handbook", "--json"], tmp_path, stdin="How many days a week can I work remotely?\n")
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["status"] == "answered"
    assert not [n for n in NOISE if n in asked.stderr], asked.stderr
    assert run(["ask", "-", "-c", "handbook"], tmp_path, stdin="  \n").returncode == 2

    verbose = run(["-v", "ask", "Where is the Rotterdam office?", "-c", "handbook"], tmp_path)
    assert verbose.returncode == 0 and "INFO grounded.embedder: dense embedder loaded" in verbose.stderr


def test_collections_delete(tmp_path, corpus_copy):
    assert run(["ingest", str(corpus_copy), "-c", "gone", "--json"], tmp_path).returncode == 0
    assert run(["collections", "delete", "gone"], tmp_path, stdin="n\n").returncode == 1  # declined: kept
    assert "gone" in run(["collections", "list"], tmp_path).stdout
    res = run(["collections", "delete", "gone", "--yes"], tmp_path)
    assert res.returncode == 0 and "deleted collection gone" in res.stderr
    assert run(["collections", "list"], tmp_path).stdout.strip() == ""
    missing = run(["collections", "delete", "gone", "--yes"], tmp_path)
    assert missing.returncode == 2 and "collection not found: gone" in missing.stderr
    assert "Traceback" not in missing.stderr
