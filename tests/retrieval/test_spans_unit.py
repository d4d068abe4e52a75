"""A short JSON answer span is completed from the source it cites: a bare amount keeps its currency and unit."""

from __future__ import annotations

import json

import pytest

from grounded.contracts import Chunk, Evidence, SourceFormat
from grounded.retrieval.generators.base import (
    ANSWER_SCHEMA, MISSING_MAX_CHARS, GeneratorError, ShownSource, from_json_answer,
)
from grounded.retrieval.spans import complete_span

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("span", "source", "expected"), [
    ("95", "The hotel allowance is EUR 95 per night.", "EUR 95"),
    ("12", "Unused leave of up to 12 days carries over.", "12 days"),
    ("30", "Staff get a 30% discount.", "30%"),
    ("5", "A $5 fee applies.", "$5 fee"),
    ("1,850", "In Oslo the rate is NOK 1,850 per night.", "NOK 1,850"),
    ("1932", "The bridge opened in 1932 after four years.", "1932"),
    ("1914", "the 1914 Olympics", "1914"),
    ("12", "Each box weighs 12.5 kg.", "12"),  # part of a bigger number: not this span
    ("3", "between 3 and 4 weeks", "3"),
    ("Rollo", "Rollo led the Normans.", "Rollo"),
    ("two weeks", "within two weeks", "two weeks"),
])
def test_a_bare_amount_is_completed_from_its_source(span, source, expected):
    got = complete_span(span, source)
    assert got == expected and got in source


def _shown(text: str) -> ShownSource:
    chunk = Chunk(chunk_id="c1", doc_id="d1", source="travel.md", format=SourceFormat.MD, title="Travel", section="",
                  page=None, char_start=0, char_end=len(text), text=text, content_hash="h", index=0, n_chunks=1)
    return ShownSource(marker=1, evidence=Evidence(chunk=chunk, score=1.0), excerpt=text)


def test_the_json_answer_is_completed_from_the_first_source_that_holds_it():
    other = _shown("Bergen is NOK 1,600.").model_copy(update={"marker": 1})
    shown = [other, _shown("In Oslo the hotel allowance is NOK 1,850 per night.").model_copy(update={"marker": 2})]
    assert from_json_answer('{"answer": "1,850"}', shown) == ("NOK 1,850 [2].", None)
    assert from_json_answer('{"answer": "1,850", "source": 2}', shown) == ("NOK 1,850 [2].", None)  # a named one
    assert from_json_answer('{"answer": "1,850", "source": 7}', shown) == ("NOK 1,850 [2].", None)  # not shown
    assert from_json_answer('{"answer": "Tromsø"}', shown) == ("Tromsø.", None)  # in no source: the verifier decides
    assert from_json_answer('{"no_answer": "the rate in Bergen"}', shown) == ("NO_ANSWER", "the rate in Bergen")


def test_a_reply_stopped_where_its_string_closes_is_read_whole():
    shown = [_shown("In Oslo the hotel allowance is NOK 1,850 per night.")]
    assert from_json_answer('{"answer": "1,850', shown) == ("NOK 1,850 [1].", None)  # the server drops JSON_STOP
    assert from_json_answer('{"no_answer": "the rate in Bergen', shown) == ("NO_ANSWER", "the rate in Bergen")
    assert from_json_answer('{\n  "answer": "1,850"\n}', shown) == ("NOK 1,850 [1].", None)  # laid out: not stopped
    with pytest.raises(GeneratorError, match="invalid JSON"):
        from_json_answer('{"answer": "a \\', shown)  # stopped inside an escaped quote: unreadable, not guessed


def test_a_missing_phrase_cut_at_the_schema_cap_is_dropped():
    cut = "x" * MISSING_MAX_CHARS
    assert from_json_answer(json.dumps({"no_answer": cut}), []) == ("NO_ANSWER", None)
    assert from_json_answer(json.dumps({"no_answer": cut[:-1]}), []) == ("NO_ANSWER", cut[:-1])
    assert ANSWER_SCHEMA["oneOf"][1]["properties"]["no_answer"]["maxLength"] == MISSING_MAX_CHARS


def _logprobs(*positions):
    from types import SimpleNamespace as NS

    return NS(content=[NS(token=tok, logprob=alts[0][1], top_logprobs=[NS(token=t, logprob=lp) for t, lp in alts])
                       for tok, alts in positions])


def test_the_models_odds_of_answering_come_from_the_first_key():
    import math

    from grounded.retrieval.generators.base import answer_probability

    first = ('{"', [('{"', -0.05), ("{\n", -3.9)])
    key = ("answer", [("answer", math.log(0.8)), ("no", math.log(0.15)), ("source", math.log(0.05))])
    assert answer_probability(_logprobs(first, key)) == pytest.approx(0.8 / 0.95, abs=1e-4)
    no = ("no", [("no", math.log(0.7)), ("answer", math.log(0.3))])
    assert answer_probability(_logprobs(first, no)) == pytest.approx(0.3, abs=1e-4)
    assert answer_probability(_logprobs(first, ("source", [("source", -0.1)]))) is None  # not the schema's first key
    assert answer_probability(None) is None


def test_a_fence_listed_before_the_object_is_skipped():
    import math

    from grounded.retrieval.generators.base import answer_probability

    fence = ("```", [("```", -1.0), ('{"', -1.06)])
    lang = ("json", [("json", 0.0)])
    brace = ("{\n", [("{\n", -0.1)])
    quote = ('  "', [('  "', -0.01)])
    key = ("answer", [("answer", math.log(0.9)), ("no", math.log(0.1))])
    assert answer_probability(_logprobs(fence, lang, brace, quote, key)) == pytest.approx(0.9, abs=1e-4)
