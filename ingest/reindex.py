"""Build a new index version of a collection beside the live one, from the collection's recorded source roots,
with the given chunking and embedding settings. The live version keeps serving; nothing moves the alias here."""

from __future__ import annotations

import time
from pathlib import Path

from grounded.contracts import CollectionInfo, IngestReport, SourceKind, VersionStatus, utcnow
from grounded.embedder import Embedder
from grounded.settings import ChunkSettings
from grounded.sparse import SparseEncoder
from grounded.store import VersionedStore
from grounded.ingest import roots
from grounded.ingest.sync import UPLOADS_PREFIX, Ingestor, Progress


class NoSourceRoots(ValueError):
    """The collection records nothing to rebuild from."""


def source_roots(info: CollectionInfo, home: Path) -> list[tuple[Path, str]]:
    """(path, doc-id prefix) pairs a rebuild reads: every root the collection recorded (ingest/roots.py) that
    still exists, and the collection's API uploads (a namespace of their own)."""
    found = [(Path(r.path), "") for r in roots.known_roots(info)
             if r.kind is not SourceKind.NAMESPACE and Path(r.path).exists()]
    uploads = home / "uploads" / info.name
    if uploads.is_dir() and any(uploads.iterdir()):
        found.append((uploads, UPLOADS_PREFIX))
    if not found:
        raise NoSourceRoots(f"collection '{info.name}' records no source folder or uploads to rebuild from")
    return found


def build_version(
    store: VersionedStore, collection: str, home: Path, embedder: Embedder, sparse: SparseEncoder,
    chunking: ChunkSettings, build: dict, progress: Progress | None = None,
) -> tuple[CollectionInfo, IngestReport]:
    """Create the next version and fill it; a failed build is recorded as failed (and re-raised)."""
    live = store.get_collection(collection)
    if live is None:
        from grounded.store import CollectionNotFound

        raise CollectionNotFound(collection)
    sources = source_roots(live, home)
    info = store.create_version(collection, embedder.model_name, embedder.dimension, build)
    if live.index is not None and live.index.eval_dataset:
        info = store.record(info, eval_dataset=live.index.eval_dataset)
    started = time.perf_counter()
    total = IngestReport(collection=info.name)
    ingestor = Ingestor(store, embedder, sparse, chunking)
    try:
        for root, prefix in sources:
            report = ingestor.sync(info.name, root, progress=progress, remember_source=not prefix, doc_prefix=prefix)
            for field in ("added", "updated", "unchanged", "removed", "chunks"):
                setattr(total, field, getattr(total, field) + getattr(report, field))
            total.failed += report.failed
            total.skipped += report.skipped
    except Exception as exc:
        store.record(info, status=VersionStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:500])
        raise
    total.seconds = round(time.perf_counter() - started, 3)
    info = store.record(info, status=VersionStatus.STAGED, built_at=utcnow())
    return info, total
