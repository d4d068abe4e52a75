"""What the generator is shown: the top chunks, each cut to the lines or sentences that best match the question
(by its words, and by their meaning when an embedder is given: retrieval/matching.py), within one character budget
for all of them (the prompt's size is the answer's latency on a CPU: docs/results.md).

The budget is shared by rank: the best chunk gets half, the others split the rest, and what a short chunk leaves
unused passes to the chunks after it. Every line of an excerpt is an exact substring of its chunk, so quotes stay
verifiable; a table keeps its header row above the rows that match. Heading lines the source's heading already names
are left out."""

from __future__ import annotations

import numpy as np

from grounded.contracts import Chunk, Evidence
from grounded.embedder import Embedder
from grounded.retrieval.generators.base import ShownSource
from grounded.retrieval.matching import QuestionMatch
from grounded.retrieval.text import overlap, quote_candidates, sentence_spans
from grounded.settings import ExcerptMatch, GeneratorSettings

DEFAULTS = GeneratorSettings()
MIN_EXCERPT_CHARS = 60  # a share smaller than this shows no useful sentence: the source is left out


def excerpt(question: str | QuestionMatch, text: str, limit: int) -> str:
    """The part of a chunk worth sending: whole if it fits, else the window around its best-matching sentence
    (`matching`: by word overlap, plus MiniLM similarity if the match has an embedder) or table row (by word
    overlap, under the table's header row)."""
    if len(text) <= limit:
        return text
    match = question if isinstance(question, QuestionMatch) else QuestionMatch(question)
    if " | " in text:
        return _table_window(match.stems, text, limit)
    spans = sentence_spans(text)
    scores = match.scores([text[s:e] for s, e in spans]).combined
    best = int(np.argmax(scores))
    lo, hi = _grow(spans, best, limit)
    return _cut(text[spans[lo][0] : spans[hi][1]], limit)


def _table_window(q: set[str], text: str, limit: int) -> str:
    """Header row + the rows around the best-matching row (each row scored together with its header)."""
    rows = quote_candidates(text)
    if not rows:
        return _cut(text, limit)
    best = max(range(len(rows)), key=lambda i: overlap(q, rows[i][2]))
    header = _header_of(text, rows[best][0])
    if len(header) >= limit // 2:  # a header that would crowd out the rows is left out
        header = ""
    room = limit - len(header) - 1 if header else limit
    lo, hi = _grow([(s, e) for s, e, _ in rows], best, room)
    window = _cut(text[rows[lo][0] : rows[hi][1]], room)
    return f"{header}\n{window}" if header else window


def _header_of(text: str, row_start: int) -> str:
    """The first line of the run of table lines (' | ') that ends just above `row_start`, or ''."""
    header = ""
    for line in reversed(text[:row_start].rstrip("\n").split("\n")):
        if " | " not in line:
            break
        header = line
    return header


def _grow(spans: list[tuple[int, int]], best: int, limit: int) -> tuple[int, int]:
    lo = hi = best
    while True:
        grown = False
        if lo > 0 and spans[hi][1] - spans[lo - 1][0] <= limit:
            lo, grown = lo - 1, True
        if hi + 1 < len(spans) and spans[hi + 1][1] - spans[lo][0] <= limit:
            hi, grown = hi + 1, True
        if not grown:
            return lo, hi


def _cut(text: str, limit: int) -> str:
    """A single sentence longer than the limit is cut at a word boundary (its quote still comes from the chunk)."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return cut[: cut.rfind(" ")] if " " in cut else cut


def body(chunk: Chunk) -> str:
    """The chunk's text after its leading heading lines: the source's heading already names them (a suffix of the
    text, so every line stays an exact substring)."""
    names = {part.casefold() for part in chunk.heading_parts()}
    text = chunk.text.lstrip("\n")
    while True:
        line, newline, rest = text.partition("\n")
        if not (newline and line.strip().casefold() in names):
            return text
        text = rest.lstrip("\n")


def show_sources(
    question: str, evidence: list[Evidence], max_sources: int = DEFAULTS.max_sources,
    evidence_chars: int = DEFAULTS.evidence_chars,
    min_relative_dense: float = 0.0, embedder: Embedder | None = None,
) -> list[ShownSource]:
    """The best `max_sources` chunks cut to one budget. A chunk after the first whose dense score is below
    `min_relative_dense` times the first's is left out with its share of the budget: on SQuAD's tuning half such
    chunks backed no answer, and every token of them costs time. With an `embedder`, sentences are chosen by
    meaning as well as by words."""
    match = QuestionMatch(question, embedder)
    chosen = evidence[:max_sources]
    kept = [e for i, e in enumerate(chosen) if i == 0 or not _far_weaker(e, chosen[0], min_relative_dense)]
    weights = [2] + [1] * (len(kept) - 1)
    left = evidence_chars * sum(weights) // (len(chosen) + 1)  # a left-out chunk's share (weight 1) goes with it
    shown: list[ShownSource] = []
    for i, e in enumerate(kept):
        share = left * weights[i] // sum(weights[i:])
        if share < MIN_EXCERPT_CHARS:
            continue
        text = excerpt(match, body(e.chunk), share)
        left -= len(text)
        shown.append(ShownSource(marker=len(shown) + 1, evidence=e, excerpt=text))
    return shown


def shown_for(
    settings: GeneratorSettings, question: str, evidence: list[Evidence], embedder: Embedder,
) -> list[ShownSource]:
    """`show_sources` as the generator settings ask for it."""
    semantic = settings.excerpt_match is ExcerptMatch.SEMANTIC
    return show_sources(question, evidence, settings.max_sources, settings.evidence_chars, settings.min_relative_dense,
                        embedder if semantic else None)


def _far_weaker(e: Evidence, best: Evidence, ratio: float) -> bool:
    """Known dense scores only: a chunk found by its keywords alone (no dense score) is not judged here."""
    return e.dense_score is not None and best.dense_score is not None and e.dense_score < ratio * best.dense_score
