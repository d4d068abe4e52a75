"""Typed events of a streamed answer: `retrieval`, `token`, `citation`, `final`, `error`."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Union

from pydantic import BaseModel

from grounded.contracts import Answer, Citation


class EventType(StrEnum):
    RETRIEVAL = "retrieval"
    TOKEN = "token"
    CITATION = "citation"
    FINAL = "final"
    ERROR = "error"


class EvidenceSummary(BaseModel):
    chunk_id: str
    doc_id: str
    title: str
    section: str
    page: int | None
    score: float
    text: str


class RetrievalEvent(BaseModel):
    type: Literal[EventType.RETRIEVAL] = EventType.RETRIEVAL
    evidence: list[EvidenceSummary]


class TokenEvent(BaseModel):
    type: Literal[EventType.TOKEN] = EventType.TOKEN
    text: str


class CitationEvent(BaseModel):
    type: Literal[EventType.CITATION] = EventType.CITATION
    citation: Citation


class FinalEvent(BaseModel):
    type: Literal[EventType.FINAL] = EventType.FINAL
    answer: Answer


class ErrorEvent(BaseModel):
    type: Literal[EventType.ERROR] = EventType.ERROR
    message: str
    status_code: int = 500


StreamEvent = Union[RetrievalEvent, TokenEvent, CitationEvent, FinalEvent, ErrorEvent]
