"""The support judge: does this set of passages back every part of this claim? Used by the answer pipeline's
verifier, by the eval suite's citation metrics and by `grounded verify` / `POST /v1/verify`.

Cheap path (pure text, ~1 ms): the claim is cut into clauses, and each clause's words, numbers, dates and names are
looked up in a window of up to `WINDOW` consecutive sentences of one passage, not in the passage as a whole, so a
claim whose main assertion is in the source but one detail is not (a partial support) fails on that detail.
Numbers and dates are normalised first ('June 08' = 'June 8', '1,850' = '1850', 'two' = '2'), irregular forms
lemmatised ('won' = 'win'). A window grows into a neighbouring sentence only when that sentence backs a part worth
`MIN_GAIN` (a name, number or date, or two words) the rest does not: one shared common word is coincidence, and
the quote — the window itself — then carries only sentences that back the claim. A number or name of the claim
missing from its clause's window is never overlooked: it is reported as an unsupported span.
The score is either the weakest clause's coverage (`ScoreKind.COVERAGE`: the answer verifier, whose sentences are
written from the blocks) or P(supported) from a logistic regression over the coverage features, fitted on WiCE
dev's first half (`ScoreKind.CALIBRATED`: paraphrased claims; retrieval/judge_calibration.py).
Where the score falls in an uncertain band, an optional `ModelJudge` (the local LLM, yes/no with its
probability) decides, within a time budget.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Protocol

from pydantic import BaseModel, Field

from grounded.retrieval.judge_calibration import CALIBRATION, Calibration
from grounded.retrieval.lexicon import root, specificity
from grounded.retrieval.text import quote_candidates
from grounded.text import STOPWORDS, month_spans, number_spans

WINDOW = 3  # sentences; on WiCE dev's first half 2 and 3 did alike (balanced acc. 0.775 / 0.768), 1 and 4-5 worse
MIN_GAIN = 2.0  # weight a neighbouring sentence must add to join a window (a name, a date, a number or two words)


class PartKind(StrEnum):
    WORD = "word"
    NAME = "name"
    NUMBER = "number"
    DATE = "date"


WEIGHTS = {PartKind.WORD: 1.0, PartKind.NAME: 2.0, PartKind.NUMBER: 3.0, PartKind.DATE: 2.0}
HARD = (PartKind.NAME, PartKind.NUMBER, PartKind.DATE)


class ScoreKind(StrEnum):
    COVERAGE = "coverage"
    CALIBRATED = "calibrated"


class JudgeMethod(StrEnum):
    CHEAP = "cheap"
    MODEL = "model"


class ClaimCheck(BaseModel):
    """One request to the judge (`grounded verify`, `POST /v1/verify`)."""

    claim: str = Field(min_length=1, max_length=4000)
    passages: list[Annotated[str, Field(max_length=20_000)]] = Field(
        max_length=50, description="the sources the claim is checked against")


class EvidenceQuote(BaseModel):
    passage: int = Field(ge=0, description="index of the passage in the request")
    quote: str = Field(description="an exact span of that passage: the whole sentences that back the claim")


class ClaimVerdict(BaseModel):
    supported: bool
    score: float = Field(ge=0.0, le=1.0, description="support score; the model's P(yes) when it decided")
    evidence: list[EvidenceQuote]
    unsupported: list[str] = Field(description="spans of the claim no window of the passages backs")


class Judgement(ClaimVerdict):
    """A verdict with how it was reached."""

    method: JudgeMethod
    cheap_score: float = Field(ge=0.0, le=1.0)


class JudgeThresholds(BaseModel):
    """Defaults: the calibrated P(supported) fitted on the first half of WiCE dev (bench/wice.py), the uncertain band
    around its 0.5 cut fixed beforehand; see docs/results.md, issue 11."""

    score: ScoreKind = Field(default=ScoreKind.CALIBRATED, description="what the score (and these thresholds) read")
    supported: float = Field(default=0.5, description="score at or above which a claim is supported")
    uncertain_low: float = Field(default=0.3, description="scores in [uncertain_low, uncertain_high) go to the model")
    uncertain_high: float = Field(default=0.7)
    model_yes: float = Field(default=0.5, description="P(yes) at or above which the model's verdict is supported")
    veto: frozenset[PartKind] = Field(default=frozenset({PartKind.NUMBER, PartKind.DATE}), description="kinds of "
                                      "part that, missing from their clause's window, make the claim unsupported")


class SupportModel(Protocol):
    """A last-step judge: P(the passages support the claim)."""

    def p_yes(self, claim: str, evidence: list[str], timeout_s: float) -> float | None: ...

    def close(self) -> None: ...


# -- claim and passage parts ------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_CLAUSE_BREAK = re.compile(
    r"\s*[;:()\u2013\u2014]\s*|,\s+|\s+(?:and|but|while|whereas|which|who|whom|where|although|though|including|as well as)\s+",
    re.IGNORECASE,
)
_MIN_CLAUSE_WEIGHT = 3.0


@dataclass(frozen=True)
class Part:
    """One atomic piece of a claim: a content word, a name, a number or a month, with its span in the claim."""

    key: str
    kind: PartKind
    start: int
    end: int

    @property
    def weight(self) -> float:
        return WEIGHTS[self.kind]


def _keys(text: str) -> list[Part]:
    """The comparable parts of `text`: numbers and months normalised, other content words lemmatised and stemmed."""
    parts: list[Part] = []
    taken: list[tuple[int, int]] = []
    for s, e, v in number_spans(text):
        parts.append(Part(v, PartKind.NUMBER, s, e))
        taken.append((s, e))
    for s, e, v in month_spans(text):
        parts.append(Part(v, PartKind.DATE, s, e))
        taken.append((s, e))
    for m in _TOKEN.finditer(text):
        s, e = m.span()
        if any(a <= s < b for a, b in taken):
            continue
        word = m.group(0)
        low = word.lower().replace("’", "'")
        if low in STOPWORDS or len(low) < 2 or low.isdigit():
            continue
        low = low[:-2] if low.endswith("'s") else low
        kind = PartKind.NAME if word[0].isupper() and s > 0 else PartKind.WORD
        parts.append(Part(root(low), kind, s, e))
    return sorted(parts, key=lambda p: p.start)


def _clauses(claim: str, parts: list[Part]) -> list[list[Part]]:
    """Parts grouped by clause; a clause lighter than _MIN_CLAUSE_WEIGHT joins its neighbour."""
    bounds = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(claim)] + [len(claim) + 1]
    groups = [[p for p in parts if a <= p.start < b] for a, b in zip(bounds, bounds[1:])]
    groups = [g for g in groups if g]
    merged: list[list[Part]] = []
    for g in groups:
        if merged and sum(p.weight for p in merged[-1]) < _MIN_CLAUSE_WEIGHT:
            merged[-1] = merged[-1] + g
        else:
            merged.append(g)
    if len(merged) > 1 and sum(p.weight for p in merged[-1]) < _MIN_CLAUSE_WEIGHT:
        last = merged.pop()
        merged[-1] = merged[-1] + last
    return merged


@dataclass
class _Window:
    passage: int
    first: int  # sentence indexes, inclusive
    last: int
    start: int  # character span in the passage
    end: int
    keys: frozenset[str]


@lru_cache(maxsize=256)
def _sentence_keys(text: str) -> tuple[tuple[tuple[int, int], ...], tuple[frozenset[str], ...]]:
    """A passage's sentence spans and each sentence's comparable keys (cached: an answer's sentences all read the
    same few blocks). A table row is read with its table's header row ('Oslo | NOK 1,850' under 'City | Cap'), as
    the extractive generator and the quotes do."""
    units = quote_candidates(text)
    return tuple((s, e) for s, e, _ in units), tuple(frozenset(p.key for p in _keys(scored)) for _, _, scored in units)


def _windows(passages: list[str], size: int = WINDOW) -> list[_Window]:
    """Every run of 1..`size` consecutive sentences of each passage."""
    out = []
    for i, text in enumerate(passages):
        spans, sentence_keys = _sentence_keys(text)
        for a in range(len(spans)):
            keys: frozenset[str] = frozenset()
            for b in range(a, min(a + size, len(spans))):
                keys = keys | sentence_keys[b]
                out.append(_Window(i, a, b, spans[a][0], spans[b][1], keys))
    return out


def _gain(parts: list[Part], sentence: frozenset[str], rest: frozenset[str]) -> float:
    """Weight of the parts only `sentence` backs, not the `rest` of its window."""
    return sum(p.weight for p in parts if p.key in sentence and p.key not in rest)


def _earns_its_ends(w: _Window, parts: list[Part], passages: list[str], min_gain: float) -> bool:
    """Does each end sentence of the window back parts worth `min_gain` that the other sentences do not?"""
    if w.first == w.last:
        return True
    keys = _sentence_keys(passages[w.passage])[1]
    inner = frozenset().union(*keys[w.first + 1 : w.last]) if w.last > w.first + 1 else frozenset()
    return (_gain(parts, keys[w.first], inner | keys[w.last]) >= min_gain
            and _gain(parts, keys[w.last], inner | keys[w.first]) >= min_gain)


def _lowercase_in(word: str, passages: list[str]) -> bool:
    pattern = re.compile(r"\b" + re.escape(word.lower()) + r"\b")
    return any(pattern.search(p) for p in passages)


# -- the judge --------------------------------------------------------------------------------------------------


@dataclass
class ClauseSupport:
    parts: list[Part]
    window: _Window | None
    coverage: float
    missing: list[Part]


@dataclass
class Analysis:
    """What the cheap path found: each clause's best window, and what the passages hold anywhere."""

    claim: str
    clauses: list[ClauseSupport]
    anywhere: frozenset[str]  # every key of every passage
    one_window: float  # coverage of the whole claim by its single best window


