"""Commands that do no heavy work start without the heavy libraries (issue 8: a command reaches its first real
work within 2 s): `grounded --help` and `grounded collections list` import no torch, unstructured, llama-index,
ragas or matplotlib. Checked in a fresh interpreter through `sys.modules`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("torch", "sentence_transformers", "transformers", "unstructured", "llama_index", "ragas",
         "langchain_community", "matplotlib")

PROBE = """
import json, sys
from grounded.cli import app
try:
    app(sys.argv[1:], prog_name="grounded")
except SystemExit as exit:
    code = exit.code
else:
    code = 0
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY))
print("\\nPROBE " + json.dumps({"exit": code, "heavy": heavy}))
"""


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["ingest", "--help"], ["ask", "--help"], ["eval", "--help"], ["collections", "list"]],
    ids=" ".join,
)
def test_light_commands_import_no_heavy_library(argv, tmp_path):
    env = {**os.environ, "GROUNDED_HOME": str(tmp_path)}
    code = f"HEAVY = {HEAVY!r}\n{PROBE}"
    done = subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True, text=True, timeout=120)
    probe = json.loads(done.stdout.rpartition("PROBE ")[2])
    assert probe == {"exit": 0, "heavy": []}, done.stderr
