"""Request and response bodies of the HTTP API: one model per direction."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from grounded.contracts import COLLECTION_NAME_PATTERN, Answer, Citation, CollectionInfo, IngestReport, SourceRoot
from grounded.evals.promotion import ReindexReport
from grounded.store import SearchFilter
from grounded.retrieval.generators.base import ChatTurn

NAME_PATTERN = COLLECTION_NAME_PATTERN

CollectionName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
MAX_HISTORY_TURNS = 40
"""Earlier chat turns accepted per request; the JSON body limit (api.max_json_kb) bounds their text."""
Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class Role(StrEnum):
    READER = "reader"
    EDITOR = "editor"
    ADMIN = "admin"


class JobKind(StrEnum):
    UPLOAD = "upload"
    REINGEST = "reingest"
    REINDEX = "reindex"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ReadyState(StrEnum):
    READY = "ready"
    UNAVAILABLE = "unavailable"


# ---------------------------------------------------------------- errors


class ErrorBody(BaseModel):
    """Every error response: a readable `detail`; validation errors (422) also list pydantic's `errors`."""

    detail: str
    errors: list[dict] | None = Field(default=None, description="per-field validation errors (422 only)")


# ---------------------------------------------------------------- chat


class ChatRequest(BaseModel):
    collection: CollectionName
    question: Question
    history: list[ChatTurn] = Field(
        default_factory=list, max_length=MAX_HISTORY_TURNS, description="earlier turns, oldest first"
    )
    filters: SearchFilter | None = None
    top_k: int | None = Field(default=None, ge=1, le=50)
    stream: bool = Field(default=False, description="Server-Sent Events: retrieval, citation, sentence, retract, final, error")
    conversation_id: str | None = Field(
        default=None, max_length=200, description="stable id for canary routing: one conversation, one variant")
    user_id: str | None = Field(default=None, max_length=200, description="used for routing if no conversation_id")
    budget_ms: float | None = Field(default=None, gt=0, le=600_000, description="latency budget for this request")


# ---------------------------------------------------------------- OpenAI-compatible chat


class MessageRole(StrEnum):
    SYSTEM = "system"
    DEVELOPER = "developer"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: MessageRole
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(part.text for part in self.content if part.text)
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    """The OpenAI chat request; `model` names the collection. Other options (sampling, stream_options) are
    accepted and ignored: usage rides on the last chunk of a stream."""

    model_config = ConfigDict(extra="ignore")

    model: CollectionName
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_HISTORY_TURNS + 2)
    stream: bool = False


class CompletionUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class CompletionChoice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: CompletionUsage
    citations: list[Citation] = Field(description="the sources behind the [n] markers in the content")
    grounded: Answer = Field(description="the whole answer contract")


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: CompletionUsage | None = None
    citations: list[Citation] | None = None
    grounded: Answer | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "grounded"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


# ---------------------------------------------------------------- collections and jobs


class CollectionCreate(BaseModel):
    name: CollectionName
    source_path: str | None = Field(
        default=None, max_length=4096,
        description="server-side folder or corpus.jsonl for re-ingest, inside api.source_roots (absolute, or "
        "relative to the first root)",
    )


class CollectionOut(CollectionInfo):
    source_path: str | None = Field(
        default=None, description="the re-ingest source relative to its allowed root; null if unset or outside them"
    )
    sources: list[SourceRoot] = Field(
        default_factory=list, description="the roots inside api.source_roots, each path relative to its root"
    )
    chunks: int | None = Field(description="null while another process (a CLI ingest) holds the collection")


class ReingestRequest(BaseModel):
    path: str | None = Field(
        default=None, max_length=4096,
        description="sync this server-side path instead of the collection's source (inside api.source_roots)",
    )
    prune: bool = Field(
        default=True, description="also remove documents gone from the source folder (uploads are never pruned)"
    )


class JobProgress(BaseModel):
    files_total: int | None = Field(default=None, description="known once the source has been scanned")
    files_done: int = 0
    chunks: int = Field(default=0, description="chunks embedded and written so far")


class JobOut(BaseModel):
    id: str
    kind: JobKind
    collection: str
    status: JobStatus
    progress: JobProgress = Field(default_factory=JobProgress)
    report: IngestReport | ReindexReport | None = Field(
        default=None, description="the `grounded ingest --json` (or, for reindex, `grounded reindex --json`) summary")
    error: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


# ---------------------------------------------------------------- keys


class KeyCreate(BaseModel):
    role: Role
    collections: list[Annotated[str, StringConstraints(pattern=rf"(^\*$)|{NAME_PATTERN}")]] = Field(
        min_length=1, description='collection names, or ["*"] for all'
    )
    name: str | None = Field(default=None, max_length=100)


class KeyOut(BaseModel):
    id: str
    name: str | None
    role: Role
    collections: list[str]
    created_at: datetime


class KeyCreated(KeyOut):
    secret: str = Field(description="the API key; shown once, stored only as a hash")


# ---------------------------------------------------------------- health


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: ReadyState
    store: str
    generator: str
    reason: str | None = None
