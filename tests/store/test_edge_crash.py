"""A kill -9 right after the HNSW optimize (before close) must leave a shard that reopens indexed: same points,
no unindexed duplicate copy. Slow: it builds a real HNSW index over OPTIMIZE_AFTER points."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

WRITER = r"""
import sys, time, uuid
import numpy as np
from pathlib import Path
from grounded.contracts import Chunk, CollectionInfo, SourceFormat
from grounded.sparse import SparseVec
from grounded.store.embedded import EmbeddedStore, OPTIMIZE_AFTER

store = EmbeddedStore(Path(sys.argv[1]))
store.create_collection(CollectionInfo(name="big", embed_model="m", dimension=384))
rng = np.random.default_rng(0)
for start in range(0, OPTIMIZE_AFTER, 1000):
    chunks = [Chunk(chunk_id=str(uuid.uuid5(uuid.NAMESPACE_URL, str(i))), doc_id=f"d{i % 97}", source="s",
                    format=SourceFormat.TXT, title="t", section="", page=None, char_start=0, char_end=4,
                    text=f"text {i}", content_hash="h", index=0, n_chunks=1) for i in range(start, start + 1000)]
    dense = rng.standard_normal((1000, 384)).astype(np.float32)
    store.upsert("big", chunks, dense, [SparseVec(indices=[i % 50], values=[1.0]) for i in range(1000)])
store.flush("big")  # optimize (builds HNSW) and persists it
print("OPTIMIZED", flush=True)
time.sleep(600)  # killed here: never closed
"""

PROBE = r"""
import json, sys
from qdrant_edge import EdgeShard
info = EdgeShard.load(sys.argv[1]).info()
print(json.dumps({"points": info.points_count, "indexed": info.indexed_vectors_count}))
"""


def test_kill_9_after_optimize_reopens_indexed(tmp_path):
    from grounded.store.embedded import OPTIMIZE_AFTER

    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "OPTIMIZED"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=60)
    for _ in range(2):  # and it stays so on every later open
        out = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "big" / "shard")], capture_output=True,
                             text=True, timeout=600, check=True)
        info = json.loads(out.stdout)
        assert info["points"] == OPTIMIZE_AFTER  # no second, unindexed copy of the points
        assert info["indexed"] >= 2 * OPTIMIZE_AFTER  # dense (HNSW) and sparse both indexed
