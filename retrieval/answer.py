"""The one orchestrator the CLI, the API and the evals all call: a short list of steps over one `AnswerRun`,

    refuse -> retrieve -> gate -> generate -> fall back -> weigh -> verify -> withhold injected -> conclude

each of which reads the run, fills in its part and may end the answer by setting `run.outcome`. Streams send
only sentences that passed verification; `ask` keeps only the final answer. Whether the extractive fallback
answers is decided in one place, `_fall_back`: only when the configured generator failed or timed out, and only
above `fallback_min_confidence`, and never in the gate's uncertain band. A model that abstains, or whose every sentence fails verification, yields
`no_answer` with `missing_information`, never a substitute answer.
"""

from __future__ import annotations

import time
from typing import Callable, Iterator

from grounded.contracts import Answer, AnswerStatus, BudgetReport, BudgetStep, TraceRecord, Versions
from grounded.settings import BudgetSettings, GateSettings, GeneratorSettings
from grounded.telemetry import span, version_attributes
from grounded.traces import TraceStore
from grounded.retrieval.events import FinalEvent, RetractEvent, RetrievalEvent, StreamEvent
from grounded.retrieval.gate import GateDecision, decide, signals
from grounded.retrieval.generators.base import Generation, GenerationRequest, Generator, GeneratorError
from grounded.retrieval.live import complete_sentences, sync_shown
from grounded.retrieval.policy import refusal_reason
from grounded.retrieval.prompts import NO_ANSWER, PROMPTS
from grounded.retrieval.run import AnswerRun, AskRequest, Outcome
from grounded.retrieval.budget import Budget, BudgetExhausted
from grounded.retrieval.cache import AnswerCache, answer_key
from grounded.retrieval.search import Searcher, check_access
from grounded.retrieval.sources import shown_for
from grounded.retrieval.untrusted import check_answer
from grounded.retrieval.verify import CitationVerifier

__all__ = ["AnswerService", "AskRequest"]

INDEX_VERSION = "hybrid-rrf-v1"
NOT_IN_SOURCES = "The retrieved passages do not state the answer to this question."
NOT_CLEARLY_STATED = "The retrieved passages do not clearly state the answer to this question."
NOT_SUPPORTED = "The generated answer was not supported by the retrieved passages, so it was withheld."
PARTLY_SUPPORTED = "Part of the generated answer was not supported by the documents and was removed."
GENERATOR_DOWN = "The language model is unavailable and no passage answers this question clearly enough."

Step = Callable[[AnswerRun, bool], Iterator[StreamEvent]]


