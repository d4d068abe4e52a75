"""The generator boundary: one request/response contract, three backends (local, openai, extractive)."""

from __future__ import annotations

from typing import Iterator, Protocol

from pydantic import BaseModel, Field

from grounded.retrieval.prompts import NO_ANSWER, PROMPT_VERSION, system_prompt
from grounded.retrieval.untrusted import SOURCES_NOTE, frame_source


class EvidenceBlock(BaseModel):
    """One numbered source as the generator sees it: a trimmed excerpt of a retrieved chunk."""

    marker: int
    title: str
    section: str
    text: str


class ChatTurn(BaseModel):
    role: str = Field(pattern="^(user|assistant)$")
    content: str


class GenerationRequest(BaseModel):
    question: str
    evidence: list[EvidenceBlock]
    history: list[ChatTurn] = Field(default_factory=list)
    max_tokens: int = 256
    prompt_version: str = PROMPT_VERSION


class Generation(BaseModel):
    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


class GeneratorError(RuntimeError):
    """The backend failed, timed out or answered outside the contract; the caller falls back."""


class Generator(Protocol):
    name: str
    model: str

    def generate(self, request: GenerationRequest) -> Generation: ...

    def stream(self, request: GenerationRequest) -> Iterator[str | Generation]:
        """Text deltas as they arrive, then the whole `Generation` as the last item."""
        ...


def render_sources(request: GenerationRequest) -> str:
    blocks = [
        frame_source(ev.marker, " > ".join(p for p in (ev.title, ev.section) if p), ev.text) for ev in request.evidence
    ]
    return (
        "Sources:\n" + "\n".join(blocks) + f"\n{SOURCES_NOTE}\n\nQuestion: {request.question}\nAnswer (or {NO_ANSWER}):"
    )


def chat_messages(request: GenerationRequest) -> list[dict[str, str]]:
    """System prompt first and fixed (its KV cache is reused), then history, then sources + question."""
    messages = [{"role": "system", "content": system_prompt(request.prompt_version)}]
    messages += [{"role": t.role, "content": t.content} for t in request.history[-4:]]
    messages.append({"role": "user", "content": render_sources(request)})
    return messages
