"""ragas 0.4.3 metrics over eval samples, fully offline.

Without a judge: ID-based context precision/recall (retrieved vs reference ids) and non-LLM context recall
(retrieved vs reference context texts, string similarity). With a judge (any OpenAI-compatible server, e.g.
the embedded llama.cpp one): faithfulness, response relevancy (+ local MiniLM embeddings), and LLM context
precision/recall against the reference answer.

Per-sample scores are ``None`` when a metric does not apply (abstention for answer metrics, no reference,
nothing retrieved for a precision) and NaN when ragas or the judge fails on that sample; both are counted by
:func:`evals.metrics.aggregate.mean_metric`, never averaged in. Recall with nothing retrieved is 0.

The LLM metrics use ``ragas.metrics.collections`` with an ``InstructorLLM`` over ``openai.AsyncOpenAI``
in instructor's JSON_SCHEMA mode (``response_format`` json_schema): the server constrains the output to the
schema, and the schema stays out of the prompt (``llm_factory`` uses JSON mode, which adds it to the system
prompt: more tokens for a slow local judge). The non-LLM metrics have no ``collections`` version in 0.4.3,
so they come from the classic modules (the public ``ragas.metrics`` re-export warns as deprecated).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

import grounded  # noqa: F401  (sets RAGAS_DO_NOT_TRACK, HF_HUB_OFFLINE before ragas is imported lazily)
from grounded.evals.metrics.aggregate import MetricValue, mean_metric

if TYPE_CHECKING:
    from ragas.embeddings.base import BaseRagasEmbedding
    from ragas.llms import InstructorBaseRagasLLM

log = logging.getLogger(__name__)

NON_LLM_METRICS = ("ragas_id_context_precision", "ragas_id_context_recall", "ragas_nonllm_context_recall")
LLM_METRICS = (
    "ragas_faithfulness",
    "ragas_response_relevancy",
    "ragas_llm_context_precision",
    "ragas_llm_context_recall",
)
ALL_METRICS = NON_LLM_METRICS + LLM_METRICS


class RagasSample(BaseModel):
    """One answered (or abstained) question with what was retrieved and what should have been."""

    question: str
    answer: str | None = None  # None: the system abstained
    contexts: list[str] = Field(default_factory=list)  # retrieved chunk texts, in rank order
    reference: str | None = None  # reference answer
    reference_contexts: list[str] = Field(default_factory=list)
    retrieved_ids: list[str] = Field(default_factory=list)
    reference_ids: list[str] = Field(default_factory=list)


class JudgeConfig(BaseModel):
    """An OpenAI-compatible chat server used as the ragas judge."""

    base_url: str
    model: str
    api_key: str
    timeout_s: float = 300.0  # per request; per sample: faithfulness 2, relevancy 3, precision 1 per context, recall 1
    max_tokens: int = 1024
    response_format: Literal["json_schema", "json_object"] = "json_schema"  # json_object: no schema support


class RagasResult(BaseModel):
    metrics: dict[str, MetricValue]
    per_sample: list[dict[str, float | None]]  # one dict per input sample, keyed like ``metrics``
    errors: list[str]  # "sample i metric: error" for every judge/ragas failure (scored NaN)
    seconds: dict[str, float]  # wall time spent per metric


class JudgeUnavailableError(RuntimeError):
    """The judge server did not answer a model listing before any scoring started."""


Scorer = Callable[[RagasSample], Awaitable[float | None]]


@dataclass(frozen=True)
class _Metric:
    name: str
    score: Scorer  # returns None when the metric does not apply to the sample


def check_judge(judge: JudgeConfig) -> None:
    """Raise :class:`JudgeUnavailableError` unless ``GET {base_url}/models`` succeeds."""
    import openai

    client = openai.OpenAI(
        base_url=judge.base_url, api_key=judge.api_key, timeout=min(judge.timeout_s, 10.0), max_retries=0
    )
    try:
        client.models.list()
    except openai.APIError as exc:
        raise JudgeUnavailableError(
            f"ragas judge at {judge.base_url} is not usable ({type(exc).__name__}: {exc})"
        ) from exc
    finally:
        client.close()


def _judge_llm(judge: JudgeConfig) -> InstructorBaseRagasLLM:
    import instructor
    from openai import AsyncOpenAI
    from ragas.llms import InstructorLLM

    client = AsyncOpenAI(base_url=judge.base_url, api_key=judge.api_key, timeout=judge.timeout_s, max_retries=0)
    mode = instructor.Mode.JSON_SCHEMA if judge.response_format == "json_schema" else instructor.Mode.JSON
    # max_retries: instructor re-asks once when the output fails to parse; timeouts are not retried.
    return InstructorLLM(
        client=instructor.from_openai(client, mode=mode),
        model=judge.model,
        provider="openai",
        max_tokens=judge.max_tokens,
        max_retries=1,
    )


def _embeddings(model_path: Path) -> BaseRagasEmbedding:
    from ragas.embeddings import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(model=str(model_path), device="cpu", local_files_only=True)


def _non_llm_metrics() -> list[_Metric]:
    from ragas.dataset_schema import SingleTurnSample
    from ragas.metrics._context_precision import IDBasedContextPrecision
    from ragas.metrics._context_recall import IDBasedContextRecall, NonLLMContextRecall

    id_precision, id_recall, text_recall = IDBasedContextPrecision(), IDBasedContextRecall(), NonLLMContextRecall()

    async def id_prec(s: RagasSample) -> float | None:
        if not s.reference_ids or not s.retrieved_ids:
            return None
        return await id_precision.single_turn_ascore(
            SingleTurnSample(retrieved_context_ids=s.retrieved_ids, reference_context_ids=s.reference_ids)
        )

    async def id_rec(s: RagasSample) -> float | None:
        if not s.reference_ids:
            return None
        return await id_recall.single_turn_ascore(
            SingleTurnSample(retrieved_context_ids=s.retrieved_ids, reference_context_ids=s.reference_ids)
        )

    async def nonllm_rec(s: RagasSample) -> float | None:
        if not s.reference_contexts:
            return None
        if not s.contexts:
            return 0.0
        return await text_recall.single_turn_ascore(
            SingleTurnSample(retrieved_contexts=s.contexts, reference_contexts=s.reference_contexts)
        )

    return [
        _Metric("ragas_id_context_precision", id_prec),
        _Metric("ragas_id_context_recall", id_rec),
        _Metric("ragas_nonllm_context_recall", nonllm_rec),
    ]


def _llm_metrics(
    llm: InstructorBaseRagasLLM, embeddings: Callable[[], BaseRagasEmbedding], names: set[str]
) -> list[_Metric]:
    from ragas.metrics.collections import (
        AnswerRelevancy,
        ContextPrecisionWithReference,
        ContextRecall,
        Faithfulness,
    )

    metrics: list[_Metric] = []
    if "ragas_faithfulness" in names:
        faithfulness = Faithfulness(llm=llm)

        async def faith(s: RagasSample) -> float | None:
            if not s.answer or not s.contexts:
                return None
            r = await faithfulness.ascore(user_input=s.question, response=s.answer, retrieved_contexts=s.contexts)
            return r.value

        metrics.append(_Metric("ragas_faithfulness", faith))
    if "ragas_response_relevancy" in names:
        relevancy = AnswerRelevancy(llm=llm, embeddings=embeddings())

        async def relev(s: RagasSample) -> float | None:
            if not s.answer:
                return None
            return (await relevancy.ascore(user_input=s.question, response=s.answer)).value

        metrics.append(_Metric("ragas_response_relevancy", relev))
    if "ragas_llm_context_precision" in names:
        precision = ContextPrecisionWithReference(llm=llm)

        async def prec(s: RagasSample) -> float | None:
            if not s.reference or not s.contexts:
                return None
            r = await precision.ascore(user_input=s.question, reference=s.reference, retrieved_contexts=s.contexts)
            return r.value

        metrics.append(_Metric("ragas_llm_context_precision", prec))
    if "ragas_llm_context_recall" in names:
        recall = ContextRecall(llm=llm)

        async def rec(s: RagasSample) -> float | None:
            if not s.reference:
                return None
            if not s.contexts:
                return 0.0
            r = await recall.ascore(user_input=s.question, retrieved_contexts=s.contexts, reference=s.reference)
            return r.value

        metrics.append(_Metric("ragas_llm_context_recall", rec))
    return metrics


async def _run(
    samples: list[RagasSample], metrics: list[_Metric]
) -> tuple[list[dict[str, float | None]], list[str], dict[str, float]]:
    per_sample: list[dict[str, float | None]] = [{} for _ in samples]
    errors: list[str] = []
    seconds = {m.name: 0.0 for m in metrics}
    for metric in metrics:  # metric-major: consecutive prompts share the metric's few-shot prefix (KV cache)
        for i, sample in enumerate(samples):
            t0 = time.perf_counter()
            try:
                value = await metric.score(sample)
                score = None if value is None else float(value)
            except Exception as exc:  # one bad judge reply or ragas failure costs one sample, counted as NaN
                score = math.nan
                errors.append(f"sample {i} {metric.name}: {type(exc).__name__}: {exc}"[:500])
                log.warning("%s", errors[-1])
            seconds[metric.name] += time.perf_counter() - t0
            per_sample[i][metric.name] = score
    return per_sample, errors, seconds


def score_samples(
    samples: list[RagasSample],
    judge: JudgeConfig | None,
    embedding_model_path: Path,
    metrics: set[str] | None = None,
) -> RagasResult:
    """Score ``samples`` with the selected ragas metrics (default: all that the judge, or its absence, allows).

    Raises ValueError for unknown metric names or LLM metrics without a judge, and
    :class:`JudgeUnavailableError` if the judge does not answer before scoring starts. Runs its own event
    loop (call it from synchronous code) and scores one request at a time.
    """
    names = set(NON_LLM_METRICS + (LLM_METRICS if judge else ())) if metrics is None else set(metrics)
    if unknown := names - set(ALL_METRICS):
        raise ValueError(f"unknown ragas metrics {sorted(unknown)}; known: {list(ALL_METRICS)}")
    llm_names = names & set(LLM_METRICS)
    if llm_names and judge is None:
        raise ValueError(f"{sorted(llm_names)} need a judge")

    selected = [m for m in _non_llm_metrics() if m.name in names]
    if llm_names:
        assert judge is not None
        check_judge(judge)
        selected += _llm_metrics(_judge_llm(judge), lambda: _embeddings(embedding_model_path), llm_names)
    selected.sort(key=lambda m: ALL_METRICS.index(m.name))

    per_sample, errors, seconds = asyncio.run(_run(samples, selected))
    values = {m.name: mean_metric(m.name, [row[m.name] for row in per_sample]) for m in selected}
    return RagasResult(metrics=values, per_sample=per_sample, errors=errors, seconds=seconds)
