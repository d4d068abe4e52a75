"""A Grounded collection inside a llama-index application.

`GroundedRetriever` is a llama-index `BaseRetriever` running Grounded's own retrieval: hybrid dense + BM25 with RRF
fusion inside Qdrant, metadata filters, and the caller's collection grant checked in retrieval. Its nodes plug into
any llama-index query engine, chat engine or agent. `GroundedQueryEngine` answers through Grounded's whole pipeline
(sufficiency gate, generation, citation verification) and returns a llama-index `Response` whose
`metadata["answer"]` is Grounded's answer contract and whose source nodes are the cited quotes.

    components = Components(load_settings())
    retriever = GroundedRetriever.from_components(components, "handbook", filters=SearchFilter(source_prefix="hr"))
    engine = GroundedQueryEngine.from_components(components, "handbook")
    response = engine.query("How long is an RMA number valid?")
    response.metadata["answer"].status, response.source_nodes[0].node.metadata["doc_id"]
"""

from __future__ import annotations

import asyncio

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


class GroundedRetriever(BaseRetriever):
    """Grounded's hybrid retrieval over one collection, as llama-index nodes scored by the fused (RRF) score."""

    def __init__(
        self,
        searcher: Searcher,
        collection: str,
        *,
        filters: SearchFilter | None = None,
        top_k: int | None = None,
        allowed_collections: frozenset[str] | None = None,
        callback_manager: CallbackManager | None = None,
    ) -> None:
        """`allowed_collections` is the caller's grant (None = unrestricted); a collection outside it raises
        `grounded.retrieval.search.AccessDenied`."""
        super().__init__(callback_manager=callback_manager)
        self._searcher, self._collection = searcher, collection
        self._filters, self._top_k, self._allowed = filters, top_k, allowed_collections

    @classmethod
    def from_components(cls, components: Components, collection: str, **options) -> GroundedRetriever:
        return cls(components.searcher, collection, **options)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        evidence = self._searcher.search(
            self._collection, query_bundle.query_str, self._filters, self._top_k, self._allowed
        )
        return [evidence_node(e) for e in evidence]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return await asyncio.to_thread(self._retrieve, query_bundle)


class GroundedQueryEngine(BaseQueryEngine):
    """Grounded's answer to each query, as a llama-index `Response` carrying the answer contract."""

    def __init__(
        self,
        answers: AnswerService,
        collection: str,
        *,
        filters: SearchFilter | None = None,
        top_k: int | None = None,
        allowed_collections: frozenset[str] | None = None,
        callback_manager: CallbackManager | None = None,
    ) -> None:
        super().__init__(callback_manager=callback_manager)
        self._answers, self._collection = answers, collection
        self._filters, self._top_k, self._allowed = filters, top_k, allowed_collections

    @classmethod
    def from_components(cls, components: Components, collection: str, **options) -> GroundedQueryEngine:
        return cls(components.answers, collection, **options)

    def _query(self, query_bundle: QueryBundle) -> Response:
        answer = self._answers.ask(
            AskRequest(
                collection=self._collection, question=query_bundle.query_str, filters=self._filters,
                top_k=self._top_k, allowed_collections=self._allowed,
            )
        )
        return answer_response(answer)

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        return await asyncio.to_thread(self._query, query_bundle)

    def _get_prompt_modules(self) -> dict:
        return {}


def evidence_node(evidence: Evidence) -> NodeWithScore:
    c = evidence.chunk
    node = TextNode(
        id_=c.chunk_id,
        text=c.text,
        metadata={"doc_id": c.doc_id, "source": c.source, "title": c.title, "section": c.section, "page": c.page,
                  "char_start": c.char_start, "char_end": c.char_end},
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=c.doc_id)},
    )
    return NodeWithScore(node=node, score=evidence.score)


def citation_node(citation: Citation) -> NodeWithScore:
    node = TextNode(
        id_=citation.chunk_id,
        text=citation.quote,
        metadata={"marker": citation.marker, "doc_id": citation.doc_id, "source": citation.source,
                  "title": citation.title, "section": citation.section, "page": citation.page},
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=citation.doc_id)},
    )
    return NodeWithScore(node=node, score=citation.score)


def answer_response(answer: Answer) -> Response:
    """The text a person would be shown (the answer, else the follow-up question or what is missing)."""
    text = answer.answer or answer.followup_question or answer.missing_information
    return Response(
        response=text,
        source_nodes=[citation_node(c) for c in answer.citations],
        metadata={ANSWER_KEY: answer, "status": answer.status.value, "trace_id": answer.trace_id},
    )
