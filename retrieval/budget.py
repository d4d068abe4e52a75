"""Per-request latency budgets: the total is split into step deadlines (retrieval gets a share, generation what
is left minus a reserve for verification). A step that runs out raises `BudgetExhausted`, a `GeneratorError`, so
generation falls back exactly as for any other generator failure, and the contract records the step."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from grounded.contracts import BudgetStep
from grounded.settings import BudgetSettings
from grounded.retrieval.generators.base import Generation, GenerationRequest, Generator, GeneratorError

_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="grounded-budget")


class BudgetExhausted(GeneratorError):
    def __init__(self, step: BudgetStep, limit_ms: float) -> None:
        super().__init__(f"latency budget of {limit_ms:g} ms exhausted during {step.value}")
        self.step = step


class Budget:
    def __init__(self, limit_ms: float, settings: BudgetSettings, started: float) -> None:
        self.limit_ms, self.started = limit_ms, started
        self.retrieve_deadline = started + limit_ms * settings.retrieve_share / 1000
        self.generate_deadline = started + max(0.0, limit_ms - settings.verify_reserve_ms) / 1000

    def passed(self, step: BudgetStep) -> bool:
        deadline = self.retrieve_deadline if step is BudgetStep.RETRIEVE else self.generate_deadline
        return time.perf_counter() > deadline

    def check(self, step: BudgetStep) -> None:
        if self.passed(step):
            raise BudgetExhausted(step, self.limit_ms)

    def generate(self, generator: Generator, request: GenerationRequest) -> Generation:
        """The generator's answer if it arrives before the generation deadline. The request's own timeout is that
        deadline too, so a late call gives up at the same moment: its connection closes and an OpenAI-compatible
        server (the embedded llama.cpp included) stops generating for it."""
        self.check(BudgetStep.GENERATE)
        left = max(0.001, self.generate_deadline - time.perf_counter())
        future = _pool.submit(generator.generate, request.model_copy(update={"timeout_s": left}))
        try:
            return future.result(timeout=left)
        except FutureTimeout:
            raise BudgetExhausted(BudgetStep.GENERATE, self.limit_ms) from None
