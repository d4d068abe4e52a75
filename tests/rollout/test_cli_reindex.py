"""`grounded reindex | versions | promote | rollback` as a user runs them (extractive generator): a worse build
fails its eval gate and leaves the live answers alone; a good one is promoted; rollback restores the answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

QUESTION = "How much is the on-call allowance for the primary on-call engineer?"


def grounded(*args, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "GROUNDED_HOME": str(home), "GROUNDED_GENERATOR__BACKEND": "extractive"}
    return subprocess.run([sys.executable, "-m", "grounded.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600)


def ask(home: Path) -> dict:
    res = grounded("ask", QUESTION, "-c", "kb", "--json", home=home)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def versions(home: Path) -> list[dict]:
    res = grounded("versions", "-c", "kb", "--json", home=home)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.mark.timeout(1800)  # nine CLI processes, two builds and four evals: ~6 min idle, more on busy cores
def test_gated_reindex_promote_and_rollback(tmp_path, corpus_copy, small_golden, worse_build):
    home = tmp_path / "home"
    assert grounded("ingest", str(corpus_copy), "-c", "kb", home=home).returncode == 0
    before = ask(home)
    assert before["status"] == "answered" and before["versions"]["index_version"] == "kb@v1"

    worse = tmp_path / "worse.yaml"
    worse.write_text(yaml.safe_dump(worse_build))
    res = grounded("reindex", "-c", "kb", "--profile", str(worse), "--eval", str(small_golden), "--json", home=home)
    assert res.returncode == 1, res.stderr
    report = json.loads(res.stdout)
    assert report["live"] == "kb@v1" and report["version_id"] == "kb@v2" and not report["decision"]["promoted"]
    assert report["decision"]["regressions"], "the gate names what regressed"
    assert report["build"]["chunk"]["max_tokens"] == 32
    unchanged = ask(home)
    assert (unchanged["answer"], unchanged["citations"]) == (before["answer"], before["citations"])
    assert unchanged["versions"]["index_version"] == "kb@v1"

    gate = tmp_path / "gate.yaml"
    gate.write_text("metrics:\n  recall@5: {min: 0.9}\n")
    res = grounded("reindex", "-c", "kb", "--gate", str(gate), "--json", home=home)  # the eval set is remembered
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["decision"]["promoted"] and report["live"] == "kb@v3" and report["decision"]["gate"]["failures"] == []

    listed = versions(home)
    assert [(v["version"], v["live"], v["status"]) for v in listed] == [
        ("v1", False, "promoted"), ("v2", False, "staged"), ("v3", True, "promoted")]
    assert listed[1]["eval"]["candidate"]["metrics"]["status_accuracy"] < listed[2]["eval"]["candidate"]["metrics"]["status_accuracy"]
    promoted = ask(home)
    assert promoted["versions"]["index_version"] == "kb@v3" and promoted["answer"] == before["answer"]

    assert grounded("rollback", "-c", "kb", home=home).returncode == 0
    assert ask(home)["versions"]["index_version"] == "kb@v1"
    assert grounded("promote", "-c", "kb", "v3", home=home).returncode == 0

    bad = grounded("promote", "-c", "kb", "v9", home=home)
    assert bad.returncode == 2 and "no version v9" in bad.stderr and "Traceback" not in bad.stderr
