"""A request's latency budget bounds the generator call itself, so a late call is cut off (and its connection
closed, which stops an OpenAI-compatible server generating) when the budget gives up on it, not later."""

from __future__ import annotations

import threading
import time

import pytest

from grounded.contracts import BudgetStep
from grounded.retrieval.budget import Budget, BudgetExhausted
from grounded.retrieval.generators.base import Generation, GenerationRequest
from grounded.settings import BudgetSettings

pytestmark = pytest.mark.unit


class SlowGenerator:
    name = model = "slow"

    def __init__(self) -> None:
        self.timeouts: list[float | None] = []
        self.called = threading.Event()

    def generate(self, request: GenerationRequest) -> Generation:
        self.timeouts.append(request.timeout_s)
        self.called.set()
        time.sleep(min((request.timeout_s or 5.0) + 0.5, 5.0))  # later than the deadline it was given
        return Generation(text="late", model=self.model)


def test_the_generator_call_gets_the_budget_deadline_as_its_timeout():
    generator = SlowGenerator()
    budget = Budget(300, BudgetSettings(verify_reserve_ms=50), time.perf_counter())
    with pytest.raises(BudgetExhausted) as exc:
        budget.generate(generator, GenerationRequest(question="q", sources=[], timeout_s=60))
    assert exc.value.step is BudgetStep.GENERATE
    assert generator.called.wait(30), "the call never started (the budget pool was busy)"
    assert generator.timeouts and 0 < generator.timeouts[0] <= 0.25, "not the 60 s the request came with"
