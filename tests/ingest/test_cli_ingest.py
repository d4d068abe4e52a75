"""`grounded ingest` as a user runs it: JSON report, exit codes, and convergence after kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

GROUNDED = [sys.executable, "-m", "grounded.cli"]
KILL_AFTER_S = (6.5, 9.0)  # start-up (imports, model) takes ~5 s; then parse, embed and write interleave


def run(args, home: Path, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "GROUNDED_HOME": str(home)}
    return subprocess.run(GROUNDED + args, env=env, capture_output=True, text=True, timeout=600, **kw)


def state(home: Path, collection: str) -> dict[str, tuple]:
    """doc_id -> (content_hash, sorted chunk ids), read in a fresh process (the shard is single-process)."""
    code = (
        "import json,sys; from grounded.settings import Settings; from grounded.store import open_store;"
        f"s=open_store(Settings(home={str(home)!r}));"
        f"ps=list(s.payloads({collection!r},['doc_id','content_hash','chunk_id']));"
        "print(json.dumps(ps))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    docs: dict[str, list] = {}
    for p in json.loads(out.stdout):
        docs.setdefault(p["doc_id"], []).append((p["content_hash"], p["chunk_id"]))
    return {d: (sorted({h for h, _ in v}), sorted(c for _, c in v)) for d, v in docs.items()}


def test_json_report_and_exit_codes(tmp_path, corpus_copy):
    (corpus_copy / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    res = run(["ingest", str(corpus_copy), "--collection", "demo", "--json"], tmp_path / "home")
    assert res.returncode == 3, res.stderr
    report = json.loads(res.stdout)
    assert set(report) == {"collection", "dry_run", "added", "updated", "unchanged", "removed", "failed", "skipped",
                           "chunks", "seconds", "plan"}
    assert report["added"] == 6 and [f["path"] for f in report["failed"]] == ["broken.pdf"]

    (corpus_copy / "broken.pdf").unlink()
    res = run(["ingest", str(corpus_copy), "--collection", "demo", "--json"], tmp_path / "home")
    assert res.returncode == 0 and json.loads(res.stdout)["unchanged"] == 6

    assert run(["ingest", str(tmp_path / "missing"), "--collection", "demo"], tmp_path / "home").returncode == 2
    assert run(["ingest", str(corpus_copy)], tmp_path / "home").returncode == 2  # no --collection


def test_kill_9_mid_run_converges(tmp_path, corpus_copy):
    clean_home, home = tmp_path / "clean", tmp_path / "killed"
    assert run(["ingest", str(corpus_copy), "-c", "demo", "--json"], clean_home).returncode == 0
    expected = state(clean_home, "demo")

    # First a complete run on an older version of two documents, so the killed run is mid-replace.
    old = tmp_path / "old"
    import shutil

    shutil.copytree(corpus_copy, old)
    (old / "policies" / "remote-work.md").write_text("# Remote work\n\nAn older remote-work policy.\n")
    (old / "hr" / "onboarding-guide.docx").unlink()
    (old / "stale.md").write_text("# Stale\n\nA document that was removed since.\n")
    assert run(["ingest", str(old), "-c", "demo", "--json"], home).returncode == 0
    shutil.rmtree(old)
    shutil.move(str(corpus_copy), str(old))  # the collection's source folder now holds the current corpus

    env = {**os.environ, "GROUNDED_HOME": str(home)}
    for kill_after_s in KILL_AFTER_S:  # killed twice, at different points, before a run may finish
        proc = subprocess.Popen(GROUNDED + ["ingest", str(old), "-c", "demo", "--json"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(kill_after_s)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    res = run(["ingest", str(old), "-c", "demo", "--json"], home)
    assert res.returncode == 0, res.stderr
    assert state(home, "demo") == expected, "the killed-then-rerun collection equals a clean run's"