def _coverage(parts: list[Part], keys: frozenset[str]) -> float:
    total = sum(p.weight for p in parts)
    return round(sum(p.weight for p in parts if p.key in keys) / total, 9) if total else 0.0


def analyse(claim: str, passages: list[str], min_gain: float = MIN_GAIN) -> Analysis:
    """Each clause of `claim` with the window that backs most of it."""
    windows = _windows(passages)
    parts = _keys(claim)
    if parts and parts[0].start == 0 and claim[:1].isupper() and not _lowercase_in(claim[: parts[0].end], passages):
        parts[0] = Part(parts[0].key, PartKind.NAME, parts[0].start, parts[0].end)  # 'Anna sold ...', not 'Expense reports'
    out = []
    used: set[int] = set()
    for clause in _clauses(claim, parts):
        best, best_rank = None, None
        for w in windows:  # most coverage, then a passage already backing the claim, then earlier passages, then short
            cov = _coverage(clause, w.keys)
            rank = (cov, w.passage in used, -w.passage, w.start - w.end)
            if (best_rank is None or rank > best_rank) and _earns_its_ends(w, clause, passages, min_gain):
                best, best_rank = w, rank
        best_cov = best_rank[0] if best_rank else 0.0
        if best is not None and best_cov > 0:
            used.add(best.passage)
        missing = [p for p in clause if best is None or p.key not in best.keys]
        out.append(ClauseSupport(clause, best, max(best_cov, 0.0), missing))
    anywhere = frozenset().union(*(k for text in passages for k in _sentence_keys(text)[1]))
    one_window = max((_coverage(parts, w.keys) for w in windows), default=0.0)
    return Analysis(claim, out, anywhere, one_window)


