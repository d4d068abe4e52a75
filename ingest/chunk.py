"""Chunk a parsed document along its structure: one section at a time, consecutive elements packed up to the
token budget, a table whole and alone (one too large for the budget split between rows), an oversized paragraph
split at sentence boundaries (the project's one splitter, grounded/text.py) with whole sentences shared between
neighbours, a run-on sentence cut between words and a giant word between characters. Every chunk's text is an
exact slice of the parsed text, so quotes can be verified.

No text is lost to the embedder's window: given `window` (the model's word-piece limit), a chunk's budget is that
window less [CLS]/[SEP] and the title/section line it is embedded with (`Chunk.embedding_text`), so every word of a
document is embedded in some chunk. That line is kept to half the window: a longer title or heading path is
shortened on the chunk (outer headings first), never the body."""

from __future__ import annotations

import re
import uuid
from typing import Callable

from grounded.contracts import Chunk, Element, ElementKind, ParsedDocument
from grounded.text import sentence_spans

CHUNK_NAMESPACE = uuid.UUID("6f1c2f4e-4a57-4d0e-9a55-2b9a4c7de001")

TokenCounter = Callable[[str], int]


def chunk_id(doc_id: str, content_hash: str, index: int) -> str:
    return str(uuid.uuid5(CHUNK_NAMESPACE, f"{doc_id}\x00{content_hash}\x00{index}"))


class Span:
    def __init__(self, start: int, end: int, section: list[str], page: int | None) -> None:
        self.start, self.end, self.section, self.page = start, end, section, page


def chunk_document(
    doc: ParsedDocument, max_tokens: int, overlap: int, count_tokens: TokenCounter, window: int | None = None
) -> list[Chunk]:
    spans: list[Span] = []
    for section in _sections(doc.elements):
        budget = max_tokens if window is None else _budget(doc.title, section, max_tokens, window, count_tokens)
        spans.extend(_pack(doc.text, section, budget, overlap, count_tokens))
    chunks = []
    for i, span in enumerate(spans):
        title, path = (doc.title, span.section) if window is None else _head(doc.title, span.section, window,
                                                                            count_tokens)
        chunks.append(
            Chunk(
                chunk_id=chunk_id(doc.doc_id, doc.content_hash, i),
                doc_id=doc.doc_id,
                source=doc.source,
                format=doc.format,
                title=title,
                section=" > ".join(path),
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


def _head_line(title: str, path: list[str]) -> str:
    """The line a chunk is embedded under (`Chunk.embedding_text`)."""
    return " > ".join(p for p in (title, " > ".join(path)) if p)


def _head(title: str, path: list[str], window: int, count: TokenCounter) -> tuple[str, list[str]]:
    """Title and section path as a chunk carries them: at most half the window together. Longer ones are
    shortened, the outer headings first, then the title's and the last heading's tail words."""
    limit = window // 2
    if count(_head_line(title, path)) <= limit:
        return title, path
    path = list(path)
    while len(path) > 1 and count(_head_line(title, path)) > limit:
        path.pop(0)
    if count(_head_line(title, path)) > limit:
        title = _cut_words(title, limit // 2, count)
    if path and count(_head_line(title, path)) > limit:
        path = [_cut_words(path[-1], max(1, limit - count(title) - 2), count)]
    return title, path


def _cut_words(text: str, max_tokens: int, count: TokenCounter) -> str:
    words = text.split()
    while len(words) > 1 and count(" ".join(words) + " …") > max_tokens:
        words.pop()
    return " ".join(words) + " …"


def _budget(title: str, section: list[Element], max_tokens: int, window: int, count: TokenCounter) -> int:
    """Word pieces a chunk body of this section may hold so that its head line and body fit the window."""
    paths = {tuple(el.section_path) for el in section}
    head = max(count(_head_line(*_head(title, list(path), window, count))) for path in paths)
    return max(1, min(max_tokens, window - 2 - head))


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
            if n <= max_tokens:
                spans.append(Span(el.char_start, el.char_end, el.section_path, el.page))
            else:  # rows packed, never repeated: a row belongs to exactly one piece
                spans.extend(_pack_units(_line_units(text, el, max_tokens, count), el, max_tokens, 0))
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


Unit = tuple[int, int, int]  # (start, end, tokens) in the parsed text


def _split(text: str, el: Element, max_tokens: int, overlap: int, count: TokenCounter) -> list[Span]:
    """Sentences packed up to `max_tokens`; the next piece starts with the last whole sentences of the previous one
    worth at most `overlap` tokens; a sentence over the budget alone is cut at word boundaries."""
    units: list[Unit] = []
    for s, e in sentence_spans(text[el.char_start : el.char_end]):
        a, b = el.char_start + s, el.char_start + e
        n = count(text[a:b])
        units.extend([(a, b, n)] if n <= max_tokens else _word_pieces(text, a, b, max_tokens, count))
    return _pack_units(units, el, max_tokens, overlap)


def _line_units(text: str, el: Element, max_tokens: int, count: TokenCounter) -> list[Unit]:
    """A table's rows (one per line), a row over the budget cut at word boundaries."""
    units: list[Unit] = []
    for m in re.finditer(r"[^\n]+", text[el.char_start : el.char_end]):
        a, b = el.char_start + m.start(), el.char_start + m.end()
        n = count(text[a:b])
        units.extend([(a, b, n)] if n <= max_tokens else _word_pieces(text, a, b, max_tokens, count))
    return units


def _pack_units(units: list[Unit], el: Element, max_tokens: int, overlap: int) -> list[Span]:
    spans: list[Span] = []
    i = 0
    while i < len(units):
        j, used = i, 0
        while j < len(units) and (j == i or used + units[j][2] <= max_tokens):
            used += units[j][2]
            j += 1
        spans.append(Span(units[i][0], units[j - 1][1], el.section_path, el.page))
        if j == len(units):
            break
        k, shared = j, 0
        while k - 1 > i and shared + units[k - 1][2] <= min(overlap, max_tokens - units[j][2]):
            k -= 1
            shared += units[k][2]
        i = k
    return spans or [Span(el.char_start, el.char_end, el.section_path, el.page)]


def _word_pieces(text: str, start: int, end: int, max_tokens: int, count: TokenCounter) -> list[Unit]:
    """A run-on sentence cut into consecutive word runs of at most `max_tokens` (words counted one by one); a
    single word over the budget (a hash, a URL, base64) cut between characters."""
    pieces: list[Unit] = []
    a = b = None
    used = 0
    for m in re.finditer(r"\S+", text[start:end]):
        n = count(m.group(0))
        if a is not None and used + n > max_tokens:
            pieces.append((start + a, start + b, used))
            a, used = None, 0
        if n > max_tokens:
            pieces.extend(_char_pieces(text, start + m.start(), start + m.end(), max_tokens, count))
            continue
        if a is None:
            a = m.start()
        b, used = m.end(), used + n
    if a is not None:
        pieces.append((start + a, start + b, used))
    return pieces


def _char_pieces(text: str, start: int, end: int, max_tokens: int, count: TokenCounter) -> list[Unit]:
    pieces: list[Unit] = []
    a = start
    while a < end:
        b = end
        while count(text[a:b]) > max_tokens and b - a > 1:
            b = a + max(1, (b - a) * max_tokens // (count(text[a:b]) + 1))
        pieces.append((a, b, count(text[a:b])))
        a = b
    return pieces
