"""The typed record one answer fills in as it passes the pipeline's steps: the request, the evidence, the gate's
verdict, every generator call, the verification, the outcome, the timings. The answer contract and the trace
are both built from it, so neither is assembled field by field along the way."""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager

from pydantic import BaseModel, ConfigDict, Field

from grounded.contracts import Answer, AnswerStatus, BudgetStep, Evidence, GenerationRecord, RemovedSentence, Usage
from grounded.settings import GeneratorSettings
from grounded.store import SearchFilter
from grounded.retrieval.budget import Budget
from grounded.retrieval.gate import GateVerdict
from grounded.retrieval.generators.base import ChatTurn, Generation, ShownSource
from grounded.retrieval.verify import Verified


class AskRequest(BaseModel):
    collection: str
    question: str = Field(min_length=1, max_length=4000)
    history: list[ChatTurn] = Field(default_factory=list)
    filters: SearchFilter | None = None
    top_k: int | None = Field(default=None, ge=1, le=50)
    allowed_collections: frozenset[str] | None = Field(default=None, description="the caller's grant; None = all")
    deadline_s: float | None = Field(
        default=None, gt=0, description="answer within this many seconds: the generator call is cut short at the "
        "deadline and the answer falls back; None = the generator's own timeout"
    )
    cache: bool = Field(default=True, description="may be answered from the answer cache (evals say no)")
    budget_ms: float | None = Field(default=None, gt=0, le=600_000, description="latency budget; None = the setting")


class Outcome(BaseModel):
    """How the answer ends, decided by exactly one step."""

    status: AnswerStatus
    confidence: float
    missing_information: str | None = None
    followup_question: str | None = None


class AnswerRun(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    request: AskRequest
    trace_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    started: float = Field(default_factory=time.perf_counter)
    evidence: list[Evidence] = Field(default_factory=list)
    gate: GateVerdict | None = None
    sources: list[ShownSource] = Field(default_factory=list)
    calls: list[GenerationRecord] = Field(default_factory=list, description="every generator call, in order")
    generation: Generation | None = Field(default=None, description="the generation the answer is built from")
    generator_name: str | None = None
    generator_model: str | None = None
    fallback: str | None = Field(default=None, description="why the configured generator's output was not used")
    verified: Verified | None = None
    removed: list[RemovedSentence] = Field(default_factory=list)
    outcome: Outcome | None = None
    timings_ms: dict[str, float] = Field(default_factory=dict)
    shown: list[str] = Field(default_factory=list, description="verified sentences already streamed")
    announced: set[int] = Field(default_factory=set, description="citation markers already streamed")
    index_version: str | None = Field(default=None, description="the concrete index this answer reads")
    cache_key: tuple | None = None
    cached: Answer | None = Field(default=None, description="the answer-cache hit that ends this run")
    budget: Budget | None = None
    exhausted: BudgetStep | None = None

    @contextmanager
    def timed(self, step: str):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.timings_ms[step] = round(self.timings_ms.get(step, 0.0) + (time.perf_counter() - t) * 1000, 2)

    def seconds_left(self) -> float | None:
        if self.request.deadline_s is None:
            return None
        return max(0.05, self.request.deadline_s - (time.perf_counter() - self.started))

    def record(self, generator_name: str, model: str, generation: Generation | None, error: str | None, ms: float):
        self.calls.append(GenerationRecord(
            generator=generator_name, model=model, text=generation.text if generation else None, error=error,
            prompt_tokens=generation.prompt_tokens if generation else 0,
            completion_tokens=generation.completion_tokens if generation else 0,
            cached_prompt_tokens=generation.cached_prompt_tokens if generation else None,
            score=generation.score if generation else None,
            answer_odds=generation.answer_odds if generation else None, ms=round(ms, 2),
        ))

    def usage(self, prices: GeneratorSettings) -> Usage:
        prompt = sum(c.prompt_tokens for c in self.calls)
        completion = sum(c.completion_tokens for c in self.calls)
        cost = prompt / 1000 * prices.price_per_1k_prompt_tokens + completion / 1000 * prices.price_per_1k_completion_tokens
        return Usage(prompt_tokens=prompt, completion_tokens=completion, llm_calls=len(self.calls), cost=round(cost, 8))