def clause_support(claim: str, passages: list[str]) -> list[ClauseSupport]:
    return analyse(claim, passages).clauses


def cheap_score(clauses: list[ClauseSupport]) -> float:
    """The weakest clause's coverage, lowered by 0.1 for each name, number or date missing from its clause's window."""
    if not clauses:
        return 0.0
    hard_missing = sum(1 for c in clauses for p in c.missing if p.kind in HARD)
    return max(0.0, min(c.coverage for c in clauses) - 0.1 * hard_missing)


_STOPWORD = re.compile(r"\b(?:" + "|".join(sorted(STOPWORDS)) + r")\b")


def vetoed(clauses: list[ClauseSupport], kinds: frozenset[PartKind]) -> bool:
    """Is a part of one of these kinds missing from its clause's window (a wrong year, a wrong amount)?"""
    return any(p.kind in kinds for c in clauses for p in c.missing)


def missing_runs(claim: str, clauses: list[ClauseSupport]) -> list[list[Part]]:
    """The claim's missing parts in runs, joined when only stopwords and punctuation lie between them."""
    missing = sorted((p for c in clauses for p in c.missing), key=lambda p: p.start)
    runs: list[list[Part]] = []
    for p in missing:
        if runs and not _TOKEN.search(_STOPWORD.sub("", claim[runs[-1][-1].end : p.start].lower())):
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


