"""RAGAS metrics for an eval run: the non-LLM ones always, the LLM-judged ones when a judge is chosen
(`local` = the embedded model's in-process server, `openai` = the configured OpenAI-compatible server).

The `local` judge reuses the generator's running server when the generator is the local one; with any other
backend it brings up its own runtime (retrieval/judge_model.py) and keeps it up until scoring is done."""

from __future__ import annotations

from contextlib import contextmanager

from grounded.evals.metrics.aggregate import MetricValue
from grounded.evals.run import QuestionResult


def ragas_metrics(
    results: list[QuestionResult], components, judge: str
) -> tuple[dict[str, MetricValue], dict[str, list[float | None]]]:
    from grounded.evals.metrics.ragas_suite import JudgeConfig, RagasSample, score_samples
    from grounded.embedder import default_model_path

    samples = [
        RagasSample(
            question=r.question.question,
            answer=r.answer.answer if r.answer and r.answer.status.value in ("answered", "partial") else None,
            contexts=[e.chunk.text for e in r.evidence],
            reference=r.question.reference_answers[0] if r.question.reference_answers else None,
            reference_contexts=r.question.reference_contexts,
            retrieved_ids=r.ranked_doc_ids,
            reference_ids=r.question.reference_doc_ids,
        )
        for r in results
    ]
    with _judge_config(components, judge, JudgeConfig) as config:
        result = score_samples(samples, config, components.settings.embed.model_path or default_model_path())
    return dict(result.metrics), {k: [row.get(k) for row in result.per_sample] for k in result.metrics}


@contextmanager
def _judge_config(components, judge: str, JudgeConfig):
    g = components.settings.generator
    if judge == "none":
        yield None
        return
    if judge == "openai":
        if not g.base_url:
            raise ValueError("--judge openai needs GROUNDED_GENERATOR__BASE_URL")
        yield JudgeConfig(base_url=g.base_url, model=g.model, api_key=g.api_key.get_secret_value(),
                          timeout_s=g.timeout_s, max_tokens=1024)
        return
    endpoint = components.generator.endpoint()
    if endpoint is not None:
        yield JudgeConfig(base_url=endpoint.base_url, model=endpoint.model,
                          api_key=endpoint.api_key.get_secret_value(), timeout_s=max(g.timeout_s, 120), max_tokens=1024)
        return
    # a backend without an LLM (extractive): the judge brings up its own runtime, kept up until scoring is done
    from grounded.retrieval.judge_model import ModelJudge

    with ModelJudge(models_dir=components.settings.models_dir, kind=g.local_model, threads=g.local_threads,
                    n_ctx=g.local_ctx) as runtime:
        base_url, api_key, model = runtime.endpoint
        yield JudgeConfig(base_url=base_url, model=model, api_key=api_key, timeout_s=max(g.timeout_s, 120),
                          max_tokens=1024)