class AnswerService:
    def __init__(
        self,
        searcher: Searcher,
        generator: Generator,
        fallback: Generator,
        verifier: CitationVerifier,
        traces: TraceStore,
        gate_settings: GateSettings,
        embedder_name: str,
        generator_settings: GeneratorSettings | None = None,
        cache: AnswerCache | None = None,
        profile: str = "default",
        budget: BudgetSettings | None = None,
    ) -> None:
        self.searcher, self.generator, self.fallback = searcher, generator, fallback
        self.verifier, self.traces, self.gate_settings = verifier, traces, gate_settings
        self.embedder_name = embedder_name
        self.generator_settings = generator_settings or GeneratorSettings()
        self.cache, self.profile, self.budget = cache, profile, budget or BudgetSettings()
        self.steps: list[Step] = [
            self._refuse, self._resolve, self._retrieve, self._gate, self._generate, self._fall_back, self._weigh,
            self._verify, self._withhold_injected, self._conclude,
        ]

    def ask(self, request: AskRequest) -> Answer:
        final = None
        for event in self.stream(request, live=False):
            if isinstance(event, FinalEvent):
                final = event.answer
        assert final is not None
        return final

    def stream(self, request: AskRequest, live: bool = True) -> Iterator[StreamEvent]:
        """`live`: stream the generator and send each sentence as soon as it is verified (else verify once)."""
        run = AnswerRun(request=request)
        known = self._known_versions()
        with span("grounded.answer", {"grounded.collection": request.collection, **known}) as root:
            for step in self.steps:  # one OpenTelemetry span per step (grounded/telemetry.py: off unless configured)
                with span(f"grounded.answer.{step.__name__.strip('_')}", known, parent=root):
                    yield from step(run, live)
                if run.outcome is not None:
                    break
            with span("grounded.answer.finish", known, parent=root):
                for event in self._finish(run):
                    if isinstance(event, FinalEvent):
                        root.set_attributes({"grounded.status": event.answer.status.value,
                                             **version_attributes(event.answer.versions)})
                    yield event

    def _known_versions(self) -> dict[str, str]:
        """The contract's versions known before a run (the index version and variant are added at the end)."""
        return version_attributes({
            "prompt": PROMPTS[self.generator_settings.prompt_form], "generator": self.generator.name,
            "model": self.generator.model, "embedder": self.embedder_name, "index": INDEX_VERSION,
        })

    # ------------------------------------------------------------------------------------------- steps

    def _refuse(self, run: AnswerRun, live: bool) -> Iterator[StreamEvent]:
        reason = refusal_reason(run.request.question)
        if reason:
            run.outcome = Outcome(status=AnswerStatus.REFUSED, confidence=1.0, missing_information=reason)
        return iter(())

    def _resolve(self, run: AnswerRun, live: bool) -> Iterator[StreamEvent]:
        """Pin the index version (alias -> concrete index), set the latency budget, and answer from the cache
        when this exact question was answered on this version and profile (not with history)."""
        r = run.request
        check_access(r.collection, r.allowed_collections)
        run.index_version = self.searcher.resolve(r.collection)
        limit_ms = r.budget_ms or self.budget.total_ms
        if limit_ms:
            run.budget = Budget(limit_ms, self.budget, run.started)
            deadline_s = max(0.001, limit_ms - self.budget.verify_reserve_ms) / 1000
            run.request = r.model_copy(update={"deadline_s": min(r.deadline_s or deadline_s, deadline_s)})
        if self.cache is not None and r.cache and not r.history:
            run.cache_key = answer_key(run.index_version, self.searcher.store_revision(run.index_version),
                                       r.question, r.filters, r.top_k, self.profile)
            hit = self.cache.get(run.cache_key)
            if hit is not None:
                run.cached, run.evidence = hit
                run.outcome = Outcome(status=run.cached.status, confidence=run.cached.confidence)
        return iter(())

    def _retrieve(self, run: AnswerRun, live: bool) -> Iterator[StreamEvent]:
        r = run.request
        with run.timed("retrieve"):
            run.evidence = self.searcher.search(r.collection, r.question, r.filters, r.top_k, r.allowed_collections,
                                                index_version=run.index_version)
        yield RetrievalEvent(evidence=run.evidence)
        if run.budget is not None and run.budget.passed(BudgetStep.RETRIEVE):
            run.exhausted = BudgetStep.RETRIEVE

    def _gate(self, run: AnswerRun, live: bool) -> Iterator[StreamEvent]:
        with run.timed("gate"):
            run.gate = gate = decide(signals(run.request.question, run.evidence), self.gate_settings)
        cannot_judge = gate.uncertain and not self.generator.describe().judges_evidence
        if gate.decision is GateDecision.NO_ANSWER or cannot_judge:
            run.outcome = Outcome(
                status=AnswerStatus.NO_ANSWER, confidence=gate.confidence,
                missing_information=f"The documents in '{run.request.collection}' do not appear to cover this question.",
            )
        elif gate.decision is GateDecision.CLARIFY:
            run.outcome = Outcome(
                status=AnswerStatus.NEEDS_CLARIFICATION, confidence=gate.confidence,
                followup_question=_followup(gate.options),
            )
        return iter(())

    def _generate(self, run: AnswerRun, live: bool) -> Iterator[StreamEvent]:
        g = self.generator_settings
        with run.timed("select"):
            run.sources = shown_for(g, run.request.question, run.evidence, self.searcher.embedder)
        if run.exhausted is not None:  # no time left for the generator: straight to the fallback
            run.fallback = str(BudgetExhausted(run.exhausted, run.budget.limit_ms))
            return
        request = self._generation_request(run)
        started, verify_ms = time.perf_counter(), run.timings_ms.get("verify", 0.0)
        try:
            if live:
                run.generation = yield from self._stream_verified(run, request)
            elif run.budget is not None:
                run.generation = run.budget.generate(self.generator, request)
            else:
                run.generation = self.generator.generate(request)
            error = None
        except GeneratorError as exc:
            error = str(exc)[:300]
            run.fallback = f"{self.generator.name} generator failed: {error}"
            if run.budget is not None and (isinstance(exc, BudgetExhausted) or run.budget.passed(BudgetStep.GENERATE)):
                run.exhausted = BudgetStep.GENERATE
                run.fallback = str(BudgetExhausted(BudgetStep.GENERATE, run.budget.limit_ms))
        ms = (time.perf_counter() - started) * 1000 - (run.timings_ms.get("verify", 0.0) - verify_ms)
        run.timings_ms["generate"] = round(ms, 2)
        run.record(self.generator.name, self.generator.model, run.generation, error, ms)
        run.generator_name, run.generator_model = self.generator.name, self.generator.model

    def _fall_back(self, run: AnswerRun, live: bool) -> Iterator[StreamEvent]:
        """The only place the fallback is decided: the configured generator failed or timed out."""
        if run.fallback is None:
            return
        if run.shown:
            yield RetractEvent(reason=run.fallback)
            run.shown.clear()
            run.announced.clear()
        started = time.perf_counter()
        with run.timed("fallback"):
            generation = self.fallback.generate(self._generation_request(run))
        run.record(self.fallback.name, self.fallback.model, generation, None, (time.perf_counter() - started) * 1000)
        run.generation, run.generator_name, run.generator_model = generation, self.fallback.name, self.fallback.model
        threshold = self.generator_settings.fallback_min_confidence
        unsure = generation.score is not None and generation.score < threshold
        if _is_no_answer(generation.text) or unsure or (run.gate is not None and run.gate.uncertain):
            run.outcome = Outcome(
                status=AnswerStatus.NO_ANSWER, confidence=_confidence(run, 0.25), missing_information=GENERATOR_DOWN
            )

    def _weigh(self, run: AnswerRun, live: bool) -> Iterator[StreamEvent]:
        """The model's own odds of answering (JSON form): below `min_answer_probability` its answer is an abstention
        (small models pick `answer` over `no_answer` too readily; the floor is tuned on held-apart questions)."""
        g, floor = run.generation, self.generator_settings.min_answer_probability
        if run.fallback is None and g is not None and g.answer_odds is not None and g.answer_odds < floor \
                and not _is_no_answer(g.text):
            run.outcome = Outcome(
                status=AnswerStatus.NO_ANSWER, confidence=_confidence(run, 0.5), missing_information=NOT_CLEARLY_STATED
            )
        return iter(())

    def _verify(self, run: AnswerRun, live: bool) -> Iterator[StreamEvent]:
        if run.generation is None or _is_no_answer(run.generation.text):
            return
        with run.timed("verify"):
            run.verified = self.verifier.verify(run.generation.text, _blocks(run))
        run.removed += run.verified.removed
        yield from sync_shown(run, run.verified)

    def _withhold_injected(self, run: AnswerRun, live: bool) -> Iterator[StreamEvent]:
        """Documents are untrusted: flag citations of instruction-like text, and withhold an answer that only
        follows or restates such an instruction (retrieval/untrusted.py)."""
        verified = run.verified
        if verified is not None and verified.kept:
            check = check_answer(run.request.question, verified.text, verified.citations, _blocks(run))
            verified.citations = check.citations
            if check.withheld:
                run.outcome = Outcome(
                    status=AnswerStatus.NO_ANSWER, confidence=_confidence(run, 0.5), missing_information=check.withheld
                )
        yield from ()

    def _conclude(self, run: AnswerRun, live: bool) -> Iterator[StreamEvent]:
        verified = run.verified
        if verified is None:
            said = run.generation.missing_information if run.generation else None
            run.outcome = Outcome(
                status=AnswerStatus.NO_ANSWER, confidence=_confidence(run, 0.5),
                missing_information=f"The retrieved passages do not state {said}." if said else NOT_IN_SOURCES,
            )
        elif verified.kept == 0:
            run.outcome = Outcome(
                status=AnswerStatus.NO_ANSWER, confidence=_confidence(run, 0.5), missing_information=NOT_SUPPORTED
            )
        else:
            gate_confidence = run.gate.confidence if run.gate else 0.0
            run.outcome = Outcome(
                status=AnswerStatus.PARTIAL if verified.removed else AnswerStatus.ANSWERED,
                confidence=min(1.0, 0.5 * gate_confidence + 0.5 * min(1.0, verified.support)),
                missing_information=PARTLY_SUPPORTED if verified.removed else None,
            )
        return iter(())

    # ------------------------------------------------------------------------------------------- pieces

    def _generation_request(self, run: AnswerRun) -> GenerationRequest:
        return GenerationRequest(
            question=run.request.question, sources=run.sources, history=run.request.history,
            max_tokens=self.generator_settings.max_tokens, timeout_s=run.seconds_left(),
            form=self.generator_settings.prompt_form,
        )

    def _stream_verified(self, run: AnswerRun, request: GenerationRequest):
        """Stream the generator; each time a sentence is complete, verify the text so far and send what passed.
        Verification is per sentence and numbers citations in order of first use, so a prefix's result stands."""
        text, complete, generation = "", 0, None
        for item in self.generator.stream(request):
            if isinstance(item, Generation):
                generation = item
                break
            text += item
            sentences = complete_sentences(text)
            if len(sentences) > complete and not _is_no_answer(text):
                complete = len(sentences)
                with run.timed("verify"):
                    partial = self.verifier.verify(" ".join(sentences), _blocks(run))
                yield from sync_shown(run, partial)
        if generation is None:
            raise GeneratorError("stream ended without a result")
        return generation

    def _finish(self, run: AnswerRun) -> Iterator[StreamEvent]:
        outcome = run.outcome
        assert outcome is not None
        if run.cached is not None:
            answer = run.cached.model_copy(update={
                "trace_id": run.trace_id, "cached": True, "budget": self._budget_report(run),
                "timings_ms": {"total": round((time.perf_counter() - run.started) * 1000, 2)}})
            self.traces.write(TraceRecord(trace_id=run.trace_id, collection=run.request.collection,
                                          question=run.request.question, retrieved=_retrieved(run), answer=answer))
            if run.evidence:
                yield RetrievalEvent(evidence=run.evidence)
            yield FinalEvent(answer=answer)
            return
        answered = outcome.status in (AnswerStatus.ANSWERED, AnswerStatus.PARTIAL)
        if run.shown and not answered:
            yield RetractEvent(reason=outcome.missing_information or outcome.status.value)
        run.timings_ms["total"] = round((time.perf_counter() - run.started) * 1000, 2)
        verified = run.verified if answered else None
        answer = Answer(
            status=outcome.status,
            answer=verified.text if verified else None,
            citations=verified.citations if verified else [],
            sentences=verified.sentences if verified else [],
            confidence=max(0.0, min(1.0, round(outcome.confidence, 3))),
            missing_information=outcome.missing_information,
            followup_question=outcome.followup_question,
            escalate=outcome.status in (AnswerStatus.NO_ANSWER, AnswerStatus.PARTIAL),
            versions=Versions(
                prompt=PROMPTS[self.generator_settings.prompt_form], generator=run.generator_name or self.generator.name,
                model=run.generator_model or self.generator.model, embedder=self.embedder_name, index=INDEX_VERSION,
                index_version=run.index_version, variant=self.profile,
            ),
            budget=self._budget_report(run),
            usage=run.usage(self.generator_settings),
            timings_ms=dict(run.timings_ms),
            fallback=run.fallback,
            trace_id=run.trace_id,
        )
        self.traces.write(TraceRecord(
            trace_id=run.trace_id, collection=run.request.collection, question=run.request.question,
            retrieved=_retrieved(run),
            gate=run.gate.model_dump(mode="json") if run.gate else {},
            raw_output=run.calls[-1].text if run.calls else None,
            generations=run.calls, removed=run.removed, answer=answer,
        ))
        if run.cache_key is not None and self.cache is not None:
            self.cache.put(run.cache_key, answer, run.evidence)
        yield FinalEvent(answer=answer)

    @staticmethod
    def _budget_report(run: AnswerRun) -> BudgetReport | None:
        return BudgetReport(limit_ms=run.budget.limit_ms, exhausted=run.exhausted) if run.budget else None


def _blocks(run: AnswerRun):
    return {s.marker: s.evidence for s in run.sources}


def _confidence(run: AnswerRun, share: float) -> float:
    return (run.gate.confidence if run.gate else 0.0) * share


def _is_no_answer(text: str) -> bool:
    stripped = text.strip().strip(".").strip()
    return not stripped or stripped.upper().startswith(NO_ANSWER)


def _followup(options: list[str]) -> str:
    listed = ", ".join(f'"{o}"' for o in options[:-1]) + f' or "{options[-1]}"'
    return f"Your question could refer to several things: {listed}. Which one do you mean?"


def _retrieved(run: AnswerRun) -> list[dict]:
    """The trace's view of the evidence: which chunks, with the scores and ranks that found them."""
    return [
        dict(chunk_id=e.chunk.chunk_id, doc_id=e.chunk.doc_id, score=e.score, dense_score=e.dense_score,
             sparse_score=e.sparse_score, dense_rank=e.dense_rank, sparse_rank=e.sparse_rank)
        for e in run.evidence
    ]
