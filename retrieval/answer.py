"""The one orchestrator the CLI, the API and the evals all call:
policy -> search -> gate -> generate (with fallback) -> verify -> Answer -> trace.

Every answer, streamed or not, goes through `_run`, which yields events; `ask` keeps only the final one.
"""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from typing import Iterator

from pydantic import BaseModel, Field

from grounded.contracts import Answer, AnswerStatus, Evidence, TraceRecord, Usage, Versions
from grounded.traces import TraceStore
from grounded.store import SearchFilter
from grounded.retrieval.events import (
    CitationEvent,
    EvidenceSummary,
    FinalEvent,
    RetrievalEvent,
    StreamEvent,
    TokenEvent,
)
from grounded.retrieval.gate import GateDecision, GateResult, decide
from grounded.retrieval.generators.base import ChatTurn, EvidenceBlock, Generation, GenerationRequest, Generator, GeneratorError
from grounded.retrieval.policy import refusal_reason
from grounded.retrieval.prompts import NO_ANSWER, PROMPT_VERSION
from grounded.retrieval.search import Searcher
from grounded.retrieval.text import overlap, sentence_spans, stems
from grounded.retrieval.untrusted import check_answer
from grounded.retrieval.verify import CitationVerifier

EXCERPT_CHARS = 450
MAX_BLOCKS = 3


class AskRequest(BaseModel):
    collection: str
    question: str = Field(min_length=1, max_length=4000)
    history: list[ChatTurn] = Field(default_factory=list)
    filters: SearchFilter | None = None
    top_k: int | None = Field(default=None, ge=1, le=50)
    allowed_collections: frozenset[str] | None = Field(default=None, description="the caller's grant; None = all")


class _Timer:
    def __init__(self) -> None:
        self.ms: dict[str, float] = {}

    @contextmanager
    def step(self, name: str):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.ms[name] = round((time.perf_counter() - t) * 1000, 2)


def excerpt(question: str, text: str, limit: int = EXCERPT_CHARS) -> str:
    """The part of a chunk worth sending: whole if short or a table, else the window around its best sentence.
    Always an exact substring of the chunk, so quotes stay verifiable."""
    if len(text) <= limit or " | " in text:
        return text[: max(limit * 2, limit)]
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


