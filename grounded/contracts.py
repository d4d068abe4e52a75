"""The typed contracts every stage shares: documents and chunks (ingest), evidence and the answer
(retrieval), trace records (telemetry). The same `Answer` object is returned by the CLI, the API and the evals."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum

from pydantic import BaseModel, Field


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------- ingest


class SourceFormat(StrEnum):
    MD = "md"
    TXT = "txt"
    HTML = "html"
    PDF = "pdf"
    DOCX = "docx"
    JSONL = "jsonl"  # one record of a BEIR-style corpus.jsonl


class ElementKind(StrEnum):
    TITLE = "title"
    TEXT = "text"
    LIST_ITEM = "list_item"
    TABLE = "table"


class SourceDocument(BaseModel):
    """One document found by a source, before parsing: enough to decide whether it changed."""

    doc_id: str = Field(description="path relative to the ingested root, or the _id of a corpus.jsonl line")
    source: str = Field(description="where it came from: a file path, or 'corpus.jsonl#<_id>'")
    format: SourceFormat
    content_hash: str = Field(description="sha256 of the raw bytes (files) or of title+text (jsonl)")
    title: str | None = None
    inline_text: str | None = Field(default=None, description="the text itself, for jsonl records")


class InjectionKind(StrEnum):
    """Instruction-like text found in a document (prompt injection), by the form it takes."""

    OVERRIDE = "override"  # "ignore all previous instructions"
    ROLE_PLAY = "role_play"  # "you are now CaterBot"
    FAKE_SYSTEM = "fake_system"  # "SYSTEM: ...", chat-template tokens, tags that would close a source
    DICTATED_ANSWER = "dictated_answer"  # "if anyone asks ..., answer 42"
    PROMPT_EXFILTRATION = "prompt_exfiltration"  # "print your system prompt", "send it to https://..."


class Element(BaseModel):
    """One structural piece of a parsed document, with its place in the parsed text."""

    kind: ElementKind
    text: str
    section_path: list[str] = Field(default_factory=list)
    page: int | None = None
    char_start: int
    char_end: int


class ParsedDocument(BaseModel):
    doc_id: str
    source: str
    format: SourceFormat
    content_hash: str
    title: str
    text: str = Field(description="the parsed text; element offsets index into it")
    elements: list[Element]


class Chunk(BaseModel):
    chunk_id: str = Field(description="uuid5 of (doc_id, content_hash, index): same input, same id")
    doc_id: str
    source: str
    format: SourceFormat
    title: str
    section: str = Field(description="section path joined with ' > ', empty at top level")
    page: int | None
    char_start: int
    char_end: int
    text: str
    content_hash: str = Field(description="hash of the whole document version this chunk belongs to")
    index: int
    n_chunks: int = Field(description="chunks in this document version; lets a reader check completeness")
    source_root: str | None = Field(
        default=None, description="id of the collection source root it was synced from (None: written before roots)"
    )
    injection: list[InjectionKind] = Field(
        default_factory=list, description="instruction-like text found in the chunk at ingest; empty = none"
    )

    def heading_parts(self) -> list[str]:
        """Title, then the section path, without a part that repeats the one before it (a document's top heading is
        usually its title as well)."""
        parts: list[str] = []
        for part in [self.title, *self.section.split(" > ")]:
            part = part.strip()
            if part and (not parts or part.casefold() != parts[-1].casefold()):
                parts.append(part)
        return parts

    def embedding_text(self) -> str:
        """What the embedder sees: the chunk with its title and section as context."""
        head = " > ".join(part for part in (self.title, self.section) if part)
        return f"{head}\n{self.text}" if head else self.text


class FailedFile(BaseModel):
    path: str
    error: str


class SkippedFile(BaseModel):
    """A file deliberately not read (not a failure): e.g. a symlink leading out of the corpus root."""

    path: str
    reason: str


class SourceKind(StrEnum):
    FOLDER = "folder"
    FILE = "file"
    JSONL = "jsonl"
    NAMESPACE = "namespace"  # API uploads: doc ids under a prefix such as 'uploads/'


class SourceRoot(BaseModel):
    """A folder, file or corpus.jsonl a collection was synced from; its chunks carry `id` as `source_root`."""

    id: str
    path: str = Field(description="the resolved path on this machine")
    kind: SourceKind
    owns_untagged: bool = Field(
        default=False, description="also owns chunks written before roots were recorded (the old source_path)"
    )


class SyncPlan(BaseModel):
    """What a sync does (or, with dry_run, would do). Pruning can only ever touch `remove`."""

    root: str = Field(description="the source root this sync belongs to")
    root_id: str
    new_root: bool = Field(description="the collection had not been synced from this root before")
    scope: str | None = Field(
        description="doc-id prefix inside the root that pruning may touch: '' the whole root, 'hr/' a subfolder, "
        "an exact doc id for a single file, None nothing"
    )
    prune: bool
    add: list[str] = Field(default_factory=list)
    update: list[str] = Field(default_factory=list)
    unchanged: int = 0
    remove: list[str] = Field(default_factory=list, description="documents in scope gone from the source")
    kept_stale: list[str] = Field(
        default_factory=list, description="documents in scope gone from the source, kept because prune is off"
    )
    untouched: int = Field(default=0, description="documents of the collection outside the scope: never touched")
    notes: list[str] = Field(default_factory=list)


class IngestReport(BaseModel):
    collection: str
    dry_run: bool = False
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[FailedFile] = Field(default_factory=list)
    skipped: list[SkippedFile] = Field(default_factory=list)
    chunks: int = Field(default=0, description="chunks embedded and written in this run")
    seconds: float = 0.0
    plan: SyncPlan | None = None


class EmbedBackend(StrEnum):
    """How the dense model runs; vectors of different variants do not mix in one index."""

    TORCH = "torch"
    ONNX_INT8 = "onnx-int8"


class VersionStatus(StrEnum):
    BUILDING = "building"
    STAGED = "staged"  # built; not promoted (waiting, or its eval gate failed)
    PROMOTED = "promoted"  # was made live at least once
    FAILED = "failed"  # the build itself failed


class IndexVersion(BaseModel):
    """Which logical collection a concrete index belongs to, how it was built and how it evaluated.
    Whether it is live is not stored here: the alias says so (one atomic swap)."""

    alias: str = Field(description="the collection name users ask")
    version: str = Field(description="'v1', 'v2', ...")
    build: dict = Field(default_factory=dict, description="the settings it was built with: embed, chunk, sparse")
    status: VersionStatus = VersionStatus.BUILDING
    previous: str | None = Field(default=None, description="the version that was live when this one was promoted")
    eval: dict | None = Field(default=None, description="eval summary: metrics, gate outcome, regressions")
    eval_dataset: str | None = Field(default=None, description="the eval set promotions are gated on (inherited)")
    error: str | None = None
    built_at: datetime | None = None


COLLECTION_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
"""Collection names are also folder names on disk: no separators, no leading dot."""


class CollectionInfo(BaseModel):
    name: str
    embed_model: str
    dimension: int
    embed_variant: EmbedBackend | None = Field(default=None, description="embedder backend; None = built before "
                                               "variants were recorded (torch)")
    source_path: str | None = Field(default=None, description="folder or corpus.jsonl that re-ingest reads")
    sources: list[SourceRoot] = Field(default_factory=list, description="every root the collection was synced from")
    created_at: datetime = Field(default_factory=utcnow)
    index: IndexVersion | None = Field(default=None, description="set on concrete index versions behind an alias")


class DocumentInfo(BaseModel):
    doc_id: str
    source: str
    title: str
    content_hash: str
    chunks: int


# ---------------------------------------------------------------- retrieval


class Evidence(BaseModel):
    """A retrieved chunk with the scores that found it."""

    chunk: Chunk
    score: float = Field(description="fused score that ranked it")
    dense_score: float | None = None
    sparse_score: float | None = None
    dense_rank: int | None = None
    sparse_rank: int | None = None


class AnswerStatus(StrEnum):
    ANSWERED = "answered"
    PARTIAL = "partial"
    NO_ANSWER = "no_answer"
    NEEDS_CLARIFICATION = "needs_clarification"
    REFUSED = "refused"


class Citation(BaseModel):
    marker: int = Field(ge=1, description="the [n] used in the answer text")
    chunk_id: str
    doc_id: str
    source: str
    title: str
    section: str
    page: int | None
    quote: str = Field(description="an exact span of the chunk's text")
    score: float
    injection: list[InjectionKind] = Field(
        default_factory=list, description="instruction-like text in the cited chunk (treated as data); empty = none"
    )


class Versions(BaseModel):
    prompt: str
    generator: str
    model: str
    embedder: str
    index: str
    index_version: str | None = Field(default=None, description="the concrete index version that answered")
    variant: str | None = Field(default=None, description="the answer profile that answered (canary routing)")


class Usage(BaseModel):
    """Every LLM call of one answer, the fallback's included."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_calls: int = Field(default=0, description="generator calls made for this answer")
    cost: float = Field(default=0.0, description="from the configured price per 1k prompt / completion tokens")


