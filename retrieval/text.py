"""Retrieval-side text heuristics (required terms, overlap, quotable spans) on top of the kernel toolkit."""

from __future__ import annotations

import re

from grounded.text import STOPWORDS, content_words, sentence_spans, stems, words

__all__ = ["content_words", "missing_terms", "overlap", "quote_candidates", "required_terms", "row_as_sentence",
           "sentence_spans", "stems", "words"]

_NAME_OR_NUMBER = re.compile(r"(?<!^)(?<![.?!]\s)\b([A-Z][A-Za-z0-9-]+|[A-Za-z-]*\d[A-Za-z0-9.,/-]*)")


SCENARIO_WORDS = 14


def required_terms(question: str) -> set[str]:
    """Names and numbers in the question ('Tokyo', 'week 45', '2023'): evidence that lacks one of them talks
    about something else, however similar it sounds. In a long scenario question numbers describe the
    scenario ('at 23:00 on a Wednesday'), not the fact asked for, so there only names count."""
    scenario = len(words(question)) > SCENARIO_WORDS
    terms = set()
    for m in _NAME_OR_NUMBER.finditer(question.strip()):
        token = m.group(1).strip(".,").lower()
        if not token or token in STOPWORDS or (scenario and any(ch.isdigit() for ch in token)):
            continue
        terms.add(token)
    return terms


def missing_terms(terms: set[str], text: str) -> set[str]:
    present = set(words(text))
    prefixes = {w.split("-")[0] for w in present if "-" in w}
    return {t for t in terms if t not in present and t.replace(",", "") not in present and t not in prefixes}


def overlap(query_stems: set[str], text: str) -> float:
    """Share of the query's content stems that occur in `text`."""
    if not query_stems:
        return 0.0
    return len(query_stems & stems(text)) / len(query_stems)


def quote_candidates(text: str) -> list[tuple[int, int, str]]:
    """Quotable spans of a chunk as (start, end, text to score it by). A table row is scored together with the
    table's header row, so 'Oslo | NOK 1,850' matches a question about the hotel rate in Oslo; the header
    row itself is not a candidate."""
    out = []
    header: str | None = None
    for s, e in sentence_spans(text):
        span = text[s:e]
        if " | " in span:
            if header is None:
                header = span
                continue
            out.append((s, e, f"{header} {span}"))
        else:
            header = None
            out.append((s, e, span))
    return out


def row_as_sentence(header: str, row: str) -> str:
    """'City | Cap' + 'Oslo | NOK 1,850' -> 'City: Oslo; Cap: NOK 1,850'."""
    names, cells = header.split(" | "), row.split(" | ")
    if len(names) != len(cells):
        return row
    return "; ".join(f"{n}: {c}" for n, c in zip(names, cells))
