"""Turn question results into named metrics (`MetricValue`s): retrieval, abstention, status, answer accuracy,
citations, latency and usage. Citation support is decided by the same judge the answer pipeline's verifier uses
(retrieval/judge.py), here against the cited quote alone."""

from __future__ import annotations

from grounded.evals.metrics.abstention import abstention_scores
from grounded.evals.metrics.aggregate import MetricValue, mean_metric
from grounded.evals.metrics.answer import exact_match, normalize_answer, token_f1
from grounded.evals.metrics.citation import CitedSentence, citation_scores
from grounded.evals.metrics.latency import QuestionUsage, latency_metrics, usage_summary
from grounded.evals.metrics.retrieval import retrieval_metrics
from grounded.evals.run import QuestionResult
from grounded.contracts import AnswerStatus
from grounded.text import strip_markers

ANSWERED = (AnswerStatus.ANSWERED, AnswerStatus.PARTIAL)
def contains_reference(prediction: str, references: list[str]) -> float | None:
    if not references:
        return None
    p = normalize_answer(prediction)
    return float(any(normalize_answer(r) in p for r in references if r.strip()))


def retrieval_scores(results: list[QuestionResult], ks=(1, 5, 10)) -> dict[str, MetricValue]:
    depth = max((len(r.evidence) for r in results), default=0)
    ks = tuple(k for k in ks if k <= max(depth, 1)) or (1,)
    cases = [(r.ranked_doc_ids, set(r.question.reference_doc_ids)) for r in results]
    return retrieval_metrics(cases, ks=ks)


def answer_scores(results: list[QuestionResult]) -> dict[str, MetricValue]:
    answered = [r for r in results if r.answer is not None]
    if not answered:
        return {}
    out: dict[str, MetricValue] = {}
    pairs = [(r.question.answerable, r.answer.status not in ANSWERED) for r in answered]
    out.update(abstention_scores(pairs).metrics())
    with_expected = [r for r in answered if r.question.expected_status]
    if with_expected:
        out["status_accuracy"] = mean_metric(
            "status_accuracy", (float(r.answer.status.value == r.question.expected_status) for r in with_expected)
        )
    good = [r for r in answered if r.question.answerable and r.answer.status in ANSWERED and r.answer.answer]
    texts = {id(r): " ".join(s.text for s in r.answer.sentences) or strip_markers(r.answer.answer) for r in good}
    out["exact_match"] = mean_metric("exact_match", (exact_match(texts[id(r)], r.question.reference_answers) for r in good))
    out["token_f1"] = mean_metric("token_f1", (token_f1(texts[id(r)], r.question.reference_answers) for r in good))
    out["answer_contains_reference"] = mean_metric(
        "answer_contains_reference", (contains_reference(texts[id(r)], r.question.reference_answers) for r in good)
    )
    out.update(citation_metrics([r for r in answered if r.answer.status in ANSWERED and r.answer.answer]))
    out["fallback_rate"] = mean_metric("fallback_rate", (float(r.answer.fallback is not None) for r in answered))
    out.update(latency_metrics([r.answer.timings_ms for r in answered]))
    usages = [
        QuestionUsage(prompt_tokens=r.answer.usage.prompt_tokens, completion_tokens=r.answer.usage.completion_tokens,
                      cost_usd=r.answer.usage.cost, successful=r.answer.status in ANSWERED)
        for r in answered
    ]
    out.update(usage_summary(usages).metrics())
    return out


def citation_metrics(results: list[QuestionResult]) -> dict[str, MetricValue]:
    sentences = []
    doc_hits = []
    for r in results:
        by_marker = {c.marker: c for c in r.answer.citations}
        for sentence in r.answer.sentences:
            quotes = [by_marker[m].quote for m in sentence.markers if m in by_marker]
            sentences.append(CitedSentence(text=sentence.text, quotes=quotes))
        refs = set(r.question.reference_doc_ids)
        if refs:
            doc_hits.extend(float(c.doc_id in refs) for c in r.answer.citations)
    scores = citation_scores(sentences)
    return {
        "citation_precision": MetricValue(name="citation_precision", value=scores.precision, n=scores.n_citations),
        "citation_recall": MetricValue(name="citation_recall", value=scores.recall, n=scores.n_sentences),
        "citation_doc_precision": mean_metric("citation_doc_precision", doc_hits),
    }
