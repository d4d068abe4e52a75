"""Collection names as aliases over index versions, on both adapters: the embedded catalog (one atomic file) and
real Qdrant collection aliases (qdrant-client's in-process mode implements `update_collection_aliases`)."""

from __future__ import annotations

import uuid

import pytest
from qdrant_client import QdrantClient

from grounded.contracts import Chunk, CollectionInfo, SourceFormat, VersionStatus
from grounded.store import CollectionNotFound, VersionError, VersionedStore
from grounded.store.embedded import EmbeddedStore
from grounded.store.server import ServerStore


@pytest.fixture(params=["embedded", "server"])
def store(request, tmp_path):
    base = EmbeddedStore(tmp_path / "collections") if request.param == "embedded" else ServerStore(QdrantClient(":memory:"))
    s = VersionedStore(base, default_build={"chunk": {"max_tokens": 220}}, retention=1)
    yield s
    s.close()


def fill(store, name: str, components, texts: list[str]) -> None:
    chunks = [
        Chunk(chunk_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{name}{i}")), doc_id=f"d{i}.md", source=f"d{i}.md",
              format=SourceFormat.MD, title="t", section="", page=None, char_start=0, char_end=len(t), text=t,
              content_hash="h", index=0, n_chunks=1)
        for i, t in enumerate(texts)
    ]
    store.upsert(name, chunks, components.embedder.embed(texts), components.sparse.embed_documents(texts))


def new_version(store, name, components, texts):
    info = store.create_version(name, "m", components.embedder.dimension, {"chunk": {"max_tokens": 64}})
    fill(store, info.name, components, texts)
    return store.record(info, status=VersionStatus.STAGED)


def test_a_collection_is_an_alias_over_version_one(store, components):
    store.create_collection(CollectionInfo(name="kb", embed_model="m", dimension=components.embedder.dimension))
    fill(store, "kb", components, ["alpha", "beta"])
    assert store.resolve("kb") == "kb@v1" and store.base.aliases() == {"kb": "kb@v1"}
    assert [c.name for c in store.list_collections()] == ["kb"], "versions are not listed as collections"
    assert store.get_collection("kb").name == "kb" and store.count("kb") == 2
    [entry] = store.versions("kb")
    assert (entry.version, entry.live, entry.status, entry.chunks) == ("v1", True, VersionStatus.PROMOTED, 2)


def test_build_beside_live_then_promote_rollback_and_retention(store, components):
    store.create_collection(CollectionInfo(name="kb", embed_model="m", dimension=components.embedder.dimension))
    fill(store, "kb", components, ["alpha", "beta"])
    v2 = new_version(store, "kb", components, ["alpha", "beta", "gamma"])
    assert store.count("kb") == 2, "a staged build does not serve"
    assert {e.version: e.live for e in store.versions("kb")} == {"v1": True, "v2": False}

    store.promote("kb", "v2")
    assert store.resolve("kb") == v2.name and store.count("kb") == 3
    assert store.get_collection(v2.name).index.previous == "kb@v1"
    store.rollback("kb")
    assert store.resolve("kb") == "kb@v1" and store.count("kb") == 2

    store.promote("kb", "kb@v2")
    new_version(store, "kb", components, ["delta"])
    store.promote("kb", "3")
    # retention=1: the live v3 and its rollback target v2 stay, v1 is dropped
    assert [(e.version, e.live) for e in store.versions("kb")] == [("v2", False), ("v3", True)]
    assert store.count("kb") == 1


def test_version_errors(store, components):
    store.create_collection(CollectionInfo(name="kb", embed_model="m", dimension=components.embedder.dimension))
    with pytest.raises(VersionError, match="no previous version"):
        store.rollback("kb")
    with pytest.raises(VersionError, match="no version v9"):
        store.promote("kb", "v9")
    building = store.create_version("kb", "m", components.embedder.dimension, {})
    with pytest.raises(VersionError, match="building"):
        store.promote("kb", building.index.version)
    with pytest.raises(CollectionNotFound):
        store.versions("nope")


def test_delete_removes_every_version_and_the_alias(store, components):
    store.create_collection(CollectionInfo(name="kb", embed_model="m", dimension=components.embedder.dimension))
    new_version(store, "kb", components, ["x"])
    assert store.delete_collection("kb")
    assert store.get_collection("kb") is None and store.base.list_collections() == [] and store.aliases() == {}


def test_collections_made_before_versioning_still_serve(store, components):
    store.base.create_collection(CollectionInfo(name="old", embed_model="m", dimension=components.embedder.dimension))
    fill(store, "old", components, ["x"])
    assert [c.name for c in store.list_collections()] == ["old"] and store.count("old") == 1
    assert [e.version for e in store.versions("old")] == ["v0"]
    with pytest.raises(VersionError, match="predates"):
        store.create_version("old", "m", components.embedder.dimension, {})


def test_embedded_alias_swap_is_visible_to_another_process_handle(tmp_path, components):
    """Two store objects on one folder (as a CLI next to a server): a promote by one is seen by the other."""
    a = VersionedStore(EmbeddedStore(tmp_path / "c"))
    b = VersionedStore(EmbeddedStore(tmp_path / "c"))
    a.create_collection(CollectionInfo(name="kb", embed_model="m", dimension=components.embedder.dimension))
    v2 = a.create_version("kb", "m", components.embedder.dimension, {})
    a.record(v2, status=VersionStatus.STAGED)
    assert b.resolve("kb") == "kb@v1"
    a.promote("kb", "v2")
    assert b.resolve("kb") == "kb@v2"
