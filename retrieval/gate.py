"""The sufficiency gate: decide from retrieval signals alone, before any generation cost is spent, whether the
evidence can answer the question (`proceed`), cannot (`no_answer`), or the question is too vague to pick one
reading of it (`clarify`). `signals()` measures, `decide()` applies the thresholds (settings, tuned on SQuAD 2.0 by
bench/gate_tuning.py, which calls these same two functions)."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, Field

from grounded.contracts import Evidence
from grounded.settings import GateSettings
from grounded.retrieval.text import content_words, missing_terms, overlap, required_terms, stems

VAGUE_MAX_CONTENT_WORDS = 3
AMBIGUITY_MARGIN = 0.15


class GateDecision(StrEnum):
    PROCEED = "proceed"
    NO_ANSWER = "no_answer"
    CLARIFY = "clarify"


class GateSignals(BaseModel):
    """What the gate looks at, computed once per question (benches sweep thresholds over these)."""

    retrieved: int = Field(description="how many chunks were retrieved")
    best_dense: float = Field(description="highest cosine similarity among the evidence")
    lexical: float = Field(description="best share of the question's content words found in one evidence chunk")
    agreement: bool = Field(description="dense and BM25 put the same document first")
    missing_terms: list[str] = Field(description="names and numbers of the question that no evidence mentions")
    readings: list[str] = Field(description="distinct readings of a short, vague question")


class GateVerdict(BaseModel):
    """The gate's decision with the signals behind it."""

    decision: GateDecision
    signals: GateSignals
    confidence: float = Field(ge=0, le=1)
    uncertain: bool = Field(default=False, description="proceeding in the band where only a model that judges "
                            "the evidence should answer")
    reason: str
    options: list[str] = Field(default_factory=list, description="the readings offered when clarifying")


def _chunk_text(ev: Evidence) -> str:
    return f"{ev.chunk.title} {ev.chunk.section} {ev.chunk.text}"


def signals(question: str, evidence: list[Evidence]) -> GateSignals:
    if not evidence:
        return GateSignals(retrieved=0, best_dense=0, lexical=0, agreement=False, missing_terms=[], readings=[])
    q_stems = stems(question)
    top_dense = min((e for e in evidence if e.dense_rank), key=lambda e: e.dense_rank, default=None)
    top_sparse = min((e for e in evidence if e.sparse_rank), key=lambda e: e.sparse_rank, default=None)
    return GateSignals(
        retrieved=len(evidence),
        best_dense=round(max((e.dense_score or 0.0) for e in evidence), 4),
        lexical=round(max(overlap(q_stems, _chunk_text(e)) for e in evidence[:3]), 4),
        agreement=bool(top_dense and top_sparse and top_dense.chunk.doc_id == top_sparse.chunk.doc_id),
        missing_terms=sorted(missing_terms(required_terms(question), " ".join(_chunk_text(e) for e in evidence))),
        readings=_readings(question, evidence),
    )


def decide(sig: GateSignals, settings: GateSettings) -> GateVerdict:
    """Reject only where the evidence clearly cannot answer; anything in between goes to the generator."""
    confidence = round(min(1.0, max(0.0, 0.6 * sig.best_dense + 0.4 * sig.lexical + (0.1 * sig.agreement))), 3)
    if not sig.retrieved:
        return GateVerdict(decision=GateDecision.NO_ANSWER, signals=sig, confidence=0.0, reason="nothing was retrieved")
    if sig.best_dense < settings.min_dense_score or sig.lexical < settings.min_lexical_overlap:
        return GateVerdict(
            decision=GateDecision.NO_ANSWER, signals=sig, confidence=confidence,
            reason=f"evidence too weak (dense {sig.best_dense:.2f} < {settings.min_dense_score} or "
            f"overlap {sig.lexical:.2f} < {settings.min_lexical_overlap})",
        )
    if sig.missing_terms:
        return GateVerdict(
            decision=GateDecision.NO_ANSWER, signals=sig, confidence=min(confidence, 0.3),
            reason=f"the evidence never mentions {', '.join(sig.missing_terms)}",
        )
    if len(sig.readings) >= 2:
        return GateVerdict(
            decision=GateDecision.CLARIFY, signals=sig, confidence=confidence, options=sig.readings,
            reason=f"short question matching {len(sig.readings)} different topics",
        )
    if sig.best_dense < settings.confident_dense_score:
        return GateVerdict(
            decision=GateDecision.PROCEED, signals=sig, confidence=confidence, uncertain=True,
            reason=f"evidence uncertain (dense {sig.best_dense:.2f} < {settings.confident_dense_score}): the model decides",
        )
    return GateVerdict(decision=GateDecision.PROCEED, signals=sig, confidence=confidence, reason="evidence sufficient")


