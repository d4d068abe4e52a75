"""The store's pure helpers shared by both adapters: folder keys, payload round trip, document versions as the
ingest manifest, and branch ranks attached to the engine's fused ranking. No store is opened."""

from __future__ import annotations

import pytest

from grounded.contracts import Chunk, SourceFormat
from grounded.store import SearchFilter
from grounded.store.base import (
    attach_branch_ranks,
    chunk_payload,
    doc_prefixes,
    documents_from_versions,
    payload_chunk,
    versions_from_payloads,
)

pytestmark = pytest.mark.unit


def chunk(doc_id: str = "hr/leave/policy.md", index: int = 0, n_chunks: int = 2, content_hash: str = "h1") -> Chunk:
    return Chunk(chunk_id=f"{doc_id}#{content_hash}#{index}", doc_id=doc_id, source=f"data/{doc_id}",
                 format=SourceFormat.MD, title="Leave", section="Annual leave", page=None, char_start=0,
                 char_end=10, text="Everyone gets 25 days.", content_hash=content_hash, index=index, n_chunks=n_chunks)


@pytest.mark.parametrize(
    ("doc_id", "prefixes"),
    [("hr/leave/policy.md", ["hr", "hr/leave"]), ("readme.md", []), ("a/b.md", ["a"])],
)
def test_doc_prefixes_are_the_folders_above_a_document(doc_id, prefixes):
    assert doc_prefixes(doc_id) == prefixes


def test_payload_round_trip_adds_and_drops_the_folder_keys():
    c = chunk()
    payload = chunk_payload(c)
    assert payload["doc_prefixes"] == ["hr", "hr/leave"] and payload["format"] == "md"
    assert payload_chunk(payload) == c


def test_an_absolute_source_is_stored_as_the_doc_id():
    """Payloads reach API responses (citations, document lists): no absolute server path (issue 9, Low)."""
    c = chunk().model_copy(update={"source": "/srv/corpus/hr/leave/policy.md"})
    assert chunk_payload(c)["source"] == "hr/leave/policy.md"


def test_versions_count_present_chunks_against_the_recorded_total():
    payloads = [chunk_payload(chunk(index=0)), chunk_payload(chunk(index=1)),
                chunk_payload(chunk(index=0, content_hash="h2", n_chunks=3))]
    versions = {v.content_hash: v for v in versions_from_payloads(payloads)["hr/leave/policy.md"]}
    assert (versions["h1"].present, versions["h1"].expected, versions["h1"].complete) == (2, 2, True)
    assert (versions["h2"].present, versions["h2"].expected, versions["h2"].complete) == (1, 3, False)


def test_a_document_is_listed_by_its_complete_version():
    payloads = [chunk_payload(chunk(index=0, content_hash="old", n_chunks=1)),
                chunk_payload(chunk(index=0, content_hash="new", n_chunks=2))]  # "new" is half written
    (doc,) = documents_from_versions(versions_from_payloads(payloads))
    assert (doc.doc_id, doc.content_hash, doc.chunks, doc.source) == ("hr/leave/policy.md", "old", 1,
                                                                    "data/hr/leave/policy.md")


def test_branch_ranks_are_attached_to_the_fused_order():
    a, b, c = chunk(index=0), chunk(index=1), chunk(index=2, n_chunks=3)
    fused = [(chunk_payload(b), 0.9), (chunk_payload(a), 0.5), (chunk_payload(c), 0.1)]
    evidence = attach_branch_ranks(fused, dense=[(a.chunk_id, 0.8), (b.chunk_id, 0.7)], sparse=[(b.chunk_id, 12.0)])
    assert [e.chunk.chunk_id for e in evidence] == [b.chunk_id, a.chunk_id, c.chunk_id]
    assert [(e.dense_rank, e.sparse_rank) for e in evidence] == [(2, 1), (1, None), (None, None)]
    assert (evidence[0].score, evidence[0].dense_score, evidence[0].sparse_score) == (0.9, 0.7, 12.0)


@pytest.mark.parametrize(
    ("flt", "empty"),
    [(SearchFilter(), True), (SearchFilter(doc_ids=[]), True), (SearchFilter(under="hr"), False),
     (SearchFilter(doc_ids=["a.md"]), False), (SearchFilter(equals={"format": "pdf"}), False)],
)
def test_a_filter_is_empty_only_without_conditions(flt, empty):
    assert flt.is_empty() is empty
