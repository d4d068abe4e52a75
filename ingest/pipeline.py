"""Pipelined ingest: documents are parsed, chunked and BM25-encoded in worker processes while the main process
embeds and writes what is already chunked; embedding batches are packed by token count; store writes are batched.

`chunked(docs, ...)` yields each document's chunks (or why it failed) in source order. Workers come from a
forkserver that imported the parsers once (ingest/preload.py), so they never inherit the main process's threads
(the API server's, onnxruntime's) and start warm. At most `workers * 4` tasks are in flight, so a large corpus is
never held in memory at once.

Parse-time bound: a task that runs longer than `parse_timeout_s` has its worker process killed and replaced
(pebble's process pool does both). A task holding several small documents is then retried one document per task,
so only a document that exceeds the limit on its own fails, with the reason; the others go on.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterator

from grounded.contracts import Chunk, SourceDocument
from grounded.embedder import token_counter
from grounded.injection import kinds as injection_kinds
from grounded.settings import ChunkSettings
from grounded.sparse import SparseEncoder, SparseVec
from grounded.ingest.chunk import chunk_document
from grounded.ingest.parse import ParseError, parse

TASK_DOCS = 8
"""Most documents per worker task: amortises pickling for small records (corpus.jsonl lines) without starving."""
TASK_BYTES = 64 * 1024
"""A document at least this large goes alone in its task (a parse-time overrun then costs no other work)."""
_PRELOAD = ["grounded.ingest.preload"]


@dataclass
class Chunked:
    """One document after the CPU-side work: its chunks (injection-checked) and their BM25 vectors, or why it
    failed."""

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


@dataclass(frozen=True)
class ChunkJob:
    """What a worker needs besides the documents: chunk budget, tokenizer and the embedder's window."""

    chunking: ChunkSettings
    tokenizer_file: str
    window: int | None = None


@lru_cache(maxsize=1)
def _worker_sparse() -> SparseEncoder:
    return SparseEncoder()


def chunk_one(doc: SourceDocument, job: ChunkJob, sparse: SparseEncoder) -> Chunked:
    started = time.time_ns()
    try:
        parsed = parse(doc)
        chunks = chunk_document(parsed, job.chunking.max_tokens, job.chunking.overlap_tokens,
                                token_counter(job.tokenizer_file), window=job.window)
    except (ParseError, OSError) as exc:
        return Chunked(doc, error=str(exc), started_ns=started, ended_ns=time.time_ns())
    for chunk in chunks:
        chunk.injection = injection_kinds(chunk.text)
    vectors = sparse.embed_documents([c.embedding_text() for c in chunks])
    return Chunked(doc, chunks, vectors, started_ns=started, ended_ns=time.time_ns())


def _chunk_task(docs: list[SourceDocument], job: ChunkJob) -> tuple[list[Chunked], float]:
    started = time.process_time()
    out = [chunk_one(d, job, _worker_sparse()) for d in docs]
    return out, time.process_time() - started


def _size(doc: SourceDocument) -> int:
    if doc.inline_text is not None:
        return len(doc.inline_text)
    try:
        return os.path.getsize(doc.source)
    except OSError:
        return TASK_BYTES  # parse reports the problem; alone in its task meanwhile


def tasks_of(docs: list[SourceDocument]) -> Iterator[list[SourceDocument]]:
    """Consecutive documents grouped up to TASK_DOCS and TASK_BYTES; a large one alone."""
    task: list[SourceDocument] = []
    size = 0
    for doc in docs:
        n = _size(doc)
        if task and (len(task) >= TASK_DOCS or size + n > TASK_BYTES):
            yield task
            task, size = [], 0
        task.append(doc)
        size += n
    if task:
        yield task


def _context():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def chunked(
    docs: list[SourceDocument],
    job: ChunkJob,
    sparse: SparseEncoder,
    workers: int,
    stats: PipelineStats,
    parse_timeout_s: float | None = None,
) -> Iterator[Chunked]:
    """Each document's chunks in the order given, parsed by `workers` processes, each document within
    `parse_timeout_s`; `workers=0` parses inline with `sparse` and no time bound."""
    stats.parsed_docs += len(docs)
    if workers < 1:
        for doc in docs:
            yield chunk_one(doc, job, sparse)
        return
    if not docs:
        return
    from pebble import ProcessExpired, ProcessPool

    pool = ProcessPool(max_workers=workers, context=_context())
    in_flight: deque = deque()  # (future, documents), in source order
    queued = tasks_of(docs)

    def schedule(task: list[SourceDocument]):
        return pool.schedule(_chunk_task, args=(task, job), timeout=parse_timeout_s), task

    def top_up() -> None:
        while len(in_flight) < workers * 4 and (task := next(queued, None)) is not None:
            in_flight.append(schedule(task))

    finished = False
    try:
        top_up()
        while in_flight:
            future, task = in_flight.popleft()
            try:
                results, cpu = future.result()
            except (TimeoutError, ProcessExpired) as exc:
                if len(task) > 1:  # find the document at fault: each again on its own, in order
                    in_flight.extendleft(reversed([schedule([d]) for d in task]))
                    continue
                results, cpu = [_failed(task[0], exc, parse_timeout_s)], 0.0
            stats.worker_cpu_s += cpu
            top_up()
            yield from results
        finished = True
    finally:  # a consumer that stops early (an error while writing) does not wait for the parses in flight
        if finished:
            pool.close()
        else:
            pool.stop()
        pool.join()


def _failed(doc: SourceDocument, exc: BaseException, parse_timeout_s: float | None) -> Chunked:
    now = time.time_ns()
    if isinstance(exc, TimeoutError):
        reason = (f"parsing took longer than the {parse_timeout_s:g} s limit (ingest.parse_timeout_s); "
                  "its worker process was stopped")
        return Chunked(doc, error=reason, started_ns=now - int((parse_timeout_s or 0) * 1e9), ended_ns=now)
    return Chunked(doc, error=f"the parser process died ({exc}); the file was not ingested",
                   started_ns=now, ended_ns=now)


def warm_up_workers() -> None:
    """Start the forkserver (it imports the parsers once) before timing-sensitive work, e.g. in a bench."""
    from pebble import ProcessPool

    with ProcessPool(max_workers=1, context=_context()) as pool:
        pool.schedule(time.process_time).result()

