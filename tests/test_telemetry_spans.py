"""One OpenTelemetry span per answer step and per ingest phase, with the contract's versions as attributes
(spans caught by the SDK's in-memory exporter; real embedded store, real embedder, extractive generator)."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from grounded import telemetry
from grounded.retrieval.answer import AskRequest


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    telemetry.use_exporter(exporter)
    yield exporter
    telemetry.reset()


def test_an_answer_has_one_span_per_step_under_its_root_with_the_versions(components, demo_collection, spans):
    question = "How long is an RMA number valid?"  # not from the answer cache: a hit ends the run after `resolve`
    answer = components.answers.ask(AskRequest(collection=demo_collection, question=question, cache=False))
    finished = {s.name: s for s in spans.get_finished_spans()}
    root = finished["grounded.answer"]
    for step in ("refuse", "retrieve", "gate", "generate", "verify", "finish"):
        child = finished[f"grounded.answer.{step}"]
        assert child.parent is not None and child.parent.span_id == root.context.span_id
        assert child.attributes["grounded.version.embedder"] == answer.versions.embedder
    assert root.attributes["grounded.status"] == answer.status.value
    assert root.attributes["grounded.version.prompt"] == answer.versions.prompt
    assert root.attributes["grounded.version.generator"] == answer.versions.generator
    assert root.attributes["grounded.collection"] == demo_collection


def test_an_ingest_has_a_span_per_phase(components, corpus_copy, spans):
    report = components.ingestor().sync("spans", corpus_copy)
    finished = spans.get_finished_spans()
    (root,) = [s for s in finished if s.name == "grounded.ingest"]
    phases = {s.name for s in finished if s.parent is not None and s.parent.span_id == root.context.span_id}
    assert {"grounded.ingest.plan", "grounded.ingest.parse", "grounded.ingest.embed", "grounded.ingest.write",
            "grounded.ingest.prune", "grounded.ingest.flush"} <= phases
    parsed = [s for s in finished if s.name == "grounded.ingest.parse"]
    assert len(parsed) == report.added
    assert root.attributes["grounded.ingest.chunks"] == report.chunks > 0
    assert root.attributes["grounded.version.embedder"] == components.embedder.model_name
