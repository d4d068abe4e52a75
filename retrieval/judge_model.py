"""The judge's last step: the shipped local LLM answers "is every part of the claim supported?" with yes or no,
and we read P(yes) from the first token's log-probabilities (one generated token; the fixed system prompt comes
first so llama.cpp reuses its KV cache across calls). It brings up its own in-process runtime unless it is handed
the endpoint of one already running, so it works whatever the generator backend is."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import openai

from grounded.retrieval.generators.base import two_way_odds

log = logging.getLogger(__name__)

SYSTEM = (
    "You check citations. You get evidence sentences and a claim. Answer yes if the evidence states every part of "
    "the claim: each name, number, date and each clause. Answer no if any part is missing or different. "
    "Answer with one word: yes or no."
)


def p_yes_from_logprobs(top: list[tuple[str, float]]) -> float | None:
    """P(yes) / (P(yes) + P(no)) from the first token's top log-probabilities; None if neither appears."""
    return two_way_odds(top, lambda t: t.strip().lower() if t.strip().lower() in ("yes", "no") else None, "yes")


QUESTION = "Is the claim supported?"
MAX_EVIDENCE_CHARS = 500  # ~125 tokens: prompt evaluation is most of a call's cost on 2 busy cores


def _capped(evidence: list[str], limit: int = MAX_EVIDENCE_CHARS) -> list[str]:
    """The quotes in order, cut so that together they stay under `limit` characters."""
    out, used = [], 0
    for e in evidence:
        if used >= limit:
            break
        out.append(e[: limit - used])
        used += len(out[-1])
    return out


class ModelJudge:
    """`p_yes(claim, evidence, timeout_s)` through an OpenAI-compatible endpoint of the local model.
    With `models_dir`, starts (on first use) and owns an embedded server; `close()` stops it."""

    def __init__(
        self,
        *,
        models_dir: Path | None = None,
        kind: str | None = None,
        endpoint: tuple[str, str, str] | None = None,
        threads: int = 2,
        n_ctx: int = 2048,
    ) -> None:
        if (models_dir is None) == (endpoint is None):
            raise ValueError("give exactly one of models_dir (own runtime) or endpoint (base_url, api_key, model)")
        self._models_dir, self._kind, self._threads, self._n_ctx = models_dir, kind, threads, n_ctx
        self._endpoint = endpoint
        self._server = None
        self._client: openai.OpenAI | None = None
        self._lock = threading.Lock()
        self.calls = 0

    def start(self) -> "ModelJudge":
        with self._lock:
            if self._client is not None:
                return self
            if self._endpoint is None:
                from grounded.retrieval.generators.local_runtime import DEFAULT_MODEL, LocalLLMServer, assemble_model

                kind = self._kind or DEFAULT_MODEL
                self._server = LocalLLMServer(assemble_model(kind, self._models_dir), model_name=kind,
                                              n_ctx=self._n_ctx, n_threads=self._threads).start()
                self._endpoint = (self._server.base_url, self._server.api_key, kind)
            base_url, api_key, _ = self._endpoint
            self._client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0)
        return self

    @property
    def endpoint(self) -> tuple[str, str, str]:
        """(base_url, api_key, model) of the runtime, started if needed: other judges (RAGAS) may share it."""
        self.start()
        assert self._endpoint is not None
        return self._endpoint

    def p_yes(self, claim: str, evidence: list[str], timeout_s: float = 60.0, question: str = QUESTION) -> float | None:
        """P(yes) to `question` about the claim and its evidence (default: does the evidence support it?), or None
        if the model could not answer within `timeout_s`."""
        self.start()
        assert self._client is not None and self._endpoint is not None
        body = "Evidence:\n" + "\n".join(f"- {e}" for e in _capped(evidence)) + f"\n\nClaim: {claim}\n\n{question}"
        try:
            resp = self._client.chat.completions.create(
                model=self._endpoint[2],
                messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": body}],
                max_tokens=1, temperature=0.0, logprobs=True, top_logprobs=10, timeout=max(timeout_s, 0.1),
            )
            self.calls += 1
            content = resp.choices[0].logprobs.content if resp.choices[0].logprobs else None
        except (openai.OpenAIError, IndexError, AttributeError) as exc:
            log.warning("model judge unavailable: %s: %s", type(exc).__name__, exc)
            return None
        if not content:
            return None
        return p_yes_from_logprobs([(t.token, t.logprob) for t in content[0].top_logprobs])

    def close(self) -> None:
        with self._lock:
            server, self._server, self._client = self._server, None, None
            if server is not None:
                self._endpoint = None
        if server is not None:
            server.close()

    def __enter__(self) -> "ModelJudge":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
