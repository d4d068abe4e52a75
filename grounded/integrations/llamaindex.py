"""A Grounded collection inside a llama-index application.

`GroundedRetriever` is a llama-index `BaseRetriever` running Grounded's own retrieval: hybrid dense + BM25 with RRF
fusion inside Qdrant, metadata filters, and the caller's collection grant checked in retrieval. Its nodes plug into
any llama-index query engine, chat engine or agent. `GroundedQueryEngine` answers through Grounded's whole pipeline
(sufficiency gate, generation, citation verification) and returns a llama-index `Response` whose
`metadata["answer"]` is Grounded's answer contract and whose source nodes are the cited quotes.

    components = Components(load_settings())
    retriever = GroundedRetriever.from_components(components, "handbook", filters=SearchFilter(under="hr"))
    engine = GroundedQueryEngine.from_components(components, "handbook")
    response = engine.query("How long is an RMA number valid?")
    response.metadata["answer"].status, response.source_nodes[0].node.metadata["doc_id"]
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks import CallbackManager
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode

from grounded.app import Components
from grounded.contracts import Answer, Citation, Evidence
from grounded.store import SearchFilter
from grounded.retrieval.answer import AnswerService, AskRequest
from grounded.retrieval.search import Searcher

ANSWER_KEY = "answer"


@dataclass(frozen=True)
class Scope:
    """What both adapters read: one collection, optional filters and depth, and the caller's grant
    (None = unrestricted; a collection outside it raises `grounded.retrieval.search.AccessDenied`)."""

    collection: str
    filters: SearchFilter | None = None
    top_k: int | None = None
    allowed_collections: frozenset[str] | None = None


class GroundedRetriever(BaseRetriever):
    """Grounded's hybrid retrieval over one collection, as llama-index nodes scored by the fused (RRF) score."""

    def __init__(self, searcher: Searcher, scope: Scope, callback_manager: CallbackManager | None = None) -> None:
        super().__init__(callback_manager=callback_manager)
        self._searcher, self._scope = searcher, scope

    @classmethod
    def from_components(cls, components: Components, collection: str, **options) -> GroundedRetriever:
        """`options`: `filters`, `top_k`, `allowed_collections` (see `Scope`)."""
        return cls(components.answers.searcher, Scope(collection, **options))

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        s = self._scope
        evidence = self._searcher.search(s.collection, query_bundle.query_str, s.filters, s.top_k, s.allowed_collections)
        return [evidence_node(e) for e in evidence]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return await asyncio.to_thread(self._retrieve, query_bundle)


class GroundedQueryEngine(BaseQueryEngine):
    """Grounded's answer to each query, as a llama-index `Response` carrying the answer contract."""

    def __init__(self, answers: AnswerService, scope: Scope, callback_manager: CallbackManager | None = None) -> None:
        super().__init__(callback_manager=callback_manager)
        self._answers, self._scope = answers, scope

    @classmethod
    def from_components(cls, components: Components, collection: str, **options) -> GroundedQueryEngine:
        """`options`: `filters`, `top_k`, `allowed_collections` (see `Scope`)."""
        return cls(components.answers, Scope(collection, **options))

    def _query(self, query_bundle: QueryBundle) -> Response:
        s = self._scope
        answer = self._answers.ask(
            AskRequest(collection=s.collection, question=query_bundle.query_str, filters=s.filters, top_k=s.top_k,
                       allowed_collections=s.allowed_collections)
        )
        return answer_response(answer)

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        return await asyncio.to_thread(self._query, query_bundle)

    def _get_prompt_modules(self) -> dict:
        return {}


def _node(node_id: str, text: str, doc_id: str, score: float, **metadata) -> NodeWithScore:
    node = TextNode(
        id_=node_id, text=text, metadata={"doc_id": doc_id, **metadata},
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=doc_id)},
    )
    return NodeWithScore(node=node, score=score)


def evidence_node(evidence: Evidence) -> NodeWithScore:
    c = evidence.chunk
    return _node(c.chunk_id, c.text, c.doc_id, evidence.score, source=c.source, title=c.title, section=c.section,
                 page=c.page, char_start=c.char_start, char_end=c.char_end)


def citation_node(citation: Citation) -> NodeWithScore:
    c = citation
    return _node(c.chunk_id, c.quote, c.doc_id, c.score, marker=c.marker, source=c.source, title=c.title,
                 section=c.section, page=c.page)


def answer_response(answer: Answer) -> Response:
    """The text a person would be shown (the answer, else the follow-up question or what is missing)."""
    text = answer.answer or answer.followup_question or answer.missing_information
    return Response(
        response=text,
        source_nodes=[citation_node(c) for c in answer.citations],
        metadata={ANSWER_KEY: answer, "status": answer.status.value, "trace_id": answer.trace_id},
    )
