"""RAGAS metrics for an eval run: the non-LLM ones always, the LLM-judged ones when a judge is chosen
(`local` = the embedded model's in-process server, `openai` = the configured OpenAI-compatible server)."""

from __future__ import annotations

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
    config = None
    if judge != "none":
        config = _judge_config(components, judge, JudgeConfig)
    result = score_samples(samples, config, components.settings.embed.model_path or default_model_path())
    return dict(result.metrics), {k: [row.get(k) for row in result.per_sample] for k in result.metrics}


def _judge_config(components, judge: str, JudgeConfig):
    g = components.settings.generator
    if judge == "openai":
        if not g.base_url:
            raise ValueError("--judge openai needs GROUNDED_GENERATOR__BASE_URL")
        return JudgeConfig(base_url=g.base_url, model=g.model, api_key=g.api_key.get_secret_value(),
                           timeout_s=g.timeout_s, max_tokens=1024)
    endpoint = components.generator.endpoint()
    if endpoint is None:  # a backend without an LLM (extractive): judge with the embedded model
        from grounded.retrieval.generators.local import LocalGenerator

        endpoint = LocalGenerator(g, components.settings.models_dir).endpoint()
    return JudgeConfig(base_url=endpoint.base_url, model=endpoint.model, api_key=endpoint.api_key.get_secret_value(),
                       timeout_s=max(g.timeout_s, 120), max_tokens=1024)