class AnswerService:
    def __init__(
        self,
        searcher: Searcher,
        generator: Generator,
        fallback: Generator,
        verifier: CitationVerifier,
        traces: TraceStore,
        gate_settings,
        embedder_name: str,
        max_tokens: int = 256,
    ) -> None:
        self.searcher, self.generator, self.fallback = searcher, generator, fallback
        self.verifier, self.traces, self.gate_settings = verifier, traces, gate_settings
        self.embedder_name = embedder_name
        self.max_tokens = max_tokens

    def ask(self, request: AskRequest) -> Answer:
        final = None
        for event in self.stream(request, tokens=False):
            if isinstance(event, FinalEvent):
                final = event.answer
        assert final is not None
        return final

    def stream(self, request: AskRequest, tokens: bool = True) -> Iterator[StreamEvent]:
        trace_id = uuid.uuid4().hex
        timer = _Timer()
        started = time.perf_counter()
        trace = dict(trace_id=trace_id, collection=request.collection, question=request.question)

        refusal = refusal_reason(request.question)
        if refusal:
            answer = self._answer(trace_id, AnswerStatus.REFUSED, None, 1.0, timer, started, missing=refusal)
            yield from self._finish(answer, trace)
            return

        with timer.step("retrieve"):
            evidence = self.searcher.search(
                request.collection, request.question, request.filters, request.top_k, request.allowed_collections
            )
        trace["retrieved"] = [
            dict(chunk_id=e.chunk.chunk_id, doc_id=e.chunk.doc_id, score=e.score, dense_score=e.dense_score,
                 sparse_score=e.sparse_score, dense_rank=e.dense_rank, sparse_rank=e.sparse_rank)
            for e in evidence
        ]
        yield RetrievalEvent(evidence=[_summary(e) for e in evidence])

        with timer.step("gate"):
            gate = decide(request.question, evidence, self.gate_settings)
        trace["gate"] = gate.model_dump(mode="json")
        if gate.decision is GateDecision.NO_ANSWER:
            answer = self._answer(
                trace_id, AnswerStatus.NO_ANSWER, None, gate.confidence, timer, started,
                missing=f"The documents in '{request.collection}' do not appear to cover this question.",
            )
            yield from self._finish(answer, trace)
            return
        if gate.decision is GateDecision.CLARIFY:
            answer = self._answer(
                trace_id, AnswerStatus.NEEDS_CLARIFICATION, None, gate.confidence, timer, started,
                followup=_followup(gate),
            )
            yield from self._finish(answer, trace)
            return

        blocks = {i: e for i, e in enumerate(evidence[:MAX_BLOCKS], start=1)}
        gen_request = GenerationRequest(
            question=request.question,
            history=request.history,
            max_tokens=self.max_tokens,
            evidence=[
                EvidenceBlock(marker=i, title=e.chunk.title, section=e.chunk.section,
                              text=excerpt(request.question, e.chunk.text))
                for i, e in blocks.items()
            ],
        )
        generator, fallback_reason = self.generator, None
        with timer.step("generate"):
            try:
                generation = yield from self._generate(generator, gen_request, tokens)
            except GeneratorError as exc:
                generator, fallback_reason = self.fallback, str(exc)[:300]
                generation = self.fallback.generate(gen_request)
        trace["raw_output"] = generation.text

        with timer.step("verify"):
            verified = None
            if not _is_no_answer(generation.text):
                verified = self.verifier.verify(generation.text, blocks)
                if verified.kept == 0 and generator is not self.fallback:
                    fallback_reason = "generator output failed citation verification"
                    trace["removed"] = [r.model_dump() for r in verified.removed]
                    generator, generation = self.fallback, self.fallback.generate(gen_request)
                    verified = None if _is_no_answer(generation.text) else self.verifier.verify(generation.text, blocks)
        usage = Usage(prompt_tokens=generation.prompt_tokens, completion_tokens=generation.completion_tokens)
        withheld = None
        if verified is not None and verified.kept:  # untrusted evidence: flag citations, withhold obeyed injections
            check = check_answer(request.question, verified.text, verified.citations, blocks)
            withheld, verified.citations = check.withheld, check.citations
        if verified is None or verified.kept == 0 or withheld:
            answer = self._answer(
                trace_id, AnswerStatus.NO_ANSWER, None, gate.confidence * 0.5, timer, started, generator=generator,
                usage=usage, fallback=fallback_reason,
                missing=withheld or "The retrieved passages do not state the answer to this question.",
            )
        else:
            status = AnswerStatus.PARTIAL if verified.removed else AnswerStatus.ANSWERED
            confidence = round(min(1.0, 0.5 * gate.confidence + 0.5 * min(1.0, verified.support)), 3)
            answer = self._answer(
                trace_id, status, verified.text, confidence, timer, started, generator=generator, usage=usage,
                fallback=fallback_reason, citations=verified.citations,
                missing="Part of the generated answer was not supported by the documents and was removed."
                if verified.removed else None,
            )
            trace["removed"] = trace.get("removed", []) + [r.model_dump() for r in verified.removed]
            for c in verified.citations:
                yield CitationEvent(citation=c)
        yield from self._finish(answer, trace)

    def _generate(self, generator: Generator, request: GenerationRequest, tokens: bool):
        if not tokens:
            return generator.generate(request)
        generation = None
        for item in generator.stream(request):
            if isinstance(item, Generation):
                generation = item
            else:
                yield TokenEvent(text=item)
        if generation is None:
            raise GeneratorError("stream ended without a result")
        return generation

    def _answer(
        self, trace_id, status, text, confidence, timer, started, *, generator=None, usage=None, fallback=None,
        citations=None, missing=None, followup=None,
    ) -> Answer:
        timer.ms["total"] = round((time.perf_counter() - started) * 1000, 2)
        generator = generator or self.generator
        return Answer(
            status=status,
            answer=text,
            citations=citations or [],
            confidence=max(0.0, min(1.0, round(confidence, 3))),
            missing_information=missing,
            followup_question=followup,
            escalate=status in (AnswerStatus.NO_ANSWER, AnswerStatus.PARTIAL),
            versions=Versions(
                prompt=PROMPT_VERSION, generator=generator.name, model=generator.model,
                embedder=self.embedder_name, index="hybrid-rrf-v1",
            ),
            usage=usage or Usage(),
            timings_ms=dict(timer.ms),
            fallback=fallback,
            trace_id=trace_id,
        )

    def _finish(self, answer: Answer, trace: dict) -> Iterator[StreamEvent]:
        trace.setdefault("removed", [])
        record = TraceRecord(answer=answer, **{k: v for k, v in trace.items() if k in TraceRecord.model_fields})
        self.traces.write(record)
        yield FinalEvent(answer=answer)


def _is_no_answer(text: str) -> bool:
    stripped = text.strip().strip(".").strip()
    return not stripped or stripped.upper().startswith(NO_ANSWER)


def _followup(gate: GateResult) -> str:
    options = gate.options
    listed = ", ".join(f'"{o}"' for o in options[:-1]) + f' or "{options[-1]}"'
    return f"Your question could refer to several things: {listed}. Which one do you mean?"


def _summary(e: Evidence) -> EvidenceSummary:
    c = e.chunk
    return EvidenceSummary(
        chunk_id=c.chunk_id, doc_id=c.doc_id, title=c.title, section=c.section, page=c.page, score=e.score, text=c.text
    )
