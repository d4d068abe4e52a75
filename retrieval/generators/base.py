"""The generator boundary: one request/response contract and one lifecycle, three backends (local, openai,
extractive). Callers never check a backend's type: they call `warm_up`, `readiness`, `describe` and `close`."""

from __future__ import annotations

import json
import math
import re
from typing import Callable, Iterator, Protocol

from pydantic import BaseModel, Field, SecretStr

from grounded.contracts import Evidence
from grounded.retrieval.prompts import NO_ANSWER, PROMPTS, PromptForm, system_prompt
from grounded.retrieval.spans import complete_span
from grounded.retrieval.untrusted import SOURCES_NOTE, frame_source


class ShownSource(BaseModel):
    """A retrieved chunk as the generator sees it: its marker and the excerpt sent (each line an exact substring)."""

    marker: int
    evidence: Evidence
    excerpt: str

    @property
    def heading(self) -> str:
        """Title and section path, each part once: a section path often starts with the title it sits under."""
        return " > ".join(self.evidence.chunk.heading_parts())


class ChatTurn(BaseModel):
    role: str = Field(pattern="^(user|assistant)$")
    content: str


class GenerationRequest(BaseModel):
    question: str
    sources: list[ShownSource]
    history: list[ChatTurn] = Field(default_factory=list)
    max_tokens: int = 256
    timeout_s: float | None = Field(default=None, description="the request's remaining time; None = the backend's")
    form: PromptForm = PromptForm.TEXT


class Generation(BaseModel):
    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int | None = Field(default=None, description="prompt tokens served from the KV cache")
    score: float | None = Field(default=None, description="the backend's own confidence, where it has one")
    answer_odds: float | None = Field(
        default=None, description="an LLM's own odds of answering rather than abstaining (JSON form), where known")
    missing_information: str | None = Field(default=None, description="what the model said the sources lack")


class GeneratorInfo(BaseModel):
    name: str
    model: str
    judges_evidence: bool = Field(description="reads the evidence and can decide it does not answer (an LLM)")
    endpoint: str | None = Field(default=None, description="OpenAI-compatible base URL, if the backend speaks one")


class Endpoint(BaseModel):
    """An OpenAI-compatible server a judge or tool can call."""

    base_url: str
    api_key: SecretStr
    model: str


class GeneratorError(RuntimeError):
    """The backend failed, timed out or answered outside the contract; the caller falls back."""


class Generator(Protocol):
    name: str
    model: str

    def generate(self, request: GenerationRequest) -> Generation: ...

    def stream(self, request: GenerationRequest) -> Iterator[str | Generation]:
        """Text deltas as they arrive, then the whole `Generation` as the last item."""
        ...

    def warm_up(self) -> None:
        """Load what the first answer would otherwise wait for; raises GeneratorError if that fails."""
        ...

    def readiness(self) -> str | None:
        """None when the backend can answer now, else why it cannot."""
        ...

    def describe(self) -> GeneratorInfo: ...

    def endpoint(self) -> Endpoint | None:
        """The OpenAI-compatible server behind this backend (starting it if needed), or None."""
        ...

    def close(self) -> None: ...


MISSING_MAX_CHARS = 48  # "in a few words": a longer phrase costs ~40 ms a token on 2 cores and is cut, then dropped
ANSWER_SCHEMA = {
    "oneOf": [
        {"type": "object", "properties": {"answer": {"type": "string", "maxLength": 200}},
         "required": ["answer"], "additionalProperties": False},
        {"type": "object", "properties": {"no_answer": {"type": "string", "maxLength": MISSING_MAX_CHARS}},
         "required": ["no_answer"], "additionalProperties": False},
    ]
}
# The reply is complete when its string closes: stopping there saves the decode that would only produce the end token.
# A compact object (`{"answer":"x"}`) arrives without this stop string; a laid-out one ends in '"\n}' and stops as
# usual. (A span holding an escaped quote right before a brace would stop early; it then fails to parse, and the
# pipeline falls back as for any invalid reply.)
JSON_STOP = '"}'


def answer_probability(logprobs) -> float | None:
    """The model's own odds of answering, from the JSON object's first key: P("answer") / (P("answer") + P("no")),
    read from the top alternatives at that token (`logprobs` as the OpenAI API returns them). The small models
    choose `answer` over `no_answer` too readily; the pipeline abstains below a floor tuned on held-apart data."""
    opened = False
    for token in getattr(logprobs, "content", None) or []:
        opened = opened or "{" in token.token
        word = _first_word(token.token)
        if word is None or not opened:
            continue  # the object or its first key has not started yet (llama.cpp may list a fence before it)
        if _key_kind(word) is None:
            return None  # the object did not start with one of the schema's keys
        top = [(alt.token, alt.logprob) for alt in token.top_logprobs or [token]]
        odds = two_way_odds(top, lambda t: _key_kind(_first_word(t) or ""), "answer")
        return round(odds, 4) if odds is not None else None
    return None


