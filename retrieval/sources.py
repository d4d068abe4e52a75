"""What the generator is shown: the top chunks, each cut to the window of sentences that best matches the
question. Every excerpt is an exact substring of its chunk, so quotes stay verifiable."""

from __future__ import annotations

from grounded.contracts import Evidence
from grounded.retrieval.generators.base import ShownSource
from grounded.retrieval.text import overlap, sentence_spans, stems

EXCERPT_CHARS = 450
MAX_SOURCES = 3


def excerpt(question: str, text: str, limit: int = EXCERPT_CHARS) -> str:
    """The part of a chunk worth sending: whole if short or a table, else the window around its best sentence."""
    if len(text) <= limit or " | " in text:
        return text[: limit * 2]
    q = stems(question)
    spans = sentence_spans(text)
    best = max(range(len(spans)), key=lambda i: overlap(q, text[spans[i][0] : spans[i][1]]))
    lo = hi = best
    while True:
        grown = False
        if lo > 0 and spans[hi][1] - spans[lo - 1][0] <= limit:
            lo, grown = lo - 1, True
        if hi + 1 < len(spans) and spans[hi + 1][1] - spans[lo][0] <= limit:
            hi, grown = hi + 1, True
        if not grown:
            break
    return text[spans[lo][0] : spans[hi][1]]


def show_sources(
    question: str, evidence: list[Evidence], max_sources: int = MAX_SOURCES, excerpt_chars: int = EXCERPT_CHARS
) -> list[ShownSource]:
    return [
        ShownSource(marker=i, evidence=e, excerpt=excerpt(question, e.chunk.text, excerpt_chars))
        for i, e in enumerate(evidence[:max_sources], start=1)
    ]
