"""Sentence choice by meaning as well as words (retrieval/matching.py), with the real MiniLM embedder."""

from __future__ import annotations

from grounded.contracts import Chunk, Evidence, SourceFormat
from grounded.retrieval.matching import QuestionMatch
from grounded.retrieval.sources import excerpt, shown_for
from grounded.settings import ExcerptMatch, GeneratorSettings

FILLER = " ".join(f"Paragraph {i} describes the harbour district and its shops." for i in range(12))
QUESTION = "When did the bridge open to traffic?"
CAMERAS = "Traffic cameras watch the bridge day and night."
OPENING = "The bridge carried its first traffic on 19 March 1932."
TEXT = f"{FILLER} {CAMERAS} {FILLER} {OPENING} {FILLER}"


def test_words_alone_cannot_tell_two_sentences_with_the_same_question_words_apart():
    shown = excerpt(QUESTION, TEXT, 120)
    assert CAMERAS in shown and OPENING not in shown, "a tie goes to the first sentence"


def test_meaning_picks_the_sentence_that_answers(components):
    shown = excerpt(QuestionMatch(QUESTION, components.embedder), TEXT, 120)
    assert OPENING in shown and shown in TEXT


def test_the_question_is_embedded_once_for_all_passages(components):
    calls = []

    class Counting:
        def embed(self, texts):
            calls.append(len(texts))
            return components.embedder.embed(texts)

    match = QuestionMatch(QUESTION, Counting())
    first = match.scores([CAMERAS, OPENING])
    second = match.scores([OPENING, CAMERAS])
    assert calls == [3, 2]
    assert first.lexical[0] == first.lexical[1] and first.combined[1] > first.combined[0]
    assert second.combined[0] > second.combined[1]


def test_the_settings_choose_how_sources_are_cut(components):
    chunk = Chunk(chunk_id="c1", doc_id="d1", source="bridge.md", format=SourceFormat.MD, title="The bridge",
                  section="", page=None, char_start=0, char_end=len(TEXT), text=TEXT, content_hash="h", index=0,
                  n_chunks=1)
    evidence = [Evidence(chunk=chunk, score=1.0)]
    by_meaning = GeneratorSettings(evidence_chars=240)
    by_words = by_meaning.model_copy(update={"excerpt_match": ExcerptMatch.LEXICAL})
    (semantic,) = shown_for(by_meaning, QUESTION, evidence, components.embedder)
    (lexical,) = shown_for(by_words, QUESTION, evidence, components.embedder)
    assert OPENING in semantic.excerpt and OPENING not in lexical.excerpt
    assert len(semantic.excerpt) <= 240 and semantic.excerpt in TEXT
