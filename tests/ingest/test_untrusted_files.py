"""Files the corpus must not leak or lose (issue 9 findings 9 and 10): symlinks out of the corpus root are skipped
with a reason; text encodings other than UTF-8 decode; a bad corpus.jsonl line fails alone."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from grounded.store import list_documents

SECRET = "The vault combination is 31-17-44."


def name() -> str:
    return f"c{uuid.uuid4().hex[:8]}"


def corpus_with_links(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"Secret\n\n{SECRET}\n")
    root = tmp_path / "corpus"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "leave.md").write_text("# Leave\n\nEveryone gets 25 days of annual leave.\n")
    (root / "leak.txt").symlink_to(outside / "secret.txt")
    (root / "leakdir").symlink_to(outside, target_is_directory=True)
    (root / "alias.md").symlink_to(root / "docs" / "leave.md")  # stays inside: read like any file
    return root


def test_symlinks_leaving_the_corpus_root_are_skipped_with_a_reason(components, tmp_path):
    root, col = corpus_with_links(tmp_path), name()
    report = components.ingestor().sync(col, root)
    skipped = {s.path: s.reason for s in report.skipped}
    assert set(skipped) == {"leak.txt", "leakdir"} and all("outside the corpus root" in r for r in skipped.values())
    assert report.failed == [] and report.added == 2
    assert {d.doc_id for d in list_documents(components.store, col)} == {"docs/leave.md", "alias.md"}
    chunks = list(components.store.payloads(col, ["text"]))
    assert not any("vault combination" in c["text"] for c in chunks)

    direct = components.ingestor().sync(col, root / "leak.txt")  # naming the link itself does not read it
    assert [s.path for s in direct.skipped] == ["leak.txt"] and direct.added == 0


def test_one_bad_byte_in_a_corpus_jsonl_fails_that_line_alone(components, tmp_path):
    root = tmp_path / "beir"
    root.mkdir()
    lines = [json.dumps({"_id": "d1", "title": "Leave", "text": "Everyone gets 25 days of annual leave."}).encode(),
             b'{"_id": "d2", "title": "Bad", "text": "caf\xe9 au lait"}',
             json.dumps({"_id": "d3", "title": "Café", "text": "The café opens at 08:00."}).encode()]
    (root / "corpus.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (root / "notes.md").write_text("# Notes\n\nThe canteen closes at 15:00.\n")
    report = components.ingestor().sync(name(), root)
    assert [(f.path, "UTF-8" in f.error) for f in report.failed] == [("corpus.jsonl:2", True)]
    assert report.added == 3, "d1, d3 and the folder's other file are ingested"


def test_utf16_and_latin1_text_decode_and_binary_is_still_rejected(components, tmp_path):
    root = tmp_path / "enc"
    root.mkdir()
    (root / "utf16.txt").write_bytes("Kantine\n\nDie Kantine öffnet um 11:30 Uhr.\n".encode("utf-16"))
    (root / "latin1.md").write_bytes("# Café\n\nLe café ouvre à 08:00 précises.\n".encode("latin-1"))
    (root / "utf8-bom.md").write_bytes("# Bom\n\nNaïve résumé text.\n".encode("utf-8-sig"))
    (root / "binary.txt").write_bytes(bytes(range(256)) * 8)
    col = name()
    report = components.ingestor().sync(col, root)
    assert [f.path for f in report.failed] == ["binary.txt"] and "binary" in report.failed[0].error
    texts = " ".join(c["text"] for c in components.store.payloads(col, ["text"]))
    assert "öffnet um 11:30" in texts and "Le café ouvre à 08:00" in texts and "Naïve résumé" in texts
    assert "\ufeff" not in texts
