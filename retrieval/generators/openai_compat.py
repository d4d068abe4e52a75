"""`openai` backend: any OpenAI-compatible chat server (vLLM, llama.cpp server, Ollama, a hosted API).

Uses the official `openai` client directly rather than llama-index's OpenAILike: we need token usage inside
streams and a hard per-call timeout with no hidden retries, which the wrapper does not expose.
"""

from __future__ import annotations

from typing import Iterator

import openai

from grounded.retrieval.generators.base import Generation, GenerationRequest, GeneratorError, chat_messages


class OpenAICompatGenerator:
    name = "openai"

    def __init__(
        self, base_url: str, model: str, api_key: str, timeout_s: float, temperature: float = 0.0, name: str = "openai"
    ) -> None:
        self.name = name
        self.model = model
        self._temperature = temperature
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=0)

    def generate(self, request: GenerationRequest) -> Generation:
        try:
            resp = self._client.chat.completions.create(
                model=self.model,
                messages=chat_messages(request),
                max_tokens=request.max_tokens,
                temperature=self._temperature,
            )
            text = resp.choices[0].message.content
        except openai.APITimeoutError as exc:
            raise GeneratorError(f"generator timed out: {exc}") from exc
        except openai.OpenAIError as exc:
            raise GeneratorError(f"generator failed: {type(exc).__name__}: {exc}") from exc
        except (IndexError, AttributeError, TypeError, ValueError) as exc:
            raise GeneratorError(f"generator returned an invalid response: {exc}") from exc
        if not isinstance(text, str):
            raise GeneratorError("generator returned no text")
        usage = resp.usage
        return Generation(
            text=text,
            model=resp.model or self.model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
        )

    def stream(self, request: GenerationRequest) -> Iterator[str | Generation]:
        parts: list[str] = []
        prompt_tokens = completion_tokens = 0
        try:
            events = self._client.chat.completions.create(
                model=self.model,
                messages=chat_messages(request),
                max_tokens=request.max_tokens,
                temperature=self._temperature,
                stream=True,
                stream_options={"include_usage": True},
            )
            for event in events:
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
            text="".join(parts), model=self.model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
        )
