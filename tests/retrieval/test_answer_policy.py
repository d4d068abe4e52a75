"""The answer policy with a scripted generator over the real demo collection (real embedder, store, gate and
verifier): when the model's answer stands, when it becomes `no_answer`, when the extractive fallback may answer,
what a stream shows and in which order, and what usage and cost count."""

from __future__ import annotations

import pytest

from grounded.contracts import AnswerStatus
from grounded.settings import GateSettings, GeneratorSettings
from grounded.retrieval.answer import AnswerService, AskRequest
from grounded.retrieval.events import (
    CitationEvent,
    FinalEvent,
    RetractEvent,
    RetrievalEvent,
    SentenceEvent,
)

EXPENSES = "Within how many days after a business trip must I submit my expense report?"
RMA = "How long is an RMA number valid?"
GOOD = "Expense reports must be submitted within 30 days of the end of the trip [1]."


def service(components, generator, gate=None, **generator_settings) -> AnswerService:
    base = components.answers
    return AnswerService(base.searcher, generator, base.fallback, base.verifier, base.traces,
                         gate or components.settings.gate, base.embedder_name, GeneratorSettings(**generator_settings))


ALL_UNCERTAIN = GateSettings(min_dense_score=0.0, confident_dense_score=0.99)


def test_in_the_uncertain_band_the_model_decides(components, demo_collection, scripted):
    answer = service(components, scripted([GOOD]), ALL_UNCERTAIN).ask(AskRequest(collection="demo", question=EXPENSES))
    assert answer.status is AnswerStatus.ANSWERED and "30 days" in answer.answer


def test_in_the_uncertain_band_extractive_abstains_as_generator_and_as_fallback(components, demo_collection, scripted):
    extractive = components.answers.fallback
    alone = service(components, extractive, ALL_UNCERTAIN).ask(AskRequest(collection="demo", question=RMA))
    assert alone.status is AnswerStatus.NO_ANSWER and alone.usage.llm_calls == 0
    down = service(components, scripted([], fail="timed out"), ALL_UNCERTAIN, fallback_min_confidence=0.0).ask(
        AskRequest(collection="demo", question=RMA))
    assert down.status is AnswerStatus.NO_ANSWER and down.fallback and "unavailable" in down.missing_information


def events_of(svc, question, **kw):
    return list(svc.stream(AskRequest(collection="demo", question=question, **kw)))


def test_model_abstaining_is_no_answer_not_a_fallback(components, demo_collection, scripted):
    gen = scripted(["NO_", "ANSWER"])
    answer = service(components, gen).ask(AskRequest(collection="demo", question=RMA))
    assert answer.status is AnswerStatus.NO_ANSWER and answer.missing_information
    assert answer.answer is None and answer.fallback is None and answer.versions.generator == "scripted"
    assert answer.usage.llm_calls == 1 and answer.usage.prompt_tokens == 120


def test_every_sentence_failing_verification_is_no_answer(components, demo_collection, scripted):
    gen = scripted(["The moon is made of cheese [1]. ", "Reports go to Mars [7]."])
    answer = service(components, gen).ask(AskRequest(collection="demo", question=EXPENSES))
    assert answer.status is AnswerStatus.NO_ANSWER and "not supported" in answer.missing_information
    assert answer.fallback is None and answer.citations == [] and answer.sentences == []
    trace = components.answers.traces.get(answer.trace_id)
    assert len(trace.removed) == 2 and [g.generator for g in trace.generations] == ["scripted"]


def test_unavailable_model_falls_back_to_a_confident_extractive_answer(components, demo_collection, scripted):
    gen = scripted([], fail="connection refused")
    answer = service(components, gen, fallback_min_confidence=0.3).ask(AskRequest(collection="demo", question=RMA))
    assert answer.status is AnswerStatus.ANSWERED and "60 days" in answer.answer
    assert "connection refused" in answer.fallback and answer.versions.generator == "extractive"
    assert answer.usage.llm_calls == 2, "the failed LLM call and the fallback both count"
    trace = components.answers.traces.get(answer.trace_id)
    assert [(g.generator, g.error is not None) for g in trace.generations] == [("scripted", True), ("extractive", False)]


def test_unavailable_model_and_an_unsure_fallback_is_no_answer(components, demo_collection, scripted):
    gen = scripted([], fail="timed out")
    answer = service(components, gen, fallback_min_confidence=0.99).ask(AskRequest(collection="demo", question=RMA))
    assert answer.status is AnswerStatus.NO_ANSWER and answer.answer is None
    assert "unavailable" in answer.missing_information and answer.fallback


