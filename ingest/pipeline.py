"""Pipelined ingest: documents are parsed, chunked and BM25-encoded in worker processes while the main process
embeds and writes what is already chunked; embedding batches are packed by token count; store writes are batched.

`chunked(docs, ...)` yields each document's chunks (or its parse error) in source order. Small syncs (fewer than
`PARALLEL_MIN_DOCS` documents to parse) run inline: a worker process costs more than it saves there. Workers
come from a forkserver, so they never inherit the main process's threads (the API server's, onnxruntime's). At most `workers * 4` tasks are in flight, so a
large corpus is never held in memory at once.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

from grounded.contracts import Chunk, SourceDocument
from grounded.embedder import token_counter
from grounded.settings import ChunkSettings
from grounded.sparse import SparseEncoder, SparseVec
from grounded.ingest.chunk import chunk_document
from grounded.ingest.parse import ParseError, parse

PARALLEL_MIN_DOCS = 16
TASK_DOCS = 8
"""Documents per worker task: amortises pickling for small records (corpus.jsonl lines) without starving."""
_PRELOAD = ["grounded.ingest.pipeline"]
"""Workers import a format's parser when they first meet it (a corpus.jsonl never loads unstructured)."""


@dataclass
class Chunked:
    """One document after the CPU-side work: its chunks and their BM25 vectors, or why it failed."""

    doc: SourceDocument
    chunks: list[Chunk] = field(default_factory=list)
    sparse: list[SparseVec] = field(default_factory=list)
    error: str | None = None
    started_ns: int = 0
    ended_ns: int = 0
    """Wall-clock time (time.time_ns) the parse started and ended, in whichever process ran it."""


@dataclass
class PipelineStats:
    """What the last sync's parse side cost; `worker_cpu_s` is CPU spent in worker processes."""

    parsed_docs: int = 0
    worker_cpu_s: float = 0.0


@lru_cache(maxsize=1)
def _worker_sparse() -> SparseEncoder:
    return SparseEncoder()


def chunk_one(doc: SourceDocument, chunking: ChunkSettings, tokenizer_file: str, sparse: SparseEncoder) -> Chunked:
    started = time.time_ns()
    try:
        parsed = parse(doc)
        chunks = chunk_document(parsed, chunking.max_tokens, chunking.overlap_tokens, token_counter(tokenizer_file))
    except (ParseError, OSError) as exc:
        return Chunked(doc, error=str(exc), started_ns=started, ended_ns=time.time_ns())
    vectors = sparse.embed_documents([c.embedding_text() for c in chunks])
    return Chunked(doc, chunks, vectors, started_ns=started, ended_ns=time.time_ns())


def _chunk_task(docs: list[SourceDocument], chunking: ChunkSettings, tokenizer_file: str) -> tuple[list[Chunked], float]:
    started = time.process_time()
    out = [chunk_one(d, chunking, tokenizer_file, _worker_sparse()) for d in docs]
    return out, time.process_time() - started


def _context():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def chunked(
    docs: list[SourceDocument],
    chunking: ChunkSettings,
    tokenizer_file: Path,
    sparse: SparseEncoder,
    workers: int,
    stats: PipelineStats,
) -> Iterator[Chunked]:
    """Each document's chunks in the order given, parsed by `workers` processes (0 = inline, with `sparse`)."""
    stats.parsed_docs += len(docs)
    if workers < 1 or len(docs) < PARALLEL_MIN_DOCS:
        for doc in docs:
            yield chunk_one(doc, chunking, str(tokenizer_file), sparse)
        return
    tasks = [docs[i : i + TASK_DOCS] for i in range(0, len(docs), TASK_DOCS)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        in_flight: deque[Future] = deque()
        queued: Iterable[list[SourceDocument]] = iter(tasks)
        for task in queued:
            in_flight.append(pool.submit(_chunk_task, task, chunking, str(tokenizer_file)))
            if len(in_flight) >= workers * 4:
                break
        while in_flight:
            results, cpu = in_flight.popleft().result()
            stats.worker_cpu_s += cpu
            task = next(queued, None)
            if task is not None:
                in_flight.append(pool.submit(_chunk_task, task, chunking, str(tokenizer_file)))
            yield from results


def warm_up_workers() -> None:
    """Start the forkserver before timing-sensitive work, e.g. in a bench."""
    with ProcessPoolExecutor(max_workers=1, mp_context=_context()) as pool:
        pool.submit(time.process_time).result()
