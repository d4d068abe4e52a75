"""Verify a generated answer against the evidence it cites, sentence by sentence.

A sentence survives only if every `[n]` in it points at a block that was sent, at least one does, and a cited
block supports it: the numbers in the sentence all appear in the block, and enough of its content words do
(lexical support), or its best-matching block sentence is close in meaning (MiniLM cosine). Each citation's
quote is the best-matching sentence of the chunk: an exact span of the stored text. Markers are renumbered
1..n in order of first use, so the user never sees a gap or a marker that points nowhere.
"""

from __future__ import annotations

import re

import numpy as np
from pydantic import BaseModel

from grounded.contracts import AnswerSentence, Citation, Evidence, RemovedSentence
from grounded.embedder import Embedder
from grounded.retrieval.text import overlap, quote_candidates, stems

MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SENTENCE_END = re.compile(r"[.!?](?:\s*\[[\d,\s]+\])*(?=\s|$)|\](?=\s+[A-Z])|\n+")

MIN_LEXICAL_SUPPORT = 0.5
MIN_SEMANTIC_SUPPORT = 0.6


class Verified(BaseModel):
    text: str
    citations: list[Citation]
    sentences: list[AnswerSentence]
    removed: list[RemovedSentence]
    kept: int
    support: float


def split_sentences(answer: str) -> list[str]:
    """Sentences with the markers that follow their full stop ('... night. [1]' stays one sentence)."""
    out, start = [], 0
    for m in _SENTENCE_END.finditer(answer):
        out.append(answer[start : m.end()])
        start = m.end()
    out.append(answer[start:])
    return [s.strip() for s in out if s.strip()]


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


class CitationVerifier:
    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def verify(self, answer: str, blocks: dict[int, Evidence]) -> Verified:
        """`blocks` maps the marker the generator saw to the evidence behind it."""
        kept_sentences: list[str] = []
        sentences: list[AnswerSentence] = []
        removed: list[RemovedSentence] = []
        renumber: dict[int, int] = {}
        citations: list[Citation] = []
        supports: list[float] = []
        for sentence in split_sentences(answer):
            markers = [int(n) for group in MARKER.findall(sentence) for n in group.split(",")]
            bare = MARKER.sub("", sentence).strip()
            if not bare:
                continue
            valid = [m for m in dict.fromkeys(markers) if m in blocks]
            if not valid:
                why = "no citation" if not markers else f"cites [{', '.join(map(str, markers))}], which was not retrieved"
                removed.append(RemovedSentence(sentence=sentence, reason=why))
                continue
            supported = []
            for m in valid:
                ok, quote, score = self._support(bare, blocks[m])
                if ok:
                    supported.append((m, quote, score))
            if not supported:
                removed.append(
                    RemovedSentence(sentence=sentence, reason=f"not supported by cited evidence [{', '.join(map(str, valid))}]")
                )
                continue
            out_markers = []
            for m, quote, score in supported:
                if m not in renumber:
                    renumber[m] = len(renumber) + 1
                    c = blocks[m].chunk
                    citations.append(
                        Citation(
                            marker=renumber[m], chunk_id=c.chunk_id, doc_id=c.doc_id, source=c.source, title=c.title,
                            section=c.section, page=c.page, quote=quote, score=round(blocks[m].score, 6),
                        )
                    )
                out_markers.append(renumber[m])
                supports.append(score)
            sentences.append(AnswerSentence(text=bare, markers=sorted(set(out_markers))))
            kept_sentences.append(bare + " " + "".join(f"[{n}]" for n in sentences[-1].markers))
        return Verified(
            text=" ".join(kept_sentences),
            citations=citations,
            sentences=sentences,
            removed=removed,
            kept=len(kept_sentences),
            support=float(np.mean(supports)) if supports else 0.0,
        )

    def _support(self, sentence: str, evidence: Evidence) -> tuple[bool, str, float]:
        text = evidence.chunk.text
        s_stems = stems(sentence)
        candidates = quote_candidates(text) or [(0, len(text), text)]
        scored = sorted(((overlap(s_stems, scoring), s, e) for s, e, scoring in candidates), reverse=True)
        lex_best, qs, qe = scored[0]
        missing_numbers = _numbers(sentence) - _numbers(text)
        if missing_numbers:
            return False, text[qs:qe], 0.0
        lexical = overlap(s_stems, f"{evidence.chunk.title} {evidence.chunk.section} {text}")
        if lexical >= MIN_LEXICAL_SUPPORT:
            return True, text[qs:qe], lexical
        candidates = [(s, e) for _, s, e in scored[:5]]
        vecs = self._embedder.embed([sentence] + [text[s:e] for s, e in candidates])
        sims = vecs[1:] @ vecs[0]
        i = int(np.argmax(sims))
        if sims[i] >= MIN_SEMANTIC_SUPPORT:
            return True, text[candidates[i][0] : candidates[i][1]], float(sims[i])
        return False, text[qs:qe], float(max(lexical, sims[i]))


