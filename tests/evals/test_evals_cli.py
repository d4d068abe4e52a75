"""`grounded eval` end to end on a tiny dataset: ingest, answer, report files, gate exit codes, baseline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

QUESTIONS = [
    {"id": "q1", "question": "How many days of annual leave does everyone get?", "answerable": True,
     "reference_answers": ["25 days"], "reference_doc_ids": ["leave.md"],
     "reference_contexts": ["Everyone gets 25 days of annual leave."], "expected_status": "answered"},
    {"id": "q2", "question": "How many characters must a password have?", "answerable": True,
     "reference_answers": ["14 characters"], "reference_doc_ids": ["it.md"], "reference_contexts": [],
     "expected_status": "answered"},
    {"id": "q3", "question": "Who won the 1998 FIFA World Cup?", "answerable": False, "reference_answers": [],
     "reference_doc_ids": [], "reference_contexts": [], "expected_status": "no_answer"},
]


def make_dataset(root: Path) -> Path:
    (root / "corpus").mkdir(parents=True)
    (root / "corpus" / "leave.md").write_text("# Leave\n\n## Annual leave\n\nEveryone gets 25 days of annual leave.\n")
    (root / "corpus" / "it.md").write_text("# IT\n\n## Passwords\n\nPasswords must have at least 14 characters.\n")
    (root / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    return root


def grounded(*args, home: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "GROUNDED_HOME": str(home), "GROUNDED_GENERATOR__BACKEND": "extractive"}
    return subprocess.run([sys.executable, "-m", "grounded.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_eval_run_report_gate_and_baseline(tmp_path):
    data = make_dataset(tmp_path / "ds")
    gate = tmp_path / "gate.yaml"
    gate.write_text("metrics:\n  status_accuracy: {min: 0.99}\n  recall@1: {min: 0.5}\n  impossible: {min: 1}\n")
    first = grounded("eval", str(data), "-c", "tiny", "--ingest", "--out", str(tmp_path / "r1"), "--gate", str(gate),
                     home=tmp_path / "home")
    assert first.returncode == 1, first.stderr  # 'impossible' is not a metric: the gate names it and fails
    assert "impossible" in first.stderr
    report = json.loads((tmp_path / "r1" / "report.json").read_text())
    assert report["metrics"]["status_accuracy"]["value"] == 1.0
    assert report["metrics"]["recall@1"]["value"] == 1.0
    assert report["metrics"]["abstention_f1"]["value"] == 1.0
    assert {f["metric"] for f in report["gate"]["failures"]} == {"impossible"}
    for name in ("report.md", "scores.png", "abstention.png", "latency.png"):
        assert (tmp_path / "r1" / name).is_file()

    gate.write_text("metrics:\n  status_accuracy: {min: 0.99}\n")
    second = grounded("eval", str(data), "-c", "tiny", "--out", str(tmp_path / "r2"), "--gate", str(gate),
                      "--baseline", str(tmp_path / "r1"), home=tmp_path / "home")
    assert second.returncode == 0, second.stderr
    regressions = json.loads((tmp_path / "r2" / "report.json").read_text())["regressions"]
    assert [r for r in regressions if not r["metric"].endswith("_ms")] == [], "same answers: no quality regression"

    bad = grounded("eval", str(tmp_path / "missing"), "-c", "tiny", home=tmp_path / "home")
    assert bad.returncode == 2


@pytest.mark.judge
@pytest.mark.timeout(3600)
def test_local_judge_works_with_the_extractive_generator(tmp_path):
    """The RAGAS judge brings up its own local runtime when the generator is not the local one."""
    home = tmp_path / "home"
    home.mkdir()
    if os.environ.get("GROUNDED_HOME"):  # reuse an assembled model ($GROUNDED_HOME/models), as the other slow tests
        (home / "models").symlink_to(Path(os.environ["GROUNDED_HOME"]) / "models")
    data = make_dataset(tmp_path / "ds")
    run = grounded("eval", str(data), "-c", "tiny", "--ingest", "--out", str(tmp_path / "r"), "--judge", "local",
                   "--limit", "2", home=home, timeout=3500)
    assert run.returncode == 0, run.stderr
    metrics = json.loads((tmp_path / "r" / "report.json").read_text())["metrics"]
    for name in ("ragas_faithfulness", "ragas_response_relevancy"):
        assert isinstance(metrics[name]["value"], float), metrics[name]


@pytest.mark.unit
def test_eval_without_the_eval_extra_says_how_to_install_it(monkeypatch, tmp_path):
    """`grounded eval` on an install without `[eval]`: exit 2 and the install command, no ImportError."""
    from typer.testing import CliRunner

    from grounded.cli import app, common

    installed = common.find_spec
    monkeypatch.setattr(common, "find_spec", lambda name: None if name == "ragas" else installed(name))
    result = CliRunner().invoke(app, ["eval", str(make_dataset(tmp_path / "ds")), "-c", "tiny"])
    assert result.exit_code == 2
    assert "pip install 'grounded[eval]'" in " ".join(result.stderr.split())