def test_gate_rejection_spends_no_generation(components, demo_collection, scripted):
    gen = scripted([GOOD])
    answer = service(components, gen).ask(AskRequest(collection="demo", question="Who won the 1998 FIFA World Cup?"))
    assert answer.status is AnswerStatus.NO_ANSWER and gen.requests == [] and answer.usage.llm_calls == 0


def test_stream_sends_only_verified_sentences_in_order(components, demo_collection, scripted):
    gen = scripted(["Expense reports must be submitted ", "within 30 days of the end of the trip [1]. ",
                             "The moon is made of cheese [1]. ", "Reports go to Mars [9]."])
    events = events_of(service(components, gen), EXPENSES)
    kinds = [type(e) for e in events]
    assert kinds == [RetrievalEvent, CitationEvent, SentenceEvent, FinalEvent]
    final = events[-1].answer
    assert final.status is AnswerStatus.PARTIAL
    assert events[2].text == final.answer, "what was streamed is exactly what stands"
    assert events[1].citation == final.citations[0] and final.sentences[0].markers == [1]


def test_failure_mid_stream_retracts_before_the_fallback_answers(components, demo_collection, scripted):
    gen = scripted([GOOD + " "], fail="timed out while streaming")
    events = events_of(service(components, gen, fallback_min_confidence=0.0), EXPENSES)
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("RetractEvent") > kinds.index("SentenceEvent")
    after = [e for e in events[kinds.index("RetractEvent"):] if isinstance(e, SentenceEvent)]
    final = events[-1].answer
    assert final.versions.generator == "extractive" and [e.text for e in after] == [
        s.text + " " + "".join(f"[{m}]" for m in s.markers) for s in final.sentences]


def test_usage_and_cost_from_configured_prices(components, demo_collection, scripted):
    gen = scripted([GOOD], prompt_tokens=2000, completion_tokens=500)
    answer = service(components, gen, price_per_1k_prompt_tokens=0.5, price_per_1k_completion_tokens=2.0).ask(
        AskRequest(collection="demo", question=EXPENSES))
    assert answer.status is AnswerStatus.ANSWERED
    assert answer.usage.cost == pytest.approx(2000 / 1000 * 0.5 + 500 / 1000 * 2.0)
    trace = components.answers.traces.get(answer.trace_id)
    assert trace.answer.usage.cost == answer.usage.cost


def test_request_deadline_reaches_the_generator(components, demo_collection, scripted):
    gen = scripted([GOOD])
    service(components, gen).ask(AskRequest(collection="demo", question=EXPENSES, deadline_s=20))
    assert 0 < gen.requests[0].timeout_s <= 20


FOUNDED = "In which year was Halvorsen Instruments founded?"


@pytest.mark.parametrize("deltas", [
    ["1", "9", "8", "7", " [", "1", "]"],  # a bare year, one digit per token, no full stop (how Qwen streams it)
    ["The company was founded in ", "1", "9", "8", "7", " [1]."],
])
def test_a_year_streamed_digit_by_digit_comes_back_whole(components, demo_collection, scripted, deltas):
    """Regression (issue 8 item 4): year answers must never be cut to their first digit, streamed or not."""
    svc = service(components, scripted(deltas))
    events = events_of(svc, FOUNDED)
    final = events[-1].answer
    assert final.status is AnswerStatus.ANSWERED and "1987" in final.answer
    assert [e.text for e in events if isinstance(e, SentenceEvent)] == [final.answer]
    assert "1987" in svc.ask(AskRequest(collection="demo", question=FOUNDED)).answer


@pytest.mark.parametrize(("odds", "status"), [(0.95, AnswerStatus.ANSWERED), (0.55, AnswerStatus.NO_ANSWER)])
def test_the_models_own_odds_below_the_floor_make_an_abstention_and_nothing_is_shown(
        components, demo_collection, scripted, odds, status):
    svc = service(components, scripted(["30 days [1]."], odds=odds), min_answer_probability=0.7)
    events = events_of(svc, EXPENSES)
    final = events[-1].answer
    assert final.status is status and final.fallback is None
    assert [e for e in events if isinstance(e, RetractEvent)] == []
    shown = [e for e in events if isinstance(e, SentenceEvent)]
    if status is AnswerStatus.ANSWERED:
        assert "30 days" in final.answer and len(shown) == 1
    else:
        assert shown == [] and final.answer is None and "do not clearly state" in final.missing_information


def test_without_a_floor_the_models_choice_stands(components, demo_collection, scripted):
    answer = service(components, scripted(["30 days [1]."], odds=0.2), min_answer_probability=0.0).ask(
        AskRequest(collection="demo", question=EXPENSES))
    assert answer.status is AnswerStatus.ANSWERED
