"""The wheel built from the repository installs one top-level package, `grounded`, with the stage folders inside
it (`ingest/` -> `grounded/ingest/`, ...) and their data files; nothing named `api`, `evals`, `ingest` or
`retrieval` lands in site-packages."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("setup.py", "pyproject.toml", "README.md", "grounded", "ingest", "retrieval", "api", "evals")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """Built from a copy of the sources, so the build leaves no build/ or egg-info in the repository."""
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("dist")
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(path, src / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(out),
         str(src)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    (built,) = out.glob("grounded-*.whl")
    with zipfile.ZipFile(built) as zf:
        yield zf


def test_wheel_installs_only_grounded_at_the_top_level(wheel):
    names = wheel.namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"grounded"}
    (top_level,) = [n for n in names if n.endswith(".dist-info/top_level.txt")]
    assert wheel.read(top_level).decode().split() == ["grounded"]


def test_wheel_holds_every_stage_and_its_data_files(wheel):
    names = set(wheel.namelist())
    for module in ("grounded/ingest/sync.py", "grounded/retrieval/answer.py", "grounded/api/app.py",
                   "grounded/evals/run.py", "grounded/cli/__init__.py", "grounded/app.py"):
        assert module in names
    for data in ("grounded/retrieval/prompts/", "grounded/api/static/"):
        assert any(n.startswith(data) and not n.endswith(".py") for n in names), data
