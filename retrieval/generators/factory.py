"""Build the configured generator (and the extractive fallback every answer can drop to)."""

from __future__ import annotations

from grounded.embedder import Embedder
from grounded.settings import GeneratorBackend, Settings
from grounded.retrieval.generators.base import Generator
from grounded.retrieval.generators.extractive import ExtractiveGenerator


def build_generator(settings: Settings, embedder: Embedder) -> Generator:
    g = settings.generator
    if g.backend is GeneratorBackend.EXTRACTIVE:
        return ExtractiveGenerator(embedder)
    if g.backend is GeneratorBackend.OPENAI:
        if not g.base_url:
            raise ValueError("generator.backend=openai needs GROUNDED_GENERATOR__BASE_URL")
        from grounded.retrieval.generators.openai_compat import OpenAICompatGenerator

        return OpenAICompatGenerator(g.base_url, g.model, g.api_key.get_secret_value(), g.timeout_s, g.temperature)
    from grounded.retrieval.generators.local import LocalGenerator

    return LocalGenerator(g, settings.models_dir)
