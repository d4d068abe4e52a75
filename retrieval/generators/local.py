"""`local` backend, the embedded offline default: a small instruct model shipped inside PyPI packages, served
in-process by llama.cpp (xllamacpp) on 127.0.0.1 and spoken to through the same OpenAI-compatible client as any
other server. Started on first use; a missing or broken model is a GeneratorError, so answers fall back."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator

from grounded.settings import GeneratorSettings, SpeculativeMode
from grounded.retrieval.generators.base import Endpoint, Generation, GenerationRequest, GeneratorError, GeneratorInfo
from grounded.retrieval.generators.openai_compat import OpenAICompatGenerator


class LocalGenerator:
    name = "local"

    def __init__(self, settings: GeneratorSettings, models_dir: Path) -> None:
        self.model = settings.local_model
        self._settings = settings
        self._models_dir = models_dir
        self._server = None
        self._client: OpenAICompatGenerator | None = None
        self._lock = threading.Lock()

    def _ready(self) -> OpenAICompatGenerator:
        with self._lock:
            if self._client is not None:
                return self._client
            from grounded.retrieval.generators.local_runtime import LocalLLMServer, ModelNotInstalledError, assemble_model

            try:
                path = assemble_model(self.model, self._models_dir)
                g = self._settings
                server = LocalLLMServer(
                    path, model_name=self.model, n_ctx=g.local_ctx, n_threads=g.local_threads,
                    n_threads_batch=g.local_threads_batch, speculative_ngram=g.local_speculative is SpeculativeMode.NGRAM,
                ).start()
            except (ModelNotInstalledError, FileNotFoundError, RuntimeError, ValueError) as exc:
                raise GeneratorError(f"local model unavailable: {exc}") from exc
            self._server = server
            self._client = OpenAICompatGenerator(
                server.base_url, self.model, server.api_key, self._settings.timeout_s, self._settings.temperature,
                name=self.name, answer_odds=True,
            )
            return self._client

    def warm_up(self) -> None:
        """Load the model and evaluate the fixed system prompt once, so the first question reuses its KV cache."""
        client = self._ready()
        try:
            ping = GenerationRequest(question="ready?", sources=[], max_tokens=1, form=self._settings.prompt_form)
            client.generate(ping)
        except GeneratorError:
            pass  # a one-token reply is not an answer (JSON form); the prompt is cached all the same

    def readiness(self) -> str | None:
        """Ready once started (the app starts it at start-up; a failed start makes answers fall back)."""
        if self._server is not None and not self._server.health():
            return "the embedded LLM server does not answer /health"
        return None

    def describe(self) -> GeneratorInfo:
        server = self._server
        endpoint = server.base_url if server else None
        return GeneratorInfo(name=self.name, model=self.model, judges_evidence=True, endpoint=endpoint)

    def endpoint(self) -> Endpoint | None:
        self._ready()
        return Endpoint(base_url=self._server.base_url, api_key=self._server.api_key, model=self.model)

    def generate(self, request: GenerationRequest) -> Generation:
        return self._ready().generate(request)

    def stream(self, request: GenerationRequest) -> Iterator[str | Generation]:
        yield from self._ready().stream(request)

    def close(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.close()
            self._server = self._client = None
