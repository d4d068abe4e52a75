"""Small text utilities shared by the gate, the extractive generator and the citation checker."""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z0-9]+(?:[.,'-][A-Za-z0-9]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])|\n+")

STOPWORDS = frozenset(
    """a an the and or but if of at by for with about against between into through during before after above
    below to from up down in out on off over under again further then once here there when where why how all any
    both each few more most other some such no nor not only own same so than too very can will just should now
    is are was were be been being have has had having do does did doing i me my we our you your he him his she
    her it its they them their what which who whom this that these those am would could may might must shall
    much many get got tell please know let us""".split()
)


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]


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


def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'approvals'/'approved' with 'approve'."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line in `text`, trimmed of surrounding whitespace."""
    spans = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


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