def two_way_odds(top: list[tuple[str, float]], kind: Callable[[str], str | None], of: str) -> float | None:
    """P(`of`) / P(either kind) from one token's top log-probabilities, each token sorted into one of two kinds (or
    none) by `kind`; None if neither kind appears. A model's own yes/no or answer/abstain odds."""
    mass: dict[str, float] = {}
    for token, logprob in top:
        if k := kind(token):
            mass[k] = mass.get(k, 0.0) + math.exp(logprob)
    total = sum(mass.values())
    return mass.get(of, 0.0) / total if total else None


_WORD_START = re.compile(r"[^\W\d_]+")


def _first_word(token: str) -> str | None:
    m = _WORD_START.search(token)
    return m.group(0).lower() if m and not token[: m.start()].strip('{" \n\t') else None


def _key_kind(word: str) -> str | None:
    if word.startswith("no"):
        return "no"
    return "answer" if word and ("answer".startswith(word) or word.startswith("answer")) else None


def render_sources(request: GenerationRequest) -> str:
    """The note on quoted data comes first: the same for every question, it joins the system prompt's cached prefix.
    A JSON reply names no source, so its sources go unnumbered and the excerpts under one heading (title > section)
    share one frame: the heading is read once (docs/results.md, issue 8, seventh round: ~30 prompt tokens a
    question)."""
    if request.form is PromptForm.TEXT:
        blocks = [frame_source(s.heading, [s.excerpt], s.marker) for s in request.sources]
    else:
        by_heading: dict[str, list[str]] = {}
        for s in request.sources:
            by_heading.setdefault(s.heading, []).append(s.excerpt)
        blocks = [frame_source(heading, excerpts) for heading, excerpts in by_heading.items()]
    ask = "Answer (or NO_ANSWER):" if request.form is PromptForm.TEXT else "JSON:"
    return f"{SOURCES_NOTE}\n\nSources:\n" + "\n".join(blocks) + f"\n\nQuestion: {request.question}\n{ask}"


def from_json_answer(raw: str, sources: list[ShownSource] = ()) -> tuple[str, str | None]:
    """The schema's JSON as the pipeline's text form: ('<answer> [n].', None) or (NO_ANSWER, what is missing).
    The model names no source (that would cost ~6 generated tokens per answer): the marker is the first shown source
    that holds the span, and the verifier checks every shown block anyway. A bare amount is completed from that
    source ("95" -> "EUR 95", retrieval/spans.py)."""
    data = _parse_reply(raw)
    if isinstance(data, dict) and isinstance(data.get("answer"), str):
        answer = data["answer"].strip().rstrip(".")
        if not answer:
            return NO_ANSWER, None
        source = _source_of(answer, data.get("source"), sources)
        if source is None:
            return f"{answer}.", None
        return f"{complete_span(answer, source.evidence.chunk.text)} [{source.marker}].", None
    if isinstance(data, dict) and "no_answer" in data:
        said = str(data["no_answer"]).strip()
        return NO_ANSWER, said if 0 < len(said) < MISSING_MAX_CHARS else None  # at the cap it was cut mid-phrase
    raise GeneratorError("generator returned JSON outside the answer schema")


def _parse_reply(raw: str) -> object:
    """The JSON reply, closed again if generation stopped at `JSON_STOP` (the server leaves the stop string out)."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        try:
            return json.loads(raw + JSON_STOP)
        except json.JSONDecodeError:
            raise GeneratorError(f"generator returned invalid JSON: {exc}") from exc


def _source_of(answer: str, named: object, sources: list[ShownSource]) -> ShownSource | None:
    """The source a span was copied from: the one the reply names, if it was shown (a server that ignores the schema
    may add one), else the first shown source whose text holds the span."""
    by_marker = {s.marker: s for s in sources}
    if isinstance(named, int) and named in by_marker:
        return by_marker[named]
    wanted = answer.casefold()
    return next((s for s in sources if wanted in s.evidence.chunk.text.casefold()), None)


def chat_messages(request: GenerationRequest) -> list[dict[str, str]]:
    """System prompt first and fixed (its KV cache is reused), then history, then sources + question."""
    messages = [{"role": "system", "content": system_prompt(PROMPTS[request.form])}]
    messages += [{"role": t.role, "content": t.content} for t in request.history[-4:]]
    messages.append({"role": "user", "content": render_sources(request)})
    return messages
