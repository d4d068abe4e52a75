"""Bring a collection in line with a folder (or corpus.jsonl): the hash-gated, kill-safe re-ingest.

For every source document, the store is asked which versions of it exist (each chunk records its document's
content hash and chunk count):
- a complete version with the same hash          -> unchanged: not parsed, not embedded
- no version, or only other/partial versions     -> parse, chunk, embed, upsert the new version, THEN delete the
                                                    document's other versions (a reader never sees it missing)
- documents in the store but gone from the source -> pruned (unless prune=False); a document whose file failed to
                                                    parse this time keeps its last good version
Chunk ids are uuid5(doc_id, hash, index), so writing a version twice is a no-op. A run killed at any point leaves
at worst a partial new version next to the old one; the next run sees it as incomplete and redoes it, converging
on exactly what a clean run gives.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from grounded.contracts import Chunk, CollectionInfo, FailedFile, IngestReport, SourceDocument
from grounded.embedder import Embedder, EmbedderMismatch, check_variant  # noqa: F401 (re-exported)
from grounded.settings import ChunkSettings, IngestSettings
from grounded.sparse import SparseEncoder, SparseVec
from grounded.store import VectorStore, doc_versions
from grounded.ingest.pipeline import PipelineStats, chunked
from grounded.ingest.sources import discover

UPLOADS_PREFIX = "uploads/"
"""Doc ids of files uploaded through the API start with this; a folder sync never prunes them."""


class Progress(Protocol):
    def start(self, total_files: int) -> None: ...
    def file_done(self, doc_id: str) -> None: ...
    def chunks_written(self, n: int) -> None: ...


class _NoProgress:
    def start(self, total_files: int) -> None: ...
    def file_done(self, doc_id: str) -> None: ...
    def chunks_written(self, n: int) -> None: ...


@dataclass
class _Pending:
    doc: SourceDocument
    is_new: bool
    chunks: list[Chunk] = field(default_factory=list)
    sparse: list[SparseVec] = field(default_factory=list)


class Ingestor:
    def __init__(
        self,
        store: VectorStore,
        embedder: Embedder,
        sparse: SparseEncoder,
        chunking: ChunkSettings,
        pipeline: IngestSettings | None = None,
    ) -> None:
        self.store, self.embedder, self.sparse, self.chunking = store, embedder, sparse, chunking
        self.pipeline = pipeline or IngestSettings()
        self.stats = PipelineStats()

    def ensure_collection(self, name: str, source_path: Path | None = None) -> CollectionInfo:
        info = self.store.get_collection(name)
        if info is None:
            info = CollectionInfo(
                name=name,
                embed_model=self.embedder.model_name,
                dimension=self.embedder.dimension,
                embed_variant=self.embedder.variant,
                source_path=str(source_path.resolve()) if source_path else None,
            )
            self.store.create_collection(info)
            return info
        check_variant(info, self.embedder)
        if source_path is not None and info.source_path != str(source_path.resolve()):
            info = info.model_copy(update={"source_path": str(source_path.resolve())})
            self.store.update_collection(info)
        return info

    def sync(
        self,
        collection: str,
        path: Path,
        prune: bool = True,
        progress: Progress | None = None,
        remember_source: bool = True,
        doc_prefix: str = "",
    ) -> IngestReport:
        """`remember_source=False` ingests without making PATH the collection's re-ingest folder; `doc_prefix`
        namespaces the doc ids (uploads use UPLOADS_PREFIX) and limits pruning to that namespace."""
        started = time.perf_counter()
        progress = progress or _NoProgress()
        found = discover(path)
        if doc_prefix:
            for doc in found.documents:
                doc.doc_id = doc_prefix + doc.doc_id
            for failure in found.failed:
                failure.path = doc_prefix + failure.path
        self.ensure_collection(collection, path if remember_source else None)
        report = IngestReport(collection=collection, failed=list(found.failed))
        versions = doc_versions(self.store, collection)
        progress.start(len(found.documents))

        todo: dict[str, _Pending] = {}
        for doc in found.documents:
            have = versions.get(doc.doc_id, [])
            current = [v for v in have if v.content_hash == doc.content_hash and v.complete]
            if current:
                if len(have) > 1:  # an interrupted replace left an older version behind
                    self.store.delete_document(collection, doc.doc_id, keep_hash=doc.content_hash)
                report.unchanged += 1
                progress.file_done(doc.doc_id)
                continue
            todo[doc.doc_id] = _Pending(doc, is_new=not have)

        # Parsing runs ahead in worker processes (ingest/pipeline.py) while this process embeds and writes.
        self.stats = PipelineStats()
        batch: list[_Pending] = []
        docs = [p.doc for p in todo.values()]
        for item in chunked(
            docs, self.chunking, self.embedder.tokenizer_file, self.sparse, self.pipeline.workers, self.stats
        ):
            if item.error is not None:
                report.failed.append(FailedFile(path=item.doc.doc_id, error=item.error))
                progress.file_done(item.doc.doc_id)
                continue
            pending = todo[item.doc.doc_id]
            pending.chunks, pending.sparse = item.chunks, item.sparse
            batch.append(pending)
            if sum(len(p.chunks) for p in batch) >= self.pipeline.write_batch_chunks:
                self._write(collection, batch, report, progress)
                batch = []
        self._write(collection, batch, report, progress)

        if prune:
            keep = {d.doc_id for d in found.documents} | {f.path for f in report.failed}
            in_scope = (lambda d: d.startswith(doc_prefix)) if doc_prefix else (lambda d: not d.startswith(UPLOADS_PREFIX))
            for doc_id in {d for d in versions.keys() - keep if in_scope(d)}:
                self.store.delete_document(collection, doc_id)
                report.removed += 1
        self.store.flush(collection)
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def _write(self, collection: str, batch: list[_Pending], report: IngestReport, progress: Progress) -> None:
        chunks = [c for p in batch for c in p.chunks]
        if not chunks:
            return
        dense = self.embedder.embed([c.embedding_text() for c in chunks])  # packed by token count inside
        self.store.upsert(collection, chunks, dense, [v for p in batch for v in p.sparse])
        for p in batch:
            if not p.is_new:  # a new document has no other version to remove
                self.store.delete_document(collection, p.doc.doc_id, keep_hash=p.doc.content_hash)
            if p.is_new:
                report.added += 1
            else:
                report.updated += 1
            progress.file_done(p.doc.doc_id)
        report.chunks += len(chunks)
        progress.chunks_written(len(chunks))
