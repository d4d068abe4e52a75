"""Index builds for the embedded engine, in a child process: `python -m grounded.store.edge_build DIR DIMENSION`.

qdrant-edge's `EdgeShard.optimize()` holds the GIL for the whole HNSW build (minutes at 100k points), so it never
runs in a process that serves reads: the owner copies the live shard into a new folder (`copy_shard`), a child
process optimizes the copy (`start_build`), and the owner swaps it in (edge_live.py).

The optimizer settings make builds incremental: every build turns the unindexed (appendable) segment into one
indexed segment and leaves the indexed segments as they are, until more than `SEGMENTS` of them exist and the
smallest are merged (each merged segment at most `MAX_SEGMENT_KB` of vectors).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

from qdrant_edge import (
    Distance,
    EdgeConfig,
    EdgeOptimizersConfig,
    EdgeShard,
    EdgeSparseVectorParams,
    EdgeVectorParams,
    Modifier,
)

from grounded.store.base import DENSE, SPARSE

SEGMENTS = 16
MAX_SEGMENT_KB = 200_000  # ~130k 384-d points per merged segment
BUILD_NICE = 10  # reads in the owner process come first on a busy machine
_PR_SET_PDEATHSIG = 1


def shard_config(dimension: int) -> EdgeConfig:
    """The shard's configuration, at creation and for every build (a build needs the vector settings too)."""
    return EdgeConfig(
        vectors={DENSE: EdgeVectorParams(size=dimension, distance=Distance.Cosine)},
        sparse_vectors={SPARSE: EdgeSparseVectorParams(modifier=Modifier.Idf)},
        optimizers=EdgeOptimizersConfig(
            indexing_threshold=1,  # a build indexes whatever is unindexed; when to build is the owner's decision
            default_segment_number=SEGMENTS,
            max_segment_size=MAX_SEGMENT_KB,
        ),
    )


def copy_shard(src: Path, dst: Path) -> None:
    """Copy a flushed shard that no one writes meanwhile. The write-ahead log comes too: it carries the operation
    counter, and a shard with a fresh log numbers new operations below its segments' versions, so the segments
    skip them (a delete replayed onto such a copy did nothing). `cp --sparse=always` keeps the engine's
    preallocated files sparse: a plain copy writes out their zeros."""
    dst.mkdir(parents=True)
    parts = [str(p) for p in src.iterdir()]
    subprocess.run(["cp", "-a", "--sparse=always", "--reflink=auto", *parts, str(dst)], check=True)


def start_build(path: Path, dimension: int) -> subprocess.Popen:
    """Optimize the shard at `path` in a child process; its exit code 0 means built, flushed and closed, and its
    stdout is then its peak resident memory in MB."""
    cmd = [sys.executable, "-m", "grounded.store.edge_build", str(path), str(dimension), str(os.getpid())]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def build(path: Path, dimension: int) -> None:
    """Build the indexes, then persist them before anything else: `optimize()` without a `flush()` left a shard
    that reopened with an unindexed copy of every point (tests/store/test_edge_crash.py)."""
    shard = EdgeShard.load(str(path), shard_config(dimension))
    shard.optimize()
    shard.flush()
    shard.close()


def _die_with_parent(parent: int) -> None:
    """A build nobody will swap in is wasted CPU: the child follows its parent's death (Linux)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        raise SystemExit(3)


def _peak_rss_mb() -> float:
    """VmHWM: this process's own peak (getrusage's ru_maxrss also counts the parent's memory shared before exec)."""
    with open("/proc/self/status") as fh:
        return next((int(line.split()[1]) / 1024 for line in fh if line.startswith("VmHWM:")), 0.0)


def main(argv: list[str]) -> int:
    path, dimension, parent = Path(argv[0]), int(argv[1]), int(argv[2])
    _die_with_parent(parent)
    os.nice(BUILD_NICE)
    build(path, dimension)
    print(f"{_peak_rss_mb():.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
