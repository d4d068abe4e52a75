"""The embedded store fuses its two branch searches in the app: the ranking and scores must be the engine's own
weighted RRF (Prefetch + Fusion.Rrf, the former 5-search plan), up to ties."""

from __future__ import annotations

import pytest
from qdrant_edge import Filter, FieldCondition, Fusion, MatchValue, Prefetch, Query, QueryRequest, SparseVector

from grounded.store import SearchFilter, SearchMode, StoreQuery
from grounded.store.base import DENSE, SPARSE

QUESTIONS = ["How long is an RMA number valid?", "hotel cap in Oslo", "who approves expense reports",
             "on-call acknowledgement time", "parental leave weeks"]


def engine_shard(components, collection: str):
    """The live shard behind a collection name (through the version alias), to ask the engine itself."""
    store = components.store
    if store.kind != "embedded":
        pytest.skip("embedded engine only")
    return store.base.shard(store.resolve(collection))


@pytest.mark.parametrize("weights", [(1.0, 1.0), (1.0, 0.5)])
def test_app_side_fusion_matches_the_engine(components, demo_collection, weights):
    shard = engine_shard(components, demo_collection)
    for question, under in [(q, None) for q in QUESTIONS] + [(QUESTIONS[1], "policies")]:
        sv = components.sparse.embed_query(question)
        q = StoreQuery(dense=components.embedder.embed_query(question), sparse_indices=sv.indices,
                       sparse_values=sv.values, limit=5, candidates=40, rrf_k=60, weights=weights,
                       filter=SearchFilter(under=under) if under else None)
        flt = Filter(must=[FieldCondition(key="doc_prefixes", match=MatchValue(value=under))]) if under else None
        engine = shard.query(QueryRequest(
            limit=5, filter=flt, with_payload=False, query=Fusion.Rrf(k=60, weights=list(weights)),
            prefetches=[Prefetch(limit=40, query=Query.Nearest(q.dense, using=DENSE), filter=flt),
                        Prefetch(limit=40, query=Query.Nearest(SparseVector(indices=sv.indices, values=sv.values),
                                                               using=SPARSE), filter=flt)]))
        ours = components.store.search(demo_collection, q)
        assert [round(e.score, 6) for e in ours] == [round(p.score, 6) for p in engine]
        last = round(engine[-1].score, 6)  # ties at the cut may pick either chunk; above it, the same chunks
        assert {e.chunk.chunk_id for e in ours if round(e.score, 6) > last} == {
            str(p.id) for p in engine if round(p.score, 6) > last}
        if under:
            assert ours and all(e.chunk.doc_id.startswith("policies/") for e in ours)


@pytest.mark.parametrize("mode", [SearchMode.DENSE, SearchMode.SPARSE])
def test_one_branch_modes_return_that_branch(components, demo_collection, mode):
    shard = engine_shard(components, demo_collection)
    question = QUESTIONS[0]
    sv = components.sparse.embed_query(question)
    q = StoreQuery(dense=components.embedder.embed_query(question), sparse_indices=sv.indices,
                   sparse_values=sv.values, limit=5, candidates=40, mode=mode)
    nearest = (Query.Nearest(q.dense, using=DENSE) if mode is SearchMode.DENSE
               else Query.Nearest(SparseVector(indices=sv.indices, values=sv.values), using=SPARSE))
    engine = shard.query(QueryRequest(limit=5, query=nearest, with_payload=False))
    ours = components.store.search(demo_collection, q)
    assert [round(e.score, 6) for e in ours] == [round(p.score, 6) for p in engine]
