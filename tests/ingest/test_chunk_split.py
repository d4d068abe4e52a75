"""Splitting an oversized paragraph: whole sentences (the project's splitter), the token budget, sentence overlap."""

import pytest

from grounded.contracts import Element, ElementKind, ParsedDocument, SourceFormat
from grounded.ingest.chunk import chunk_document

pytestmark = pytest.mark.unit


def words(text: str) -> int:
    return len(text.split())


def doc(text: str) -> ParsedDocument:
    el = Element(kind=ElementKind.TEXT, text=text, char_start=0, char_end=len(text))
    return ParsedDocument(doc_id="d.md", source="d.md", format=SourceFormat.MD, title="D", text=text, elements=[el],
                          content_hash="h")


PARAGRAPH = " ".join(f"Sentence {i} cites St. Mary and No. {i} with 3.5 units." for i in range(20))


def test_pieces_are_whole_sentences_within_budget_and_overlap():
    chunks = chunk_document(doc(PARAGRAPH), max_tokens=40, overlap=12, count_tokens=words)  # 11 words a sentence
    assert len(chunks) > 3
    for c in chunks:
        assert PARAGRAPH[c.char_start : c.char_end] == c.text and words(c.text) <= 40
        assert c.text.startswith("Sentence ") and c.text.endswith("units."), "cut only between sentences"
    for a, b in zip(chunks, chunks[1:]):
        assert b.char_start < a.char_end, "neighbours share their boundary sentence"
    assert chunks[0].char_start == 0 and chunks[-1].char_end == len(PARAGRAPH)


def test_run_on_sentence_is_cut_at_words():
    text = "Short one. " + "word " * 95 + "end."
    chunks = chunk_document(doc(text), max_tokens=40, overlap=5, count_tokens=words)
    assert all(words(c.text) <= 40 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == text.split(), "nothing lost, nothing repeated"
