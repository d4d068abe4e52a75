"""Splitting an oversized paragraph: whole sentences (the project's splitter), the token budget, sentence overlap."""

import re

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


def words_and_dashes(text: str) -> int:
    """A stand-in tokenizer that, like word pieces, splits at punctuation: 'a-b-c' is five pieces."""
    return len(re.findall(r"\w+|[^\w\s]", text))


def test_with_a_window_title_section_and_body_fit_it():
    text = PARAGRAPH
    el = Element(kind=ElementKind.TEXT, text=text, char_start=0, char_end=len(text), section_path=["Long " * 12])
    parsed = ParsedDocument(doc_id="d.md", source="d.md", format=SourceFormat.MD, title="A title of six words here",
                            text=text, elements=[el], content_hash="h")
    chunks = chunk_document(parsed, max_tokens=200, overlap=0, count_tokens=words, window=60)
    assert len(chunks) > 3
    for c in chunks:
        assert words(c.embedding_text()) + 2 <= 60  # the head line is embedded with the body: both fit
    assert " ".join(c.text for c in chunks).split() == text.split()


def test_a_table_over_the_budget_is_split_between_rows_and_a_long_row_between_words():
    rows = [f"row {i} | value {i}" for i in range(30)] + ["notes | " + " ".join(f"w{i}" for i in range(50))]
    text = "\n".join(rows)
    el = Element(kind=ElementKind.TABLE, text=text, char_start=0, char_end=len(text))
    chunks = chunk_document(doc(text).model_copy(update={"elements": [el]}), max_tokens=20, overlap=5,
                            count_tokens=words)
    assert all(words(c.text) <= 20 for c in chunks) and len(chunks) > 3
    assert all(c.text.endswith(("|", *(str(i) for i in range(10)))) for c in chunks[:-3]), "rows stay whole"
    assert " ".join(c.text for c in chunks).split() == text.split(), "no row lost, none repeated"


def test_a_word_longer_than_the_budget_is_cut_between_characters():
    giant = "-".join(f"s{i}" for i in range(40))  # 79 pieces in one whitespace-delimited word
    text = f"Before {giant} after."
    chunks = chunk_document(doc(text), max_tokens=10, overlap=0, count_tokens=words_and_dashes)
    assert all(words_and_dashes(c.text) <= 10 for c in chunks)
    assert "".join(c.text for c in chunks).replace(" ", "") == text.replace(" ", "")
