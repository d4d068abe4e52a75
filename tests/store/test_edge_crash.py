"""kill -9 at every step of a background index build leaves a collection that reopens complete (every
acknowledged write, no duplicate copy of any point) and indexed: a build killed before its swap is discarded and
starts again on open; after the switch of `live.json` the new shard is live, indexed, and stays so on every later
open. Slow: each case starts a writer process (tests/store/edge_writer.py) that builds a real HNSW index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from edge_writer import BUILD_AFTER

from grounded.store import SearchFilter, StoreQuery
from grounded.store import edge_layout as layout
from grounded.settings import IndexPolicy
from grounded.store.edge_live import KILL_AT_ENV
from grounded.store.embedded import EmbeddedStore

pytestmark = pytest.mark.slow

WRITER = Path(__file__).with_name("edge_writer.py")


def run_writer(root: Path, kill_at: str | None) -> tuple[list[str], int | None]:
    """Run the writer until it dies (kill_at = one of the build's steps) or, for kill_at None, kill it -9 while its
    build process runs. Returns its output lines and the build process's pid (None if it never started)."""
    env = dict(os.environ) | ({KILL_AT_ENV: kill_at} if kill_at else {})
    proc = subprocess.Popen([sys.executable, str(WRITER), str(root)], stdout=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []
    try:
        for line in proc.stdout:
            lines.append(line.strip())
            if kill_at is None and line.startswith("BUILDING"):
                proc.send_signal(signal.SIGKILL)
            if line.startswith("INDEXED"):  # the kill point was never reached
                break
    finally:
        proc.kill()
        proc.wait(timeout=60)
    builder = next((int(x.split()[1]) for x in lines if x.startswith("BUILDING")), None)
    return lines, builder


def gone(pid: int) -> bool:
    for _ in range(1000):  # bounded: 10 s
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return True
        time.sleep(0.01)
    return False


def check_reopens_complete_and_indexed(root: Path, lines: list[str]) -> None:
    acked = max(int(x.split()[1]) for x in lines if x.startswith("ACK"))
    for _ in range(2):  # and it stays so on every later open
        store = EmbeddedStore(root, IndexPolicy(build_after=BUILD_AFTER, max_unindexed=None))
        count = store.count("big")
        doc0 = StoreQuery(dense=[1.0] + [0.0] * 383, sparse_indices=[0], sparse_values=[1.0], limit=200,
                          candidates=200, filter=SearchFilter(doc_ids=["f0/doc0.md"]))
        if "DELETED" in lines:
            assert not store.search("big", doc0)
            assert count == acked - acked // 10
        else:
            assert acked <= count <= BUILD_AFTER + 100  # an unacknowledged write may or may not have landed
        assert store.wait_for_index("big", timeout=900)
        info = store.shard("big").info()
        assert info.points_count == count == store.count("big")  # no second copy of any point
        assert info.indexed_vectors_count - info.points_count >= BUILD_AFTER - 100  # dense vectors in HNSW
        shards = sorted(p.name for p in (root / "big").iterdir() if p.name.startswith("shard"))
        assert shards == [layout.live_shard_dir(root / "big").name]  # the interrupted build's folder is gone
        store.close()


@pytest.mark.parametrize("kill_at", ["copied", "built", "replayed", "switched"])
def test_kill_9_at_each_step_of_a_build(tmp_path, kill_at):
    lines, _ = run_writer(tmp_path, kill_at)
    assert "INDEXED" not in lines  # it died at the step
    live = layout.live_shard_dir(tmp_path / "big").name
    assert live == ("shard-1" if kill_at == "switched" else "shard")
    check_reopens_complete_and_indexed(tmp_path, lines)


def test_kill_9_while_the_build_process_runs(tmp_path):
    lines, builder = run_writer(tmp_path, None)
    assert builder is not None and gone(builder)  # the build process dies with its parent
    check_reopens_complete_and_indexed(tmp_path, lines)
