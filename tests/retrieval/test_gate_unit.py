"""The gate's decision from its signals alone: pure logic, no models, no store."""

from __future__ import annotations

import pytest

from evidence_blocks import block
from grounded.settings import GateSettings
from grounded.retrieval.gate import GateDecision, GateSignals, decide, signals

pytestmark = pytest.mark.unit

SETTINGS = GateSettings(min_dense_score=0.3, min_lexical_overlap=0.2)


def sig(**kw) -> GateSignals:
    base = dict(retrieved=5, best_dense=0.6, lexical=0.8, agreement=True, missing_terms=[], readings=[])
    return GateSignals(**{**base, **kw})


def test_strong_evidence_proceeds_with_its_confidence():
    verdict = decide(sig(), SETTINGS)
    assert verdict.decision is GateDecision.PROCEED
    assert verdict.confidence == pytest.approx(0.6 * 0.6 + 0.4 * 0.8 + 0.1)


def test_nothing_retrieved_is_no_answer_with_zero_confidence():
    verdict = decide(sig(retrieved=0, best_dense=0, lexical=0, agreement=False), SETTINGS)
    assert verdict.decision is GateDecision.NO_ANSWER and verdict.confidence == 0.0


@pytest.mark.parametrize("weak", [{"best_dense": 0.29}, {"lexical": 0.1}])
def test_below_a_floor_is_no_answer(weak):
    verdict = decide(sig(**weak), SETTINGS)
    assert verdict.decision is GateDecision.NO_ANSWER and "too weak" in verdict.reason


def test_just_above_the_floor_goes_to_the_model_as_uncertain():
    verdict = decide(sig(best_dense=0.31, lexical=0.21, agreement=False), SETTINGS)
    assert verdict.decision is GateDecision.PROCEED and verdict.uncertain


def test_above_the_band_is_certain():
    assert not decide(sig(best_dense=SETTINGS.confident_dense_score), SETTINGS).uncertain


def test_a_name_the_evidence_never_mentions_is_no_answer():
    verdict = decide(sig(missing_terms=["tokyo"]), SETTINGS)
    assert verdict.decision is GateDecision.NO_ANSWER and "tokyo" in verdict.reason and verdict.confidence <= 0.3


def test_two_readings_ask_to_clarify_and_offer_them():
    verdict = decide(sig(readings=["HX-200", "HX-200L"]), SETTINGS)
    assert verdict.decision is GateDecision.CLARIFY and verdict.options == ["HX-200", "HX-200L"]


def test_one_reading_is_not_ambiguous():
    assert decide(sig(readings=["HX-200"]), SETTINGS).decision is GateDecision.PROCEED


def test_product_codes_that_extend_a_named_word_are_readings():
    found = [block("The HX-200 measures 0-10 bar. The HX-200L measures 0-1 bar.", dense=0.7)]
    assert signals("What is the range of the HX?", found).readings == ["HX-200", "HX-200L"]


def test_words_that_extend_a_name_are_not_product_codes():
    found = [block("Norman-derived castles and Norman-Irish lords held the land.", dense=0.7)]
    assert signals("What was the Norman castle called?", found).readings == []
