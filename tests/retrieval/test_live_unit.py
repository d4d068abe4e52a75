"""Streaming only what stands, and usage/cost of a run: pure logic over hand-built verification results."""

from __future__ import annotations

import pytest

from grounded.contracts import AnswerSentence, Citation, GenerationRecord
from grounded.settings import GeneratorSettings
from grounded.retrieval.events import CitationEvent, RetractEvent, SentenceEvent
from grounded.retrieval.live import complete_sentences, sync_shown
from grounded.retrieval.run import AnswerRun, AskRequest
from grounded.retrieval.verify import Verified

pytestmark = pytest.mark.unit


def citation(marker: int) -> Citation:
    return Citation(marker=marker, chunk_id=f"c{marker}", doc_id=f"d{marker}", source="s", title="t", section="",
                    page=None, quote="q", score=0.5)


def verified(*sentences: tuple[str, list[int]]) -> Verified:
    markers = sorted({m for _, ms in sentences for m in ms})
    return Verified(
        text=" ".join(f"{t} " + "".join(f"[{m}]" for m in ms) for t, ms in sentences),
        citations=[citation(m) for m in markers],
        sentences=[AnswerSentence(text=t, markers=ms) for t, ms in sentences],
        removed=[], kept=len(sentences), support=1.0,
    )


def new_run() -> AnswerRun:
    return AnswerRun(request=AskRequest(collection="c", question="q?"))


@pytest.mark.parametrize("text, expected", [
    ("The plant opened in 20", []),
    ("The plant opened in 2011 [1].", []),  # may still get a second marker
    ("The plant opened in 2011 [1]. ", ["The plant opened in 2011 [1]."]),
    ("The plant opened in 2011 [1]. It has", ["The plant opened in 2011 [1]."]),
    ("The plant opened in 2011 [1]. It has 4 pumps [2].\n", ["The plant opened in 2011 [1].", "It has 4 pumps [2]."]),
])
def test_complete_sentences_of_a_growing_text(text, expected):
    assert complete_sentences(text) == expected


def test_sync_sends_citations_before_the_sentence_that_first_uses_them():
    run = new_run()
    first = list(sync_shown(run, verified(("A", [1]))))
    assert [type(e) for e in first] == [CitationEvent, SentenceEvent] and first[1].text == "A [1]"
    second = list(sync_shown(run, verified(("A", [1]), ("B", [1, 2]))))
    assert [type(e) for e in second] == [CitationEvent, SentenceEvent]
    assert second[0].citation.marker == 2 and second[1].sentence.markers == [1, 2]
    assert list(sync_shown(run, verified(("A", [1]), ("B", [1, 2])))) == [], "nothing new, nothing sent"


def test_sync_retracts_when_a_sentence_already_sent_no_longer_holds():
    run = new_run()
    list(sync_shown(run, verified(("A", [1]), ("B", [2]))))
    events = list(sync_shown(run, verified(("C", [1]))))
    assert isinstance(events[0], RetractEvent)
    assert [e.text for e in events if isinstance(e, SentenceEvent)] == ["C [1]"] and run.shown == ["C [1]"]


def test_usage_counts_every_call_and_prices_them():
    run = new_run()
    run.calls = [GenerationRecord(generator="local", model="m", text=None, error="timed out", prompt_tokens=300),
                 GenerationRecord(generator="extractive", model="x", text="A [1]")]
    usage = run.usage(GeneratorSettings(price_per_1k_prompt_tokens=1.0, price_per_1k_completion_tokens=3.0))
    assert (usage.prompt_tokens, usage.completion_tokens, usage.llm_calls) == (300, 0, 2)
    assert usage.cost == pytest.approx(0.3)


def test_deadline_leaves_a_positive_budget():
    run = AnswerRun(request=AskRequest(collection="c", question="q?", deadline_s=5))
    assert 0 < run.seconds_left() <= 5 and new_run().seconds_left() is None