def _readings(question: str, evidence: list[Evidence]) -> list[str]:
    """The distinct things a short, unqualified question could mean, when the evidence shows more than one. A
    question that names something (a name, code or number) is vague only about which variant of that name it means
    ('the HX' -> HX-200, HX-200L); one that names nothing may mean any row of a matching table ('the hotel cap')
    or any of two topics that match about equally well ('the deadline'). Measured on SQuAD 2.0, whose questions are
    never vague: without these limits 59 of its short questions were sent back for clarification
    (docs/results.md, issue 8, eighth round)."""
    if len(content_words(question)) > VAGUE_MAX_CONTENT_WORDS:
        return []
    named = required_terms(question)
    if named:
        return _coded_variants(named, evidence[:3])
    q_stems = stems(question)
    return _table_rows(q_stems, evidence[:3]) or _topics(q_stems, evidence)


def _coded_variants(named: set[str], evidence: list[Evidence]) -> list[str]:
    """Product codes that extend a name of the question ('HX' -> HX-200, HX-200L), when it names none of them.
    Only codes with a digit after the name: 'HX-200' is one, 'Norman-derived' is not."""
    for word in named:
        pattern = re.compile(rf"\b{re.escape(word)}(?:-[a-z0-9]+)+\b", re.IGNORECASE)
        variants = {
            m.group(0).upper() for e in evidence for m in pattern.finditer(e.chunk.text)
            if any(ch.isdigit() for ch in m.group(0)[len(word):])
        }
        if len(variants) >= 2 and not variants & {w.upper() for w in named}:
            return sorted(variants)
    return []


def _table_rows(q_stems: set[str], evidence: list[Evidence]) -> list[str]:
    """The row labels of a table whose header or section matches the question, when the question names no row."""
    for e in evidence:
        rows = [r for r in e.chunk.text.splitlines() if " | " in r]
        if len(rows) >= 4 and (stems(rows[0]) | stems(e.chunk.section)) & q_stems:
            labels = [r.split(" | ")[0].strip() for r in rows[1:]]
            if not any(stems(label) & q_stems for label in labels):
                return labels[:6]
    return []


def _topics(q_stems: set[str], evidence: list[Evidence]) -> list[str]:
    """The two best documents' topics, when they match about equally well and the best holds every word of the
    question (documents that each hold some of its words are not readings of it: 'the favourite colour' is not
    about the colour printers)."""
    best_by_doc: dict[str, Evidence] = {}
    for e in evidence:
        if e.dense_score is not None and e.chunk.doc_id not in best_by_doc:
            best_by_doc[e.chunk.doc_id] = e
    ranked = sorted(best_by_doc.values(), key=lambda e: -(e.dense_score or 0))[:2]
    if (
        len(ranked) == 2 and (ranked[0].dense_score or 0) - (ranked[1].dense_score or 0) <= AMBIGUITY_MARGIN
        and overlap(q_stems, _chunk_text(ranked[0])) == 1
    ):
        topics = list(dict.fromkeys(_topic(e) for e in ranked))
        return topics if len(topics) >= 2 else []
    return []


def _topic(e: Evidence) -> str:
    section = e.chunk.section.split(" > ")[-1] if e.chunk.section else e.chunk.title
    return re.sub(r"^[\d.]+\s+", "", section) + f" ({e.chunk.title})"
