"""`openai` backend: any OpenAI-compatible chat server (vLLM, llama.cpp server, Ollama, a hosted API).

Uses the official `openai` client directly rather than llama-index's OpenAILike: we need token usage inside
streams and a hard per-call timeout with no hidden retries, which the wrapper does not expose.
"""

from __future__ import annotations

import time
from typing import Iterator

import openai

from grounded.retrieval.generators.base import (
    ANSWER_SCHEMA,
    JSON_STOP,
    Endpoint,
    Generation,
    GenerationRequest,
    GeneratorError,
    GeneratorInfo,
    answer_probability,
    chat_messages,
    from_json_answer,
)
from grounded.retrieval.prompts import PromptForm

PROBE_TIMEOUT_S = 2.0


class OpenAICompatGenerator:
    name = "openai"

    def __init__(
        self, base_url: str, model: str, api_key: str, timeout_s: float, temperature: float = 0.0, name: str = "openai",
        answer_odds: bool = False,
    ) -> None:
        """`answer_odds`: ask for log-probabilities in JSON form and report the model's odds of answering as the
        generation's `answer_odds` (the embedded server supports it; a remote one may not)."""
        self.name = name
        self._answer_odds = answer_odds
        self.model = model
        self._temperature = temperature
        self._base_url, self._api_key, self._timeout_s = base_url, api_key, timeout_s
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=0)

    def warm_up(self) -> None:
        """A remote server is someone else's to start; `readiness` reports whether it answers."""

    def readiness(self) -> str | None:
        try:
            self._client.with_options(timeout=PROBE_TIMEOUT_S).models.list()
        except openai.APIConnectionError as exc:  # includes timeouts; any HTTP answer means the server is up
            return f"generator server unreachable at {self._base_url}: {type(exc).__name__}"
        except openai.APIStatusError:
            pass
        return None

    def describe(self) -> GeneratorInfo:
        return GeneratorInfo(name=self.name, model=self.model, judges_evidence=True, endpoint=self._base_url)

    def endpoint(self) -> Endpoint | None:
        return Endpoint(base_url=self._base_url, api_key=self._api_key, model=self.model)

    def close(self) -> None:
        self._client.close()

    def _client_for(self, request: GenerationRequest) -> openai.OpenAI:
        return self._client if request.timeout_s is None else self._client.with_options(timeout=request.timeout_s)

    def generate(self, request: GenerationRequest) -> Generation:
        extra = {}
        if request.form is PromptForm.JSON:
            extra["response_format"] = {"type": "json_schema", "json_schema": {"name": "answer", "schema": ANSWER_SCHEMA}}
            extra["stop"] = [JSON_STOP]
            if self._answer_odds:
                extra.update(logprobs=True, top_logprobs=5)
        try:
            resp = self._client_for(request).chat.completions.create(
                model=self.model,
                messages=chat_messages(request),
                max_tokens=request.max_tokens,
                temperature=self._temperature,
                **extra,
            )
            text = resp.choices[0].message.content
            odds = answer_probability(resp.choices[0].logprobs) if "logprobs" in extra else None
        except openai.APITimeoutError as exc:
            raise GeneratorError(f"generator timed out: {exc}") from exc
        except openai.OpenAIError as exc:
            raise GeneratorError(f"generator failed: {type(exc).__name__}: {exc}") from exc
        except (IndexError, AttributeError, TypeError, ValueError) as exc:
            raise GeneratorError(f"generator returned an invalid response: {exc}") from exc
        if not isinstance(text, str):
            raise GeneratorError("generator returned no text")
        missing = None
        if request.form is PromptForm.JSON:
            text, missing = from_json_answer(text, request.sources)
        usage = resp.usage
        timings = (resp.model_extra or {}).get("timings") or {}  # llama.cpp's server reports its KV-cache reuse
        return Generation(
            text=text,
            model=resp.model or self.model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            cached_prompt_tokens=timings.get("cache_n"),
            answer_odds=odds,
            missing_information=missing,
        )

    def stream(self, request: GenerationRequest) -> Iterator[str | Generation]:
        if request.form is PromptForm.JSON:  # a short span, weighed and verified whole: no text before the result
            yield self.generate(request)
            return
        parts: list[str] = []
        prompt_tokens = completion_tokens = 0
        cached = None
        try:
            events = self._client_for(request).chat.completions.create(
                model=self.model,
                messages=chat_messages(request),
                max_tokens=request.max_tokens,
                temperature=self._temperature,
                stream=True,
                stream_options={"include_usage": True},
            )
            deadline = time.monotonic() + (request.timeout_s or self._timeout_s)
            for event in events:
                cached = ((event.model_extra or {}).get("timings") or {}).get("cache_n", cached)
                if time.monotonic() > deadline:  # the client's timeout bounds each read, not the whole stream
                    events.close()
                    raise GeneratorError("generator timed out while streaming")
                if event.usage:
                    prompt_tokens, completion_tokens = event.usage.prompt_tokens, event.usage.completion_tokens
                if event.choices and event.choices[0].delta.content:
                    parts.append(event.choices[0].delta.content)
                    yield event.choices[0].delta.content
        except openai.APITimeoutError as exc:
            raise GeneratorError(f"generator timed out: {exc}") from exc
        except openai.OpenAIError as exc:
            raise GeneratorError(f"generator failed: {type(exc).__name__}: {exc}") from exc
        yield Generation(
            text="".join(parts), model=self.model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
            cached_prompt_tokens=cached,
        )
