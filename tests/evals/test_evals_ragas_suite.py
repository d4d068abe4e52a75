"""ragas suite: hand-checked non-LLM metrics, NaN/None accounting with a scripted judge, the local 1.5B judge (slow)."""

import math
import os
import socket
import time
from pathlib import Path

import openai
import pytest
from ragas.embeddings.base import BaseRagasEmbedding
from ragas.llms import InstructorBaseRagasLLM
from ragas.metrics.collections.answer_relevancy.util import AnswerRelevanceOutput
from ragas.metrics.collections.context_precision.util import ContextPrecisionOutput
from ragas.metrics.collections.context_recall.util import ContextRecallClassification, ContextRecallOutput
from ragas.metrics.collections.faithfulness.util import (
    NLIStatementOutput,
    StatementFaithfulnessAnswer,
    StatementGeneratorOutput,
)

from grounded.evals.metrics import ragas_suite
from grounded.evals.metrics.ragas_suite import (
    LLM_METRICS,
    JudgeConfig,
    JudgeUnavailableError,
    RagasSample,
    score_samples,
)
from grounded.embedder import default_model_path

# Hand-checked: ragas compares id *sets* (rank and duplicates ignored).
#   s0: retrieved {a,b,c,d}, relevant {a,c}: precision 2/4, recall 2/2; its one reference context is retrieved verbatim.
#   s1: retrieved {a,x}, relevant {a,b}: precision 1/2, recall 1/2; 1 of its 2 reference contexts retrieved.
#   s2: no reference ids or contexts: every metric skipped.
NON_LLM_SAMPLES = [
    RagasSample(
        question="q0",
        retrieved_ids=["a", "b", "c", "d"],
        reference_ids=["a", "c"],
        contexts=["The tower was completed in 1889.", "Paris is the capital of France."],
        reference_contexts=["The tower was completed in 1889."],
    ),
    RagasSample(
        question="q1",
        retrieved_ids=["a", "a", "x"],
        reference_ids=["a", "b"],
        contexts=["The tower was completed in 1889."],
        reference_contexts=["The tower was completed in 1889.", "Bananas are rich in potassium and grow in bunches."],
    ),
    RagasSample(question="q2", retrieved_ids=["x"], contexts=["anything"]),
]


def test_non_llm_metrics_hand_checked():
    result = score_samples(NON_LLM_SAMPLES, judge=None, embedding_model_path=Path("unused"))
    assert set(result.metrics) == set(ragas_suite.NON_LLM_METRICS)
    precision = result.metrics["ragas_id_context_precision"]
    recall = result.metrics["ragas_id_context_recall"]
    text_recall = result.metrics["ragas_nonllm_context_recall"]
    assert (precision.value, precision.n, precision.n_skipped) == (pytest.approx(0.5), 2, 1)
    assert (recall.value, recall.n, recall.n_skipped) == (pytest.approx(0.75), 2, 1)
    assert (text_recall.value, text_recall.n, text_recall.n_skipped) == (pytest.approx(0.75), 2, 1)
    assert [row["ragas_id_context_recall"] for row in result.per_sample] == [1.0, 0.5, None]
    assert [row["ragas_nonllm_context_recall"] for row in result.per_sample] == [1.0, 0.5, None]
    assert result.errors == []


def test_nothing_retrieved_recall_zero_precision_skipped():
    sample = RagasSample(question="q", reference_ids=["a"], reference_contexts=["some text"])
    row = score_samples([sample], judge=None, embedding_model_path=Path("unused")).per_sample[0]
    assert row == {
        "ragas_id_context_precision": None,
        "ragas_id_context_recall": 0.0,
        "ragas_nonllm_context_recall": 0.0,
    }


