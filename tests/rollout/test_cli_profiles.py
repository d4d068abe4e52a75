"""`grounded eval DATASET --profiles A,B`: one dataset through two answer profiles, side by side."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml


def grounded(*args, home: Path, profile: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "GROUNDED_HOME": str(home), "GROUNDED_GENERATOR__BACKEND": "extractive",
           "GROUNDED_PROFILE": str(profile)}
    return subprocess.run([sys.executable, "-m", "grounded.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600)


def test_eval_compares_two_profiles(tmp_path, corpus_copy, small_golden):
    profile = tmp_path / "profiles.yaml"
    profile.write_text(yaml.safe_dump({"variants": {"profiles": {
        "narrow": {"generator": {"prompt_form": "text"}, "retrieval": {"top_k": 1, "dense_weight": 0.0}}}}}))
    home, out = tmp_path / "home", tmp_path / "out"
    assert grounded("ingest", str(corpus_copy), "-c", "kb", home=home, profile=profile).returncode == 0

    res = grounded("eval", str(small_golden), "-c", "kb", "--profiles", "default,narrow", "--out", str(out),
                   home=home, profile=profile)
    assert res.returncode == 0, res.stderr
    reports = {p: json.loads((out / p / "report.json").read_text()) for p in ("default", "narrow")}
    assert reports["narrow"]["config"]["prompt"] == "grounded_v2" and "top_k=1" in reports["narrow"]["config"]["retrieval"]
    assert reports["default"]["config"]["prompt"] == "grounded_json_v3"
    table = (out / "comparison.md").read_text()
    assert "| metric | default | narrow | Δ |" in table and "| status_accuracy |" in table
    assert "| cost_per_successful_answer_usd |" in table, "cost rides along in the eval report"
    assert "default" in res.stdout and "narrow" in res.stdout

    bad = grounded("eval", str(small_golden), "-c", "kb", "--profiles", "default,nope", "--out", str(out),
                   home=home, profile=profile)
    assert bad.returncode == 2 and "unknown answer profile: nope" in bad.stderr and "Traceback" not in bad.stderr
