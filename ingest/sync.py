"""Bring a collection in line with a folder (or corpus.jsonl): the hash-gated, kill-safe re-ingest.

For every source document, the store is asked which versions of it exist (each chunk records its document's
content hash and chunk count):
- a complete version with the same hash          -> unchanged: not parsed, not embedded
- no version, or only other/partial versions     -> parse, chunk, embed, upsert the new version, THEN delete the
                                                    document's other versions (a reader never sees it missing)
- documents in the store but gone from the source -> pruned (unless prune=False), but only those of the same
                                                    source root and under the path synced (ingest/roots.py); a
                                                    document whose file failed to parse keeps its last good version
Chunk ids are uuid5(doc_id, hash, index), so writing a version twice is a no-op. A run killed at any point leaves
at worst a partial new version next to the old one; the next run sees it as incomplete and redoes it, converging
on exactly what a clean run gives. The collection's list of roots is written before any chunk, so a killed run at
worst leaves a root remembered with nothing from it yet.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from grounded.contracts import Chunk, CollectionInfo, FailedFile, IngestReport, SourceDocument, SourceKind, SourceRoot, SyncPlan
from grounded.embedder import Embedder, EmbedderMismatch, check_variant  # noqa: F401 (re-exported)
from grounded.settings import ChunkSettings, IngestSettings
from grounded.sparse import SparseEncoder, SparseVec
from grounded.store import VectorStore
from grounded.store.base import DocVersion, versions_from_payloads
from grounded.telemetry import record_span, span
from grounded.ingest import roots
from grounded.ingest.pipeline import ChunkJob, PipelineStats, chunked
from grounded.ingest.sources import Discovery, discover

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
        """Create the collection if needed (checking the embedder); `source_path` becomes its re-ingest root."""
        info = self.store.get_collection(name)
        if info is None:
            info = CollectionInfo(name=name, embed_model=self.embedder.model_name, dimension=self.embedder.dimension,
                                  embed_variant=self.embedder.variant)
            self.store.create_collection(info)
        else:
            check_variant(info, self.embedder)
        if source_path is not None:
            info = self._remember(info, roots.resolve(source_path, info).root)
        return info

    def _remember(self, info: CollectionInfo, root: SourceRoot) -> CollectionInfo:
        """Record `root` among the collection's sources (a folder or corpus file also becomes source_path)."""
        known = roots.known_roots(info)
        sources = known if any(r.id == root.id for r in known) else [*known, root]
        source_path = root.path if root.kind in (SourceKind.FOLDER, SourceKind.JSONL) else info.source_path
        if sources != info.sources or source_path != info.source_path:
            info = info.model_copy(update={"sources": sources, "source_path": source_path})
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
        dry_run: bool = False,
    ) -> IngestReport:
        """Sync PATH into the collection as part of its source root (see ingest/roots.py); the report's `plan`
        says exactly what was (with `dry_run`: would be) added, updated and removed. `doc_prefix` namespaces
        the doc ids (API uploads use UPLOADS_PREFIX: a root of their own); `remember_source=False` leaves the
        collection's source_path alone. One OpenTelemetry span per sync, with a child per phase."""
        attributes = {"grounded.collection": collection, "grounded.version.embedder": self.embedder.model_name,
                      "grounded.ingest.dry_run": dry_run}
        with span("grounded.ingest", attributes) as root:
            report = self._sync(root, collection, path, prune, progress, remember_source, doc_prefix, dry_run)
            root.set_attributes({"grounded.ingest.added": report.added, "grounded.ingest.updated": report.updated,
                                 "grounded.ingest.removed": report.removed, "grounded.ingest.chunks": report.chunks,
                                 "grounded.ingest.failed": len(report.failed)})
            return report

    def _sync(self, root, collection: str, path: Path, prune: bool, progress: Progress | None,
              remember_source: bool, doc_prefix: str, dry_run: bool) -> IngestReport:
        started = time.perf_counter()
        progress = progress or _NoProgress()
        info = self.store.get_collection(collection)
        if info is not None:
            check_variant(info, self.embedder)
        with span("grounded.ingest.plan", parent=root):
            if doc_prefix:
                target = roots.Target(roots.namespace_root(doc_prefix, path), path, doc_prefix, is_new=False)
            else:
                target = roots.resolve(path, info)
            found = discover(path, target.base)
            if doc_prefix:
                for doc in found.documents:
                    doc.doc_id = doc_prefix + doc.doc_id
                for failure in found.failed:
                    failure.path = doc_prefix + failure.path
            stored, stored_roots = self._stored(collection) if info else ({}, {})
            plan = self._plan(target, found, stored, stored_roots, prune, doc_prefix or UPLOADS_PREFIX)
        report = IngestReport(collection=collection, dry_run=dry_run, failed=list(found.failed),
                              skipped=list(found.skipped), plan=plan)
        if dry_run:
            report.added, report.updated, report.unchanged = len(plan.add), len(plan.update), plan.unchanged
            report.seconds = round(time.perf_counter() - started, 3)
            return report

        info = self.ensure_collection(collection)
        if remember_source and not doc_prefix:
            self._remember(info, target.root)
        progress.start(len(found.documents))
        to_write = {*plan.add, *plan.update}
        todo: dict[str, _Pending] = {}
        for doc in found.documents:
            have = stored.get(doc.doc_id, [])
            if doc.doc_id not in to_write:
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
        job = ChunkJob(self.chunking, str(self.embedder.tokenizer_file), window=self.embedder.max_seq_length)
        for item in chunked(docs, job, self.sparse, self.pipeline.workers, self.stats, self.pipeline.parse_timeout_s):
            record_span("grounded.ingest.parse", item.started_ns, item.ended_ns,
                        {"grounded.doc_id": item.doc.doc_id, "grounded.ingest.chunks": len(item.chunks)},
                        parent=root, error=item.error)
            if item.error is not None:
                report.failed.append(FailedFile(path=item.doc.doc_id, error=item.error))
                progress.file_done(item.doc.doc_id)
                continue
            pending = todo[item.doc.doc_id]
            pending.chunks, pending.sparse = item.chunks, item.sparse
            for chunk in pending.chunks:
                chunk.source_root = target.root.id
            batch.append(pending)
            if sum(len(p.chunks) for p in batch) >= self.pipeline.write_batch_chunks:
                self._write(root, collection, batch, report, progress)
                batch = []
        self._write(root, collection, batch, report, progress)

        with span("grounded.ingest.prune", {"grounded.ingest.documents": len(plan.remove)}, parent=root):
            for doc_id in plan.remove:
                self.store.delete_document(collection, doc_id)
                report.removed += 1
        with span("grounded.ingest.flush", parent=root):
            self.store.flush(collection)
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def _stored(self, collection: str) -> tuple[dict[str, list[DocVersion]], dict[str, set[str | None]]]:
        """The store as manifest: each document's versions, and the roots its chunks were synced from."""
        fields = ["doc_id", "content_hash", "n_chunks", "source", "title", "source_root"]
        payloads = list(self.store.payloads(collection, fields))
        doc_roots: dict[str, set[str | None]] = {}
        for p in payloads:
            doc_roots.setdefault(p["doc_id"], set()).add(p.get("source_root"))
        return versions_from_payloads(payloads), doc_roots

    @staticmethod
    def _plan(
        target: roots.Target,
        found: Discovery,
        stored: dict[str, list[DocVersion]],
        stored_roots: dict[str, set[str | None]],
        prune: bool,
        namespace: str,
    ) -> SyncPlan:
        plan = SyncPlan(root=target.root.path, root_id=target.root.id, new_root=target.is_new,
                        scope=target.scope, prune=prune)
        for doc in found.documents:
            have = stored.get(doc.doc_id, [])
            doc_roots = stored_roots.get(doc.doc_id, set())
            current = any(v.content_hash == doc.content_hash and v.complete for v in have)
            if not have:
                plan.add.append(doc.doc_id)
            elif not current or not doc_roots <= {target.root.id, None}:  # changed, or moves to this root
                plan.update.append(doc.doc_id)
                if current:
                    plan.notes.append(f"{doc.doc_id} was synced from another root; it now belongs to this one")
            else:
                plan.unchanged += 1
        present = {d.doc_id for d in found.documents} | {f.path for f in found.failed}
        in_scope = {
            doc_id for doc_id, doc_roots in stored_roots.items()
            if target.in_scope(doc_id) and roots.owned_by(target.root, doc_roots, doc_id, namespace)
        }
        gone = sorted(in_scope - present)
        if prune:
            plan.remove = gone
        else:
            plan.kept_stale = gone
        plan.untouched = len(stored_roots.keys() - in_scope - present)
        return plan

    def _write(self, root, collection: str, batch: list[_Pending], report: IngestReport, progress: Progress) -> None:
        chunks = [c for p in batch for c in p.chunks]
        if not chunks:
            return
        texts = [c.embedding_text() for c in chunks]
        with span("grounded.ingest.embed", {"grounded.ingest.chunks": len(chunks)}, parent=root):
            dense = self.embedder.embed(texts)  # packed by token count inside; BM25 was encoded by the parse side
        with span("grounded.ingest.write", {"grounded.ingest.chunks": len(chunks)}, parent=root):
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