def test_metric_selection_errors():
    with pytest.raises(ValueError, match="unknown"):
        score_samples(NON_LLM_SAMPLES, None, Path("unused"), metrics={"bleu"})
    with pytest.raises(ValueError, match="need a judge"):
        score_samples(NON_LLM_SAMPLES, None, Path("unused"), metrics={"ragas_faithfulness"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_judge_fails_up_front():
    judge = JudgeConfig(base_url=f"http://127.0.0.1:{_free_port()}/v1", model="m", api_key="k", timeout_s=5)
    t0 = time.perf_counter()
    with pytest.raises(JudgeUnavailableError, match="127.0.0.1"):
        score_samples(NON_LLM_SAMPLES, judge, Path("unused"))
    assert time.perf_counter() - t0 < 10


class ScriptedJudge(InstructorBaseRagasLLM):
    """Answers ragas' structured prompts by rule; 'GARBAGE' in a prompt times out, 'VAGUE' yields no statements."""

    def generate(self, prompt, response_model):
        raise NotImplementedError

    async def agenerate(self, prompt, response_model):
        if "GARBAGE" in prompt:
            raise openai.APITimeoutError(request=None)  # type: ignore[arg-type]
        if response_model is StatementGeneratorOutput:
            return StatementGeneratorOutput(statements=[] if "VAGUE" in prompt else ["claim one", "claim two"])
        if response_model is NLIStatementOutput:
            return NLIStatementOutput(
                statements=[
                    StatementFaithfulnessAnswer(statement="claim one", reason="in context", verdict=1),
                    StatementFaithfulnessAnswer(statement="claim two", reason="not in context", verdict=0),
                ]
            )
        if response_model is AnswerRelevanceOutput:
            return AnswerRelevanceOutput(question="same question", noncommittal=0)
        if response_model is ContextPrecisionOutput:
            return ContextPrecisionOutput(reason="useful", verdict=1)
        if response_model is ContextRecallOutput:
            return ContextRecallOutput(
                classifications=[ContextRecallClassification(statement="s", reason="r", attributed=1)]
            )
        raise AssertionError(f"unexpected response model {response_model}")


class ConstantEmbeddings(BaseRagasEmbedding):
    def embed_text(self, text, **kwargs):
        return [1.0, 0.0]

    async def aembed_text(self, text, **kwargs):
        return [1.0, 0.0]


@pytest.fixture
def scripted_judge(monkeypatch) -> JudgeConfig:
    monkeypatch.setattr(ragas_suite, "check_judge", lambda judge: None)
    monkeypatch.setattr(ragas_suite, "_judge_llm", lambda judge: ScriptedJudge())
    monkeypatch.setattr(ragas_suite, "_embeddings", lambda path: ConstantEmbeddings())
    return JudgeConfig(base_url="http://127.0.0.1:9/v1", model="scripted", api_key="k")


def test_llm_metrics_abstention_nan_and_failures_counted(scripted_judge):
    ctx = ["The tower was completed in 1889."]
    samples = [
        RagasSample(question="When?", answer="In 1889.", contexts=ctx, reference="1889"),
        RagasSample(question="When?", answer=None, contexts=ctx, reference="1889"),  # abstention
        RagasSample(question="When?", answer="VAGUE", contexts=ctx, reference="1889"),  # ragas: no statements -> NaN
        RagasSample(question="When?", answer="GARBAGE", contexts=ctx),  # judge times out; no reference
    ]
    result = score_samples(samples, scripted_judge, Path("unused"))
    m = result.metrics
    assert set(m) == set(ragas_suite.ALL_METRICS)

    faith = m["ragas_faithfulness"]
    assert (faith.value, faith.n, faith.n_nan, faith.n_skipped) == (pytest.approx(0.5), 1, 2, 1)
    relevancy = m["ragas_response_relevancy"]
    assert (relevancy.value, relevancy.n, relevancy.n_nan, relevancy.n_skipped) == (pytest.approx(1.0), 2, 1, 1)
    # Context metrics do not depend on the answer: the abstention is scored, the sample without reference skipped.
    for name in ("ragas_llm_context_precision", "ragas_llm_context_recall"):
        assert (m[name].value, m[name].n, m[name].n_nan, m[name].n_skipped) == (pytest.approx(1.0), 3, 0, 1)

    assert result.per_sample[1]["ragas_faithfulness"] is None
    assert math.isnan(result.per_sample[2]["ragas_faithfulness"])
    assert len(result.errors) == 2 and all(e.startswith("sample 3 ") for e in result.errors)
    assert "APITimeoutError" in result.errors[0]
    assert set(result.seconds) == set(m)


def test_metric_subset_with_judge(scripted_judge):
    sample = RagasSample(
        question="When?", answer="In 1889.", contexts=["1889."], retrieved_ids=["a"], reference_ids=["a"]
    )
    chosen = {"ragas_faithfulness", "ragas_id_context_recall"}
    result = score_samples([sample], scripted_judge, Path("unused"), metrics=chosen)
    assert list(result.metrics) == ["ragas_id_context_recall", "ragas_faithfulness"]
    assert result.per_sample == [{"ragas_id_context_recall": 1.0, "ragas_faithfulness": 0.5}]


@pytest.mark.judge
@pytest.mark.timeout(3600)
def test_local_judge_faithfulness_and_relevancy(tmp_path):
    from grounded.retrieval.generators.local_runtime import LocalLLMServer, ModelNotInstalledError, assemble_model

    home = os.environ.get("GROUNDED_HOME")
    try:
        model = assemble_model("qwen2.5-coder-1.5b", Path(home) / "models" if home else tmp_path / "models")
    except ModelNotInstalledError as exc:
        pytest.skip(str(exc))
    ctx = ["The Eiffel Tower in Paris was completed in 1889 for the World's Fair. It is 330 metres tall."]
    samples = [
        RagasSample(question="When was the Eiffel Tower completed?", answer="It was completed in 1889.", contexts=ctx),
        RagasSample(
            question="How tall is the Eiffel Tower?",
            answer="It is 500 metres tall and was built by Napoleon.",
            contexts=ctx,
        ),
        RagasSample(question="Who designed the Louvre pyramid?", answer=None, contexts=ctx),
    ]
    with LocalLLMServer(model) as server:
        judge = JudgeConfig(base_url=server.base_url, model=server.model_name, api_key=server.api_key, timeout_s=900)
        t0 = time.perf_counter()
        result = score_samples(samples, judge, default_model_path(), metrics=set(LLM_METRICS[:2]))
        elapsed = time.perf_counter() - t0
    print(f"\nlocal judge: {elapsed:.0f} s total; per metric {result.seconds}; per sample {result.per_sample}")
    print("errors:", result.errors)
    for name in LLM_METRICS[:2]:
        metric = result.metrics[name]
        assert metric.n + metric.n_nan == 2 and metric.n_skipped == 1
        assert metric.value is None or 0.0 <= metric.value <= 1.0 + 1e-6
    assert len(result.errors) <= sum(result.metrics[name].n_nan for name in LLM_METRICS[:2])
