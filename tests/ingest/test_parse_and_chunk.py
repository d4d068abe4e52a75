"""Parsing keeps structure (titles, sections, pages, whole tables); chunks carry exact, deterministic metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from grounded.contracts import ElementKind, SourceFormat
from grounded.ingest.chunk import chunk_document
from grounded.ingest.parse import parse
from grounded.ingest.sources import discover

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


@pytest.fixture(scope="module")
def parsed():
    found = discover(DEMO)
    assert not found.failed
    return {d.doc_id: parse(d) for d in found.documents}


def test_every_format_is_found_and_parsed(parsed):
    formats = {doc.format for doc in parsed.values()}
    assert formats == {SourceFormat.MD, SourceFormat.TXT, SourceFormat.HTML, SourceFormat.PDF, SourceFormat.DOCX}
    for doc in parsed.values():
        assert doc.title and doc.elements
        assert any(e.kind is ElementKind.TITLE for e in doc.elements), doc.doc_id


@pytest.mark.parametrize("doc_id", ["policies/travel-and-expenses.md", "finance/per-diem-rates.html",
                                    "products/hx200-datasheet.pdf",
                                    "hr/parental-leave.docx"])
def test_tables_stay_whole_under_their_heading(parsed, doc_id):
    tables = [e for e in parsed[doc_id].elements if e.kind is ElementKind.TABLE]
    assert tables, f"no table found in {doc_id}"
    for table in tables:
        rows = table.text.splitlines()
        assert len(rows) >= 2 and all(" | " in r for r in rows)
        assert table.section_path, "a table keeps the heading it sits under"


def test_pdf_keeps_pages_and_headings(parsed):
    doc = parsed["products/hx200-datasheet.pdf"]
    pages = {e.page for e in doc.elements}
    assert min(pages) == 1 and max(pages) >= 3
    assert any(e.kind is ElementKind.TITLE and "specification" in e.text.lower() for e in doc.elements)


def test_docx_headings_become_section_paths(parsed):
    doc = parsed["hr/parental-leave.docx"]
    deep = [e for e in doc.elements if len(e.section_path) >= 3]
    assert deep, "Heading 1 > Heading 2 > Heading 3 nesting is kept"


def test_chunks_are_exact_slices_with_metadata(parsed, components):
    count = components.embedder.count_tokens
    for doc in parsed.values():
        chunks = chunk_document(doc, 220, 24, count)
        assert chunks
        for i, c in enumerate(chunks):
            assert c.text == doc.text[c.char_start : c.char_end]
            assert (c.doc_id, c.source, c.title, c.index, c.n_chunks) == (doc.doc_id, doc.source, doc.title, i, len(chunks))
            assert c.content_hash == doc.content_hash
            if doc.format is SourceFormat.PDF:
                assert c.page is not None
            if "|" not in c.text:
                assert count(c.text) <= 220 + 40, "non-table chunks respect the token budget"
        assert any(c.section for c in chunks)


def test_chunk_ids_are_deterministic(parsed, components):
    doc = parsed["policies/travel-and-expenses.md"]
    first = [c.chunk_id for c in chunk_document(doc, 220, 24, components.embedder.count_tokens)]
    again = [c.chunk_id for c in chunk_document(parse(discover(DEMO / doc.doc_id).documents[0].model_copy(
        update={"doc_id": doc.doc_id})), 220, 24, components.embedder.count_tokens)]
    assert first == again and len(set(first)) == len(first)


def test_corpus_jsonl_records_are_documents(tmp_path):
    path = tmp_path / "corpus.jsonl"
    path.write_text(
        '{"_id": "d1", "title": "Alpha", "text": "Alpha text."}\n'
        "not json\n"
        '{"_id": "d2", "title": "", "text": "Beta text."}\n'
    )
    found = discover(path)
    assert [d.doc_id for d in found.documents] == ["d1", "d2"]
    assert found.failed and "corpus.jsonl:2" in found.failed[0].path
    doc = parse(found.documents[0])
    assert doc.title == "Alpha" and doc.text == "Alpha text."