def _unsupported_spans(claim: str, clauses: list[ClauseSupport]) -> list[str]:
    return [claim[run[0].start : run[-1].end] for run in missing_runs(claim, clauses)]


def part_specificity(claim: str, part: Part) -> float:
    """How much a part of the claim says: 1 for numbers and dates, the word's specificity otherwise."""
    return 1.0 if part.kind in (PartKind.NUMBER, PartKind.DATE) else specificity(claim[part.start : part.end])


def features(a: Analysis) -> list[float]:
    """The calibration's inputs, in the order of judge_calibration.FEATURES."""
    parts = [p for c in a.clauses for p in c.parts]
    missing = [p for c in a.clauses for p in c.missing]
    nowhere = [p for p in parts if p.key not in a.anywhere]
    weight = sum(p.weight for p in parts)
    coverage = [c.coverage for c in a.clauses] or [0.0]
    sizes = [sum(p.weight for p in c.parts) for c in a.clauses] or [1.0]
    return [
        min(coverage),
        sum(c * s for c, s in zip(coverage, sizes)) / max(sum(sizes), 1e-9),
        a.one_window,
        float(sum(p.kind in HARD for p in missing)),
        float(sum(p.kind in HARD for p in nowhere)),
        sum(part_specificity(a.claim, p) for p in missing),
        sum(part_specificity(a.claim, p) for p in nowhere),
        max((sum(part_specificity(a.claim, p) for p in run) for run in missing_runs(a.claim, a.clauses)), default=0.0),
        float(len(a.clauses)),
        math.log1p(weight),
    ]


def probability(a: Analysis, calibration: Calibration = CALIBRATION) -> float:
    """P(supported) from the calibration fitted on WiCE dev's first half."""
    if all(c.window is None for c in a.clauses):  # no passage, or nothing in them: nothing backs the claim
        return 0.0
    return calibration.probability(features(a))


class Judge:
    """Cheap text checks first; an optional model decides the uncertain band while `deadline` (time.monotonic())
    has not passed (past it a claim keeps its cheap verdict)."""

    def __init__(self, thresholds: JudgeThresholds | None = None, model: SupportModel | None = None) -> None:
        self.thresholds = thresholds or JudgeThresholds()
        self.model = model

    def score(self, analysis: Analysis) -> float:
        if self.thresholds.score is ScoreKind.COVERAGE:
            return cheap_score(analysis.clauses)
        return probability(analysis)

    def judge(self, claim: str, passages: list[str], *, deadline: float | None = None) -> Judgement:
        t = self.thresholds
        analysis = analyse(claim, passages)
        clauses = analysis.clauses
        score = self.score(analysis)
        seen: set[tuple[int, int, int]] = set()
        evidence = []
        for c in clauses:
            w = c.window
            if w is not None and c.coverage > 0 and (w.passage, w.start, w.end) not in seen:
                seen.add((w.passage, w.start, w.end))
                evidence.append(EvidenceQuote(passage=w.passage, quote=passages[w.passage][w.start : w.end]))
        unsupported = _unsupported_spans(claim, clauses)
        veto = vetoed(clauses, t.veto)
        verdict = Judgement(supported=score >= t.supported and not veto, score=round(score, 4), evidence=evidence,
                            unsupported=unsupported, method=JudgeMethod.CHEAP, cheap_score=round(score, 4))
        if self.model is not None and not veto and t.uncertain_low <= score < t.uncertain_high and evidence:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is None or remaining > 0:
                p = self.model.p_yes(claim, [e.quote for e in evidence], timeout_s=remaining or 60.0)
                if p is not None:
                    verdict.supported, verdict.score, verdict.method = p >= t.model_yes, round(p, 4), JudgeMethod.MODEL
                    if verdict.supported:
                        verdict.unsupported = []
        return verdict

    def close(self) -> None:
        if self.model is not None:
            self.model.close()
