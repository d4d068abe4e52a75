"""Synthetic chunks for the embedded engine's index tests: point i has a deterministic id, unit dense vector and
sparse term (its own: a query made from point i finds point i first in both branches); ten documents under two
folders."""

from __future__ import annotations

import uuid

import numpy as np

from grounded.contracts import Chunk, SourceFormat
from grounded.sparse import SparseVec

DIM = 384


def point_id(i: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"point-{i}"))


def batch(start: int, n: int) -> tuple[list[Chunk], np.ndarray, list[SparseVec]]:
    dense = np.stack([np.random.default_rng(i).standard_normal(DIM) for i in range(start, start + n)])
    dense = (dense / np.linalg.norm(dense, axis=1, keepdims=True)).astype(np.float32)
    chunks = [
        Chunk(chunk_id=point_id(i), doc_id=f"f{i % 2}/doc{i % 10}.md", source="s", format=SourceFormat.MD,
              title="t", section="", page=None, char_start=0, char_end=8, text=f"text {i}", content_hash="h",
              index=i, n_chunks=1)
        for i in range(start, start + n)
    ]
    return chunks, dense, [SparseVec(indices=[i], values=[1.0]) for i in range(start, start + n)]
