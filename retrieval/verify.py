"""Verify a generated answer against the evidence blocks the generator was shown, sentence by sentence.

Each sentence is judged (retrieval/judge.py) against every block shown, the cited ones first: a sentence backed by
any shown block is kept and its markers point at the blocks that back it, even when the model cited another one.
A sentence no block backs is removed with the reason and the spans that lacked support. Each citation's quote is an
exact span of the chunk: the whole sentences that back the answer, also for a one-word answer. Markers are
renumbered 1..n in order of first use, so the user never sees a gap or a marker that points nowhere.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from pydantic import BaseModel, Field

from grounded.contracts import AnswerSentence, Citation, Evidence, RemovedSentence
from grounded.settings import Settings
from grounded.text import MARKER, markers, split_sentences, strip_markers
from grounded.retrieval.judge import Judge, JudgeThresholds, PartKind, ScoreKind

__all__ = ["MARKER", "CitationVerifier", "DraftSentence", "SentenceVerdict", "Verified", "draft_sentences",
           "split_sentences", "VERIFIER_THRESHOLDS"]

# An answer sentence is written from the blocks it was shown, so it should reuse their words: one content word in
# three missing ("The contractor produces the list" vs "The owner produces the list") already fails, and so does
# any name, number or date its window lacks. WiCE's Wikipedia sentences paraphrase their sources, hence the
# judge's calibrated defaults. The verifier reads plain coverage (the weakest clause's share of parts in its window).
VERIFIER_THRESHOLDS = JudgeThresholds(score=ScoreKind.COVERAGE, supported=0.75, uncertain_low=0.5, uncertain_high=0.75,
                                      veto=frozenset({PartKind.NAME, PartKind.NUMBER, PartKind.DATE}))


class DraftSentence(BaseModel):
    """One sentence of a draft answer: its text without markers and the blocks it cites."""

    text: str = Field(min_length=1)
    markers: list[int] = Field(default_factory=list, description="block numbers as shown to the generator")


class SentenceVerdict(BaseModel):
    sentence: str
    cited: list[int] = Field(description="the markers the generator wrote")
    supported: bool
    blocks: list[int] = Field(description="the shown blocks that back it (original numbering); empty if unsupported")
    quotes: dict[int, str] = Field(default_factory=dict, description="block -> exact span of that block's chunk")
    score: float
    unsupported: list[str] = Field(description="spans of the sentence no block backs")
    reason: str | None = None


class Verified(BaseModel):
    text: str
    citations: list[Citation]
    sentences: list[AnswerSentence] = Field(description="the kept sentences with their renumbered markers")
    removed: list[RemovedSentence]
    kept: int
    support: float
    verdicts: list[SentenceVerdict] = Field(default_factory=list, description="every sentence's verdict, in order")


def draft_sentences(answer: str) -> list[DraftSentence]:
    """Parse a generated answer: sentences (the project's one splitter) with the markers each carries."""
    out = []
    for sentence in split_sentences(answer):
        bare = strip_markers(sentence)
        if bare:
            out.append(DraftSentence(text=bare, markers=markers(sentence)))
    return out


class CitationVerifier:
    """`budget_s` bounds the time the judge's model (if it has one) may spend on one answer."""

    def __init__(self, judge: Judge | None = None, budget_s: float | None = None) -> None:
        self.judge = judge or Judge(VERIFIER_THRESHOLDS)
        self.budget_s = budget_s

    @classmethod
    def from_settings(cls, settings: Settings) -> "CitationVerifier":
        if not settings.verify.model_judge:
            return cls()
        from grounded.retrieval.judge_model import ModelJudge

        g = settings.generator
        model = ModelJudge(models_dir=settings.models_dir, kind=g.local_model, threads=g.local_threads)
        return cls(Judge(VERIFIER_THRESHOLDS, model=model), budget_s=settings.verify.budget_s)

    def close(self) -> None:
        self.judge.close()

    def check(
        self, sentences: list[DraftSentence], blocks: Mapping[int, Evidence], budget_s: float | None = None
    ) -> list[SentenceVerdict]:
        """One verdict per sentence, in order. `blocks` maps the marker the generator saw to the evidence behind
        it; `budget_s` (default: the verifier's) bounds the time the judge's model may spend on the whole answer."""
        budget_s = self.budget_s if budget_s is None else budget_s
        deadline = None if budget_s is None or self.judge.model is None else time.monotonic() + budget_s
        verdicts = []
        for s in sentences:
            order = [m for m in s.markers if m in blocks] + [m for m in blocks if m not in s.markers]
            if not order:
                verdicts.append(SentenceVerdict(sentence=s.text, cited=s.markers, supported=False, blocks=[],
                                                score=0.0, unsupported=[s.text], reason="no evidence was shown"))
                continue
            j = self.judge.judge(s.text, [blocks[m].chunk.text for m in order], deadline=deadline)
            backing = {order[e.passage]: e.quote for e in j.evidence} if j.supported else {}
            reason = None
            if not j.supported:
                missing = "; ".join(f'"{u}"' for u in j.unsupported[:3])
                dangling = [m for m in s.markers if m not in blocks]
                reason = (f"cites [{', '.join(map(str, dangling))}], which was not shown, and is " if dangling else "") + \
                    "not supported by the evidence shown" + (f" (missing: {missing})" if missing else "")
            verdicts.append(SentenceVerdict(sentence=s.text, cited=s.markers, supported=j.supported,
                                            blocks=list(backing), quotes=backing, score=j.score,
                                            unsupported=j.unsupported, reason=reason))
        return verdicts

    def verify(
        self, answer: str | list[DraftSentence], blocks: Mapping[int, Evidence], budget_s: float | None = None
    ) -> Verified:
        sentences = draft_sentences(answer) if isinstance(answer, str) else answer
        verdicts = self.check(sentences, blocks, budget_s)
        renumber: dict[int, int] = {}
        spans: dict[int, tuple[int, int]] = {}
        kept: list[AnswerSentence] = []
        removed = []
        for v in verdicts:
            if not v.supported:
                removed.append(RemovedSentence(sentence=v.sentence, reason=v.reason or "not supported"))
                continue
            for m, quote in v.quotes.items():
                renumber.setdefault(m, len(renumber) + 1)
                text = blocks[m].chunk.text
                start = text.find(quote)
                a, b = spans.get(m, (start, start + len(quote)))
                spans[m] = (min(a, start), max(b, start + len(quote)))
            kept.append(AnswerSentence(text=v.sentence, markers=sorted(renumber[m] for m in v.quotes)))
        citations = []
        for m, n in sorted(renumber.items(), key=lambda kv: kv[1]):
            c, (a, b) = blocks[m].chunk, spans[m]
            citations.append(Citation(marker=n, chunk_id=c.chunk_id, doc_id=c.doc_id, source=c.source, title=c.title,
                                      section=c.section, page=c.page, quote=c.text[a:b], score=round(blocks[m].score, 6)))
        scores = [v.score for v in verdicts if v.supported]
        text = " ".join(s.text + " " + "".join(f"[{n}]" for n in s.markers) for s in kept)
        return Verified(text=text, citations=citations, sentences=kept, removed=removed, kept=len(kept),
                        support=sum(scores) / len(scores) if scores else 0.0, verdicts=verdicts)
