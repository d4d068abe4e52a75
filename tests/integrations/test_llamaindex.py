"""A Grounded collection used from llama-index: the retriever (hybrid retrieval, filters, grants) inside
llama-index's own query engine, and Grounded's query engine returning the answer contract."""

from __future__ import annotations

import asyncio

import pytest
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.response_synthesizers import get_response_synthesizer

from grounded.contracts import Answer, AnswerStatus
from grounded.integrations.llamaindex import GroundedQueryEngine, GroundedRetriever
from grounded.retrieval.search import AccessDenied
from grounded.store import SearchFilter

HOTEL = "What is the maximum hotel rate per night in Oslo?"


def test_retriever_returns_hybrid_results_as_nodes(components, demo_collection):
    nodes = GroundedRetriever.from_components(components, demo_collection, top_k=4).retrieve(HOTEL)
    assert len(nodes) == 4
    assert nodes[0].node.metadata["doc_id"] == "policies/travel-and-expenses.md"
    assert "Oslo" in nodes[0].node.get_content()
    assert [n.score for n in nodes] == sorted((n.score for n in nodes), reverse=True)
    assert nodes[0].node.ref_doc_id == "policies/travel-and-expenses.md"


def test_retriever_applies_filters_and_the_callers_grant(components, demo_collection):
    hr_only = GroundedRetriever.from_components(components, demo_collection, filters=SearchFilter(under="hr"))
    assert {n.node.metadata["doc_id"].split("/")[0] for n in hr_only.retrieve(HOTEL)} == {"hr"}
    other = GroundedRetriever.from_components(components, demo_collection, allowed_collections=frozenset({"other"}))
    with pytest.raises(AccessDenied):
        other.retrieve(HOTEL)


def test_retriever_plugs_into_a_llama_index_query_engine(components, demo_collection):
    """llama-index synthesizes from Grounded's nodes (a mock LLM that echoes its prompt stands in for a real one)."""
    engine = RetrieverQueryEngine(
        GroundedRetriever.from_components(components, demo_collection),
        response_synthesizer=get_response_synthesizer(llm=MockLLM(), response_mode="compact"),
    )
    response = engine.query(HOTEL)
    assert response.source_nodes[0].node.metadata["title"] == "Travel and Expenses Policy"
    assert "Oslo | NOK 1,850" in str(response)  # the retrieved chunk reached the LLM's prompt


def test_query_engine_returns_the_answer_contract(components, demo_collection):
    engine = GroundedQueryEngine.from_components(components, demo_collection)
    response = engine.query(HOTEL)
    answer = response.metadata["answer"]
    assert isinstance(answer, Answer) and answer.status is AnswerStatus.ANSWERED
    assert "1,850" in str(response)
    cited = response.source_nodes[0].node
    assert cited.metadata["marker"] == 1 and cited.get_content() == answer.citations[0].quote

    off_topic = asyncio.run(engine.aquery("Who painted the Mona Lisa?"))
    assert off_topic.metadata["answer"].status is AnswerStatus.NO_ANSWER
    assert off_topic.source_nodes == [] and str(off_topic) == off_topic.metadata["answer"].missing_information
