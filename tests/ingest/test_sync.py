"""Re-ingesting is incremental and idempotent: unchanged skipped, changed replaced, removed pruned, bad files
fail alone. Runs on the real embedder and the embedded Qdrant engine."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from grounded.contracts import CollectionInfo
from grounded.store import doc_versions, list_documents
from grounded.ingest.sync import EmbedderMismatch


@pytest.fixture
def embedded_texts(components, monkeypatch):
    """Counts what reaches the real embedder (a spy: the model still runs)."""
    seen: list[str] = []
    real = components.embedder.embed

    def spy(texts):
        seen.extend(texts)
        return real(texts)

    monkeypatch.setattr(components.embedder, "embed", spy)
    return seen


def small_corpus(root: Path) -> Path:
    (root / "hr").mkdir(parents=True)
    (root / "hr" / "leave.md").write_text("# Leave\n\n## Annual leave\n\nEveryone gets 25 days of annual leave.\n")
    (root / "it.txt").write_text("IT rules\n\nPasswords must have at least 14 characters.\n")
    (root / "office.html").write_text(
        "<html><body><h1>Office</h1><h2>Hours</h2><p>The office opens at 07:00.</p></body></html>"
    )
    return root


def name() -> str:
    return f"c{uuid.uuid4().hex[:8]}"


def test_unchanged_changed_removed(components, tmp_path, embedded_texts):
    ing, col, root = components.ingestor(), name(), small_corpus(tmp_path / "src")
    first = ing.sync(col, root)
    assert (first.added, first.updated, first.unchanged, first.removed) == (3, 0, 0, 0)
    assert first.chunks == len(embedded_texts) > 0

    embedded_texts.clear()
    again = ing.sync(col, root)
    assert (again.added, again.updated, again.unchanged, again.chunks) == (0, 0, 3, 0)
    assert embedded_texts == [], "nothing is embedded when nothing changed"

    (root / "it.txt").write_text("IT rules\n\nPasswords must have at least 16 characters.\n")
    changed = ing.sync(col, root)
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 2)
    assert embedded_texts and all("Passwords" in t or "IT rules" in t for t in embedded_texts)
    versions = doc_versions(components.store, col)
    assert len(versions["it.txt"]) == 1, "the old version is gone"

    (root / "office.html").unlink()
    kept = ing.sync(col, root, prune=False)
    assert kept.removed == 0 and "office.html" in {d.doc_id for d in list_documents(components.store, col)}
    pruned = ing.sync(col, root)
    assert pruned.removed == 1
    assert {d.doc_id for d in list_documents(components.store, col)} == {"hr/leave.md", "it.txt"}


def test_bad_files_fail_alone(components, tmp_path):
    root = small_corpus(tmp_path / "src")
    (root / "broken.pdf").write_bytes(b"%PDF-1.7\n this is not really a pdf \x00\x01")
    (root / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (root / "notes.xyz").write_text("unsupported")
    report = components.ingestor().sync(name(), root)
    failed = {f.path: f.error for f in report.failed}
    assert set(failed) == {"broken.pdf", "binary.txt", "notes.xyz"}
    assert "PDF" in failed["broken.pdf"] and "binary" in failed["binary.txt"] and "unsupported" in failed["notes.xyz"]
    assert report.added == 3


def test_failed_file_keeps_its_last_good_version(components, tmp_path):
    ing, col, root = components.ingestor(), name(), small_corpus(tmp_path / "src")
    ing.sync(col, root)
    (root / "it.txt").write_bytes(b"\x00\x01binary now")
    report = ing.sync(col, root)
    assert [f.path for f in report.failed] == ["it.txt"] and report.removed == 0
    assert "it.txt" in {d.doc_id for d in list_documents(components.store, col)}


def test_other_embedder_is_a_clear_error(components, tmp_path):
    col = name()
    components.store.create_collection(CollectionInfo(name=col, embed_model="other/model", dimension=768))
    with pytest.raises(EmbedderMismatch, match="other/model"):
        components.ingestor().sync(col, small_corpus(tmp_path / "src"))


def test_demo_corpus_ingests_every_format(components, demo_collection):
    docs = list_documents(components.store, demo_collection)
    assert {d.doc_id.rsplit(".", 1)[1] for d in docs} == {"md", "txt", "html", "pdf", "docx"}
    assert all(d.chunks > 0 for d in docs)


def test_uploads_namespace_is_never_pruned_by_a_folder_sync(components, tmp_path):
    from grounded.ingest.sync import UPLOADS_PREFIX

    ing, col = components.ingestor(), name()
    folder, uploads = small_corpus(tmp_path / "src"), tmp_path / "up"
    uploads.mkdir()
    (uploads / "it.txt").write_text("Uploaded note.\n\nThe VPN client is WireGuard.\n")
    ing.sync(col, folder)
    report = ing.sync(col, uploads, remember_source=False, doc_prefix=UPLOADS_PREFIX)
    assert report.added == 1 and report.removed == 0, "an upload sync prunes only inside uploads/"
    assert ing.sync(col, folder).removed == 0, "a folder sync leaves uploads alone"
    assert {"it.txt", "uploads/it.txt"} <= {d.doc_id for d in list_documents(components.store, col)}
