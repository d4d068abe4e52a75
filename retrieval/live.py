"""Streaming only what stands: which sentences of a growing generator output are finished, and which verified
sentences (with their citations) a client has not been sent yet."""

from __future__ import annotations

from typing import Iterator

from grounded.retrieval.events import CitationEvent, RetractEvent, SentenceEvent, StreamEvent
from grounded.retrieval.run import AnswerRun
from grounded.retrieval.verify import Verified, split_sentences


def sync_shown(run: AnswerRun, verified: Verified) -> Iterator[StreamEvent]:
    """Send the verified sentences not shown yet (citations first); retract if what was shown no longer holds."""
    texts = sentence_texts(verified)
    if run.shown != texts[: len(run.shown)]:
        yield RetractEvent(reason="verification of the whole answer changed sentences already sent")
        run.shown.clear()
        run.announced.clear()
    by_marker = {c.marker: c for c in verified.citations}
    for sentence, text in list(zip(verified.sentences, texts))[len(run.shown):]:
        for marker in sentence.markers:
            if marker not in run.announced and marker in by_marker:
                run.announced.add(marker)
                yield CitationEvent(citation=by_marker[marker])
        run.shown.append(text)
        yield SentenceEvent(sentence=sentence, text=text)


def complete_sentences(text: str) -> list[str]:
    """The sentences of a growing text that are finished: all but the last, unless that one has ended too."""
    sentences = split_sentences(text)
    if sentences and not (text[-1:].isspace() and sentences[-1][-1:] in ".!?]"):
        sentences.pop()
    return sentences


def sentence_texts(verified: Verified) -> list[str]:
    return [s.text + " " + "".join(f"[{m}]" for m in s.markers) for s in verified.sentences]
