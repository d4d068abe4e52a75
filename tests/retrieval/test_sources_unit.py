"""What the model is shown: one character budget shared by rank, each chunk cut to what matches the question,
every line an exact substring of its chunk."""

from __future__ import annotations

import pytest

from evidence_blocks import block
from grounded.contracts import Evidence
from grounded.retrieval.generators.base import GenerationRequest, ShownSource, render_sources
from grounded.retrieval.sources import MIN_EXCERPT_CHARS, excerpt, show_sources
from grounded.settings import PromptForm

pytestmark = pytest.mark.unit

FILLER = " ".join(f"Sentence number {i} talks about the weather in general terms." for i in range(40))
TABLE = "\n".join(
    ["City or region | Maximum rate per night"]
    + [f"Town {i} | NOK {1000 + i}" for i in range(40)]
    + ["Oslo | NOK 1,850", "Bergen and Stavanger | NOK 1,600"]
    + [f"Village {i} | NOK {500 + i}" for i in range(40)]
)


def test_prose_is_cut_to_the_window_around_the_best_sentence():
    text = FILLER + " The bridge opened to traffic in 1932 after four years of work. " + FILLER
    shown = excerpt("When did the bridge open?", text, 200)
    assert "The bridge opened to traffic in 1932" in shown
    assert len(shown) <= 200 and shown in text


def test_a_table_keeps_its_header_above_the_matching_row():
    shown = excerpt("What is the maximum hotel rate per night in Oslo?", TABLE, 160)
    lines = shown.split("\n")
    assert lines[0] == "City or region | Maximum rate per night"
    assert "Oslo | NOK 1,850" in lines
    assert len(shown) <= 160
    assert all(line in TABLE.split("\n") for line in lines), "every line is a line of the chunk"


def test_a_sentence_longer_than_the_limit_is_cut_at_a_word():
    text = "word " * 200
    shown = excerpt("word?", text.strip() + ". Other.", 100)
    assert len(shown) <= 100 and not shown.endswith(" ")


def test_the_budget_is_shared_by_rank_and_what_a_short_chunk_leaves_goes_to_the_next():
    long_a, long_b = FILLER, FILLER.replace("weather", "harbour")
    shown = show_sources("weather harbour", [block(long_a, 1), block("Short one.", 2), block(long_b, 3)],
                         max_sources=3, evidence_chars=800)
    sizes = [len(s.excerpt) for s in shown]
    assert [s.marker for s in shown] == [1, 2, 3]
    assert sum(sizes) <= 800
    assert sizes[0] <= 400 and sizes[0] > 300, "the best chunk gets about half"
    assert sizes[2] > 800 // 4, "the third chunk gets what the short second one left"


def test_a_source_whose_share_is_too_small_is_left_out_and_markers_stay_contiguous():
    shown = show_sources("weather", [block(FILLER, i) for i in range(1, 4)], max_sources=3,
                         evidence_chars=MIN_EXCERPT_CHARS * 5 // 2)
    assert [s.marker for s in shown] == list(range(1, len(shown) + 1))
    assert len(shown) < 3


def test_heading_lines_the_source_heading_names_are_left_out_and_the_title_is_named_once():
    text = "Travel Policy\n\n7. Claiming expenses\n\n7.1 Expense reports\n\nReports are due within 30 days."
    chunk = block(text, 1).chunk.model_copy(update={
        "title": "Travel Policy", "section": "TRAVEL POLICY > 7. Claiming expenses > 7.1 Expense reports"})
    (shown,) = show_sources("When are reports due?", [Evidence(chunk=chunk, score=1.0)])
    assert shown.excerpt == "Reports are due within 30 days." and shown.excerpt in text
    assert shown.heading == "Travel Policy > 7. Claiming expenses > 7.1 Expense reports"


def test_a_heading_line_inside_the_text_stays_and_a_chunk_that_is_only_a_heading_keeps_it():
    text = "Intro sentence.\n7.1 Expense reports\nMore."
    chunk = block(text, 1).chunk.model_copy(update={"section": "7.1 Expense reports"})
    assert show_sources("reports", [Evidence(chunk=chunk, score=1.0)])[0].excerpt == text
    lone = chunk.model_copy(update={"text": "7.1 Expense reports"})
    assert show_sources("reports", [Evidence(chunk=lone, score=1.0)])[0].excerpt == "7.1 Expense reports"


def test_a_source_far_weaker_than_the_best_is_left_out_with_its_share_of_the_budget():
    strong, close, weak = (block(FILLER, n).model_copy(update={"dense_score": d}) for n, d in ((1, 0.8), (2, 0.7), (3, 0.4)))
    shown = show_sources("weather", [strong, close, weak], max_sources=3, evidence_chars=800, min_relative_dense=0.7)
    assert [s.evidence.chunk.chunk_id for s in shown] == ["c1", "c2"]
    assert sum(len(s.excerpt) for s in shown) <= 800 * 3 // 4, "the weak source's share is not handed on"
    keyword_only = weak.model_copy(update={"dense_score": None})
    kept = show_sources("weather", [strong, close, keyword_only], max_sources=3, evidence_chars=800, min_relative_dense=0.7)
    assert len(kept) == 3, "a chunk found by its keywords alone is not judged by a dense score"
    assert len(show_sources("weather", [strong, close, weak], max_sources=3, evidence_chars=800)) == 3  # 0 = all


def _shown_from(doc: int, marker: int, text: str) -> ShownSource:
    return ShownSource(marker=marker, evidence=block(text, doc), excerpt=text)


def test_a_json_prompt_frames_each_document_once_and_a_text_prompt_numbers_every_source():
    shown = [_shown_from(1, 1, "Oslo is NOK 1,850."), _shown_from(2, 2, "Bergen is NOK 1,600."),
             _shown_from(1, 3, "Tromsø is NOK 1,400.")]
    as_json = render_sources(GenerationRequest(question="Hotel rate?", sources=shown, form=PromptForm.JSON))
    assert as_json.count("<source ") == 2 and "id=" not in as_json
    assert '<source from="Doc 1">\nOslo is NOK 1,850.\n\nTromsø is NOK 1,400.\n</source>' in as_json
    as_text = render_sources(GenerationRequest(question="Hotel rate?", sources=shown, form=PromptForm.TEXT))
    assert all(f'<source id="{n}" from="Doc ' in as_text for n in (1, 2, 3))
