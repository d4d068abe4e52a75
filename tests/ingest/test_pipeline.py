"""The pipelined ingest: parsing in worker processes gives exactly what inline parsing gives, failures included."""

from __future__ import annotations

import shutil

from grounded.settings import IngestSettings
from grounded.ingest.sync import Ingestor

from tests.conftest import DEMO


def _state(store, collection):
    fields = ["chunk_id", "doc_id", "text", "section", "n_chunks"]
    return sorted(tuple(p[f] for f in fields) for p in store.payloads(collection, fields))


def test_worker_processes_match_inline_parsing(components, tmp_path):
    corpus = tmp_path / "corpus"
    sources = sorted(DEMO.rglob("*.md"))
    for i, src in enumerate((sources * 12)[:12]):  # more documents than one worker task holds
        (corpus / f"copy{i}").mkdir(parents=True)
        shutil.copy2(src, corpus / f"copy{i}" / src.name)
    (corpus / "broken.docx").write_bytes(b"PK\x03\x04 not really a docx")
    n_docs = len(list(corpus.rglob("*.md")))
    assert n_docs == 12

    def sync(collection: str, workers: int) -> Ingestor:
        ingestor = Ingestor(components.store, components.embedder, components.sparse, components.settings.chunk,
                            IngestSettings(workers=workers, write_batch_chunks=16))
        report = ingestor.sync(collection, corpus)
        assert report.added == n_docs and [f.path for f in report.failed] == ["broken.docx"]
        return ingestor

    pooled, inline = sync("pooled", 1), sync("inline", 0)
    assert pooled.stats.worker_cpu_s > 0 and inline.stats.worker_cpu_s == 0
    assert _state(components.store, "pooled") == _state(components.store, "inline")
    assert components.store.count("pooled") == len(_state(components.store, "inline")) > n_docs
