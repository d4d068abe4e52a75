"""The same store contract, checked on both adapters: the embedded engine (qdrant-edge) and the server adapter
(qdrant-client, here against its in-process `:memory:` mode, which speaks the same client API)."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from qdrant_client import QdrantClient

from grounded.contracts import Chunk, CollectionInfo, SourceFormat
from grounded.store import CollectionNotFound, SearchFilter, SearchMode, StoreQuery, doc_versions, list_documents
from grounded.store.embedded import EmbeddedStore
from grounded.store.server import ServerStore

TEXTS = {
    "hr/leave.md": ["Everyone gets 25 days of annual leave.", "Parental leave is 49 weeks at full pay."],
    "it/security.md": ["Passwords must have at least 14 characters.", "Laptops lock after 5 minutes."],
    "office/canteen.txt": ["Lunch in the canteen costs NOK 65."],
}


@pytest.fixture(params=["embedded", "server"])
def store(request, tmp_path):
    s = EmbeddedStore(tmp_path / "collections") if request.param == "embedded" else ServerStore(QdrantClient(":memory:"))
    yield s
    s.close()


@pytest.fixture
def loaded(store, components):
    name = f"t{uuid.uuid4().hex[:6]}"
    store.create_collection(CollectionInfo(name=name, embed_model="m", dimension=components.embedder.dimension))
    chunks = []
    for doc_id, texts in TEXTS.items():
        for i, text in enumerate(texts):
            chunks.append(
                Chunk(chunk_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{doc_id}{i}")), doc_id=doc_id, source=doc_id,
                      format=SourceFormat.MD, title=doc_id, section="", page=None, char_start=0, char_end=len(text),
                      text=text, content_hash="h1", index=i, n_chunks=len(texts))
            )
    dense = components.embedder.embed([c.text for c in chunks])
    store.upsert(name, chunks, dense, components.sparse.embed_documents([c.text for c in chunks]))
    return name


def query(components, text, **kw) -> StoreQuery:
    sparse = components.sparse.embed_query(text)
    return StoreQuery(dense=components.embedder.embed_query(text), sparse_indices=sparse.indices,
                       sparse_values=sparse.values, limit=kw.pop("limit", 3), candidates=20, **kw)


def test_collections_lifecycle(store, loaded):
    assert loaded in [c.name for c in store.list_collections()]
    assert store.get_collection(loaded).dimension > 0
    assert store.count(loaded) == 5
    assert store.delete_collection(loaded) and store.get_collection(loaded) is None
    assert not store.delete_collection(loaded)
    with pytest.raises(CollectionNotFound):
        store.count(loaded)


@pytest.mark.parametrize("mode", list(SearchMode))
def test_search_finds_the_right_chunk_in_every_mode(store, loaded, components, mode):
    hits = store.search(loaded, query(components, "How many characters must a password have?", mode=mode))
    assert hits[0].chunk.doc_id == "it/security.md" and "14 characters" in hits[0].chunk.text
    if mode is SearchMode.HYBRID:
        assert hits[0].dense_rank == 1 and hits[0].sparse_rank == 1


def test_filters_restrict_every_branch(store, loaded, components):
    q = "How many characters must a password have?"
    by_folder = store.search(loaded, query(components, q, filter=SearchFilter(under="hr")))
    assert by_folder and {h.chunk.doc_id for h in by_folder} == {"hr/leave.md"}
    by_doc = store.search(loaded, query(components, q, filter=SearchFilter(doc_ids=["office/canteen.txt"])))
    assert {h.chunk.doc_id for h in by_doc} == {"office/canteen.txt"}
    by_key = store.search(loaded, query(components, q, filter=SearchFilter(equals={"index": 1})))
    assert {h.chunk.index for h in by_key} == {1}


def test_versions_and_document_deletion(store, loaded):
    versions = doc_versions(store, loaded)
    assert versions["hr/leave.md"][0].complete and versions["hr/leave.md"][0].present == 2
    store.delete_document(loaded, "hr/leave.md", keep_hash="h1")
    assert "hr/leave.md" in {d.doc_id for d in list_documents(store, loaded)}, "keep_hash keeps that version"
    store.delete_document(loaded, "hr/leave.md")
    assert {d.doc_id for d in list_documents(store, loaded)} == {"it/security.md", "office/canteen.txt"}


def test_server_adapter_ingests_through_the_pipeline(components, corpus_copy):
    """The whole ingest pipeline on the server adapter: no code change, just another store."""
    from grounded.ingest.sync import Ingestor

    server = ServerStore(QdrantClient(":memory:"))
    ing = Ingestor(server, components.embedder, components.sparse, components.settings.chunk)
    first = ing.sync("demo", corpus_copy)
    assert first.added == 6 and not first.failed
    assert ing.sync("demo", corpus_copy).unchanged == 6
    assert np.isclose(server.count("demo"), first.chunks)
