"""Typed events of a streamed answer: `retrieval`, `sentence`, `citation`, `retract`, `final`, `error`.

A `sentence` is sent only once it has passed citation verification, so what a client shows stands; if the
generator fails mid-answer and the fallback answers instead, a `retract` withdraws the sentences sent so far
before `final`."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Union

from pydantic import BaseModel, Field

from grounded.contracts import Answer, AnswerSentence, Citation, Evidence


class EventType(StrEnum):
    RETRIEVAL = "retrieval"
    SENTENCE = "sentence"
    CITATION = "citation"
    RETRACT = "retract"
    FINAL = "final"
    ERROR = "error"


class RetrievalEvent(BaseModel):
    type: Literal[EventType.RETRIEVAL] = EventType.RETRIEVAL
    evidence: list[Evidence]


class SentenceEvent(BaseModel):
    type: Literal[EventType.SENTENCE] = EventType.SENTENCE
    sentence: AnswerSentence
    text: str = Field(description="the sentence as it appears in the answer text, markers included")


class CitationEvent(BaseModel):
    type: Literal[EventType.CITATION] = EventType.CITATION
    citation: Citation


class RetractEvent(BaseModel):
    type: Literal[EventType.RETRACT] = EventType.RETRACT
    reason: str = Field(description="why the sentences sent so far are withdrawn")


class FinalEvent(BaseModel):
    type: Literal[EventType.FINAL] = EventType.FINAL
    answer: Answer


class ErrorEvent(BaseModel):
    type: Literal[EventType.ERROR] = EventType.ERROR
    message: str
    status_code: int = 500


StreamEvent = Union[RetrievalEvent, SentenceEvent, CitationEvent, RetractEvent, FinalEvent, ErrorEvent]