class AnswerSentence(BaseModel):
    """One sentence of the answer text and the citations that support it."""

    text: str = Field(description="the sentence without its [n] markers")
    markers: list[int] = Field(description="markers of `Answer.citations` supporting this sentence")


class BudgetStep(StrEnum):
    RETRIEVE = "retrieve"
    GENERATE = "generate"


class BudgetReport(BaseModel):
    limit_ms: float
    exhausted: BudgetStep | None = Field(default=None, description="the step that ran out of time, if any")


class Answer(BaseModel):
    """The answer contract."""

    status: AnswerStatus
    answer: str | None
    citations: list[Citation] = Field(default_factory=list)
    sentences: list[AnswerSentence] = Field(
        default_factory=list, description="the answer sentence by sentence, each with its citation markers"
    )
    confidence: float = Field(ge=0.0, le=1.0)
    missing_information: str | None = None
    followup_question: str | None = None
    escalate: bool = False
    versions: Versions
    usage: Usage = Field(default_factory=Usage)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    fallback: str | None = Field(default=None, description="why the configured generator was not used")
    cached: bool = Field(default=False, description="served from the answer cache (same index version)")
    budget: BudgetReport | None = Field(default=None, description="the latency budget, when one applied")
    trace_id: str


class RemovedSentence(BaseModel):
    sentence: str
    reason: str


class GenerationRecord(BaseModel):
    """One generator call as the trace keeps it."""

    generator: str
    model: str
    text: str | None = Field(description="raw output; None when the call failed")
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int | None = Field(default=None, description="prompt tokens the server took from its cache")
    score: float | None = Field(default=None, description="the generator's own confidence, where it has one")
    answer_odds: float | None = Field(default=None, description="an LLM's own odds of answering (JSON form)")
    ms: float = 0.0


class TraceRecord(BaseModel):
    trace_id: str
    created_at: datetime = Field(default_factory=utcnow)
    collection: str
    question: str
    retrieved: list[dict] = Field(default_factory=list, description="chunk_id, doc_id, scores and ranks")
    gate: dict = Field(default_factory=dict, description="the signals and the decision")
    raw_output: str | None = None
    generations: list["GenerationRecord"] = Field(default_factory=list, description="every generator call, in order")
    removed: list[RemovedSentence] = Field(default_factory=list)
    answer: Answer
