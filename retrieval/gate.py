"""The sufficiency gate: decide from retrieval signals alone, before any generation cost is spent, whether the
evidence can answer the question (`proceed`), cannot (`no_answer`), or the question is too vague to pick one
reading of it (`clarify`). Thresholds live in settings and were tuned on SQuAD 2.0 (bench/gate_tuning.py)."""

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


class GateResult(BaseModel):
    decision: GateDecision
    best_dense: float = Field(description="highest cosine similarity among the evidence")
    lexical: float = Field(description="best share of the question's content words found in one evidence chunk")
    agreement: bool = Field(description="dense and BM25 put the same document first")
    confidence: float = Field(ge=0, le=1)
    reason: str
    options: list[str] = Field(default_factory=list, description="the readings offered when clarifying")


def _chunk_text(ev: Evidence) -> str:
    return f"{ev.chunk.title} {ev.chunk.section} {ev.chunk.text}"


def decide(question: str, evidence: list[Evidence], settings: GateSettings) -> GateResult:
    q_stems = stems(question)
    if not evidence:
        return GateResult(
            decision=GateDecision.NO_ANSWER, best_dense=0, lexical=0, agreement=False, confidence=0.0,
            reason="nothing was retrieved",
        )
    best_dense = max((e.dense_score or 0.0) for e in evidence)
    lexical = max(overlap(q_stems, _chunk_text(e)) for e in evidence[:3])
    top_dense = min((e for e in evidence if e.dense_rank), key=lambda e: e.dense_rank, default=None)
    top_sparse = min((e for e in evidence if e.sparse_rank), key=lambda e: e.sparse_rank, default=None)
    agreement = bool(top_dense and top_sparse and top_dense.chunk.doc_id == top_sparse.chunk.doc_id)
    confidence = round(min(1.0, max(0.0, 0.6 * best_dense + 0.4 * lexical + (0.1 if agreement else 0.0))), 3)
    signals = dict(best_dense=round(best_dense, 4), lexical=round(lexical, 4), agreement=agreement)

    if best_dense < settings.min_dense_score or lexical < settings.min_lexical_overlap:
        return GateResult(
            decision=GateDecision.NO_ANSWER, confidence=confidence, **signals,
            reason=f"evidence too weak (dense {best_dense:.2f} < {settings.min_dense_score} or "
            f"overlap {lexical:.2f} < {settings.min_lexical_overlap})",
        )
    missing = missing_terms(required_terms(question), " ".join(_chunk_text(e) for e in evidence))
    if missing:
        return GateResult(
            decision=GateDecision.NO_ANSWER, confidence=min(confidence, 0.3), **signals,
            reason=f"the evidence never mentions {', '.join(sorted(missing))}",
        )
    options = _readings(question, evidence)
    if len(options) >= 2:
        return GateResult(
            decision=GateDecision.CLARIFY, confidence=confidence, **signals, options=options,
            reason=f"short question matching {len(options)} different topics",
        )
    return GateResult(decision=GateDecision.PROCEED, confidence=confidence, **signals, reason="evidence sufficient")


def _readings(question: str, evidence: list[Evidence]) -> list[str]:
    """The distinct things a short, unqualified question could mean, when the evidence shows more than one:
    variants of a name ('HX' -> HX-200, HX-200L), unnamed rows of a matching table ('the hotel cap' -> one
    per city), or topics in different documents that match about equally well ('the deadline')."""
    if len(content_words(question)) > VAGUE_MAX_CONTENT_WORDS:
        return []
    q_words = set(content_words(question))
    q_stems = stems(question)
    top = evidence[:4]
    for word in q_words:
        pattern = re.compile(rf"\b{re.escape(word)}(?:-[a-z0-9]+)+\b", re.IGNORECASE)
        variants = {m.group(0).upper() for e in top[:3] for m in pattern.finditer(e.chunk.text)}
        if len(variants) >= 2 and not variants & {w.upper() for w in q_words}:
            return sorted(variants)
    for e in top[:3]:
        rows = [r for r in e.chunk.text.splitlines() if " | " in r]
        if len(rows) >= 4 and (stems(rows[0]) | stems(e.chunk.section)) & q_stems:
            labels = [r.split(" | ")[0].strip() for r in rows[1:]]
            if not any(stems(label) & q_stems for label in labels):
                return labels[:6]
    best_by_doc: dict[str, Evidence] = {}
    for e in evidence:
        if e.dense_score is not None and e.chunk.doc_id not in best_by_doc:
            best_by_doc[e.chunk.doc_id] = e
    ranked = sorted(best_by_doc.values(), key=lambda e: -(e.dense_score or 0))
    if len(ranked) >= 2 and (ranked[0].dense_score or 0) - (ranked[1].dense_score or 0) <= AMBIGUITY_MARGIN:
        topics = list(dict.fromkeys(_topic(e) for e in ranked[:2]))
        return topics if len(topics) >= 2 else []
    return []


def _topic(e: Evidence) -> str:
    section = e.chunk.section.split(" > ")[-1] if e.chunk.section else e.chunk.title
    return re.sub(r"^[\d.]+\s+", "", section) + f" ({e.chunk.title})"
