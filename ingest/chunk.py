"""Chunk a parsed document along its structure: one section at a time, consecutive elements packed up to the
token budget, a table always whole and alone, an oversized paragraph split by sentences (llama-index's
SentenceSplitter). Every chunk's text is an exact slice of the parsed text, so quotes can be verified."""

from __future__ import annotations

import uuid
from typing import Callable

from grounded.contracts import Chunk, Element, ElementKind, ParsedDocument

CHUNK_NAMESPACE = uuid.UUID("6f1c2f4e-4a57-4d0e-9a55-2b9a4c7de001")

TokenCounter = Callable[[str], int]


def chunk_id(doc_id: str, content_hash: str, index: int) -> str:
    return str(uuid.uuid5(CHUNK_NAMESPACE, f"{doc_id}\x00{content_hash}\x00{index}"))


class Span:
    def __init__(self, start: int, end: int, section: list[str], page: int | None) -> None:
        self.start, self.end, self.section, self.page = start, end, section, page


def chunk_document(doc: ParsedDocument, max_tokens: int, overlap: int, count_tokens: TokenCounter) -> list[Chunk]:
    spans: list[Span] = []
    for section in _sections(doc.elements):
        spans.extend(_pack(doc.text, section, max_tokens, overlap, count_tokens))
    chunks = []
    for i, span in enumerate(spans):
        chunks.append(
            Chunk(
                chunk_id=chunk_id(doc.doc_id, doc.content_hash, i),
                doc_id=doc.doc_id,
                source=doc.source,
                format=doc.format,
                title=doc.title,
                section=" > ".join(span.section),
                page=span.page,
                char_start=span.start,
                char_end=span.end,
                text=doc.text[span.start : span.end],
                content_hash=doc.content_hash,
                index=i,
                n_chunks=len(spans),
            )
        )
    return chunks


def _sections(elements: list[Element]) -> list[list[Element]]:
    """Runs of elements under the same heading; a heading opens a new run. A run that is only headings (a
    heading straight followed by its first subheading) joins the next run, so no chunk is a lone heading."""
    sections: list[list[Element]] = []
    for el in elements:
        opens = not sections or el.kind is ElementKind.TITLE or el.section_path != sections[-1][-1].section_path
        if opens and not (sections and all(e.kind is ElementKind.TITLE for e in sections[-1])):
            sections.append([el])
        else:
            sections[-1].append(el)
    return sections


def _pack(text: str, section: list[Element], max_tokens: int, overlap: int, count: TokenCounter) -> list[Span]:
    spans: list[Span] = []
    group: list[Element] = []
    used = 0

    def close() -> None:
        nonlocal group, used
        if group:
            spans.append(Span(group[0].char_start, group[-1].char_end, group[-1].section_path, group[0].page))
        group, used = [], 0

    for el in section:
        n = count(el.text)
        if el.kind is ElementKind.TABLE:
            close()
            spans.append(Span(el.char_start, el.char_end, el.section_path, el.page))
        elif n > max_tokens:
            close()
            spans.extend(_split(text, el, max_tokens, overlap, count))
        else:
            if group and (used + n > max_tokens or el.page != group[-1].page):
                close()
            group.append(el)
            used += n
    close()
    return spans


def _split(text: str, el: Element, max_tokens: int, overlap: int, count: TokenCounter) -> list[Span]:
    from llama_index.core.node_parser import SentenceSplitter

    splitter = SentenceSplitter(
        chunk_size=max_tokens, chunk_overlap=overlap, tokenizer=lambda s: [0] * count(s), paragraph_separator="\n"
    )
    spans = []
    cursor = el.char_start
    for piece in splitter.split_text(el.text):
        start = text.find(piece, cursor if spans else el.char_start, el.char_end)
        if start < 0:  # the splitter normalised whitespace; fall back to the word-level anchor
            start = text.find(piece.split()[0], cursor, el.char_end)
            end = min(el.char_end, start + len(piece)) if start >= 0 else -1
        else:
            end = start + len(piece)
        if start < 0:
            continue
        spans.append(Span(start, end, el.section_path, el.page))
        cursor = start + 1
    return spans or [Span(el.char_start, el.char_end, el.section_path, el.page)]
