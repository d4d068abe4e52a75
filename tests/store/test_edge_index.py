"""The embedded engine builds its HNSW index in a child process and swaps it in: reads and writes go on meanwhile,
writes made during the build are in the swapped-in shard, and the swap leaves one live shard folder.

A test holds a build "running" for as long as it needs by stopping the real build process (SIGSTOP) and lets it
finish with SIGCONT: no fakes, no timing assumptions.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from edge_points import DIM, batch, point_id

from grounded.contracts import CollectionInfo
from grounded.store import SearchFilter, StoreQuery, StoreUnavailable
from grounded.store import edge_layout as layout
from grounded.settings import IndexPolicy
from grounded.store.embedded import EmbeddedStore

BUILD_AFTER = 1_000


@pytest.fixture
def held():
    """Stopped build processes; resumed at teardown whatever the test did, so no store waits on them forever."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass


def open_store(root, **policy) -> EmbeddedStore:
    return EmbeddedStore(root, IndexPolicy(**({"build_after": BUILD_AFTER, "max_unindexed": None} | policy)))


def hold_build(store: EmbeddedStore, name: str, held: list[int]) -> int:
    """Wait (bounded) until the collection's build process runs, then stop it."""
    live = store._live(name)
    for _ in range(60_000):
        build = live._build
        if build is not None and build.process is not None:
            os.kill(build.process.pid, signal.SIGSTOP)
            held.append(build.process.pid)
            return build.process.pid
        time.sleep(0.01)
    raise AssertionError("no index build started")


def nearest(store: EmbeddedStore, name: str, i: int, **flt) -> list[str]:
    _, dense, _ = batch(i, 1)
    q = StoreQuery(dense=dense[0].tolist(), sparse_indices=[i], sparse_values=[1.0], limit=3, candidates=20,
                   filter=SearchFilter(**flt) if flt else None)
    return [e.chunk.chunk_id for e in store.search(name, q)]


def new_collection(store: EmbeddedStore, name: str = "big") -> str:
    store.create_collection(CollectionInfo(name=name, embed_model="m", dimension=DIM))
    return name


def test_reads_and_writes_go_on_while_the_index_builds(tmp_path, held):
    store = open_store(tmp_path)
    name = new_collection(store)
    store.upsert(name, *batch(0, BUILD_AFTER))  # reaches build_after: the build starts in the background
    pid = hold_build(store, name, held)

    assert nearest(store, name, 5)[0] == point_id(5)
    assert set(nearest(store, name, 7, under="f1")) <= {point_id(i) for i in range(1, BUILD_AFTER, 2)}
    store.upsert(name, *batch(BUILD_AFTER, 200))  # written while the build runs
    store.delete_document(name, "f0/doc0.md")  # 120 points, ids ending in 0
    assert store.count(name) == 1_080
    assert nearest(store, name, BUILD_AFTER + 5)[0] == point_id(BUILD_AFTER + 5)
    assert layout.live_shard_dir(tmp_path / name).name == "shard"  # nothing swapped yet

    os.kill(pid, signal.SIGCONT)
    assert store.wait_for_index(name, timeout=600)
    assert layout.live_shard_dir(tmp_path / name).name == "shard-1"
    assert sorted(p.name for p in (tmp_path / name).iterdir() if p.name.startswith("shard")) == ["shard-1"]
    assert store.count(name) == 1_080  # the writes made during the build were replayed onto the new shard
    assert nearest(store, name, BUILD_AFTER + 5)[0] == point_id(BUILD_AFTER + 5)
    assert nearest(store, name, 5)[0] == point_id(5)
    assert not nearest(store, name, 10, doc_ids=["f0/doc0.md"])
    info = store.shard(name).info()
    assert info.indexed_vectors_count - info.points_count >= 900  # dense vectors in HNSW segments
    store.close()


def test_a_writer_waits_only_when_it_outruns_the_build_and_reads_never_wait(tmp_path, held):
    store = open_store(tmp_path, max_unindexed=500)
    name = new_collection(store)
    store.upsert(name, *batch(0, BUILD_AFTER))
    pid = hold_build(store, name, held)
    store.upsert(name, *batch(BUILD_AFTER, 500))  # up to max_unindexed written during the build: accepted at once

    writer = threading.Thread(target=store.upsert, args=(name, *batch(BUILD_AFTER + 500, 100)))
    writer.start()
    writer.join(timeout=1.0)
    assert writer.is_alive()  # max_unindexed points ahead of the running build: the writer waits for it
    assert nearest(store, name, 3)[0] == point_id(3)  # a read does not
    os.kill(pid, signal.SIGCONT)
    writer.join(timeout=600)
    assert not writer.is_alive()
    assert store.wait_for_index(name, timeout=600)
    assert store.count(name) == BUILD_AFTER + 600
    store.close()


def test_reopen_keeps_the_index_and_removes_stray_shard_folders(tmp_path):
    store = open_store(tmp_path)
    name = new_collection(store)
    store.upsert(name, *batch(0, BUILD_AFTER))
    store.close()  # waits for the build and swaps it in
    (tmp_path / name / "shard-9" / "segments").mkdir(parents=True)  # as a crash during a build leaves it

    again = open_store(tmp_path)
    assert again.count(name) == BUILD_AFTER
    assert not (tmp_path / name / "shard-9").exists()
    info = again.shard(name).info()
    assert info.indexed_vectors_count == 2 * BUILD_AFTER  # dense (HNSW) and sparse, nothing left to build
    assert not again._live(name).building()
    with pytest.raises(StoreUnavailable, match="in use"):
        open_store(tmp_path).count(name)  # one process (here: one store) owns a collection
    again.close()


def test_deleting_a_collection_stops_its_build(tmp_path, held):
    store = open_store(tmp_path)
    name = new_collection(store)
    store.upsert(name, *batch(0, BUILD_AFTER))
    hold_build(store, name, held)
    process = store._live(name)._build.process
    assert store.delete_collection(name)
    assert process.poll() is not None  # killed and reaped
    assert not (tmp_path / name).exists()
    store.close()


def test_below_build_after_nothing_is_built(tmp_path):
    store = open_store(tmp_path)
    name = new_collection(store)
    store.upsert(name, *batch(0, BUILD_AFTER - 1))
    store.flush(name)
    assert not store._live(name).building()
    store.close()
    assert layout.live_shard_dir(tmp_path / name).name == "shard"


@pytest.mark.unit
def test_live_pointer_and_stray_folders(tmp_path):
    assert layout.live_shard_dir(tmp_path) == tmp_path / "shard"
    for d in ("shard", "shard-2", "shard-10", "other"):
        (tmp_path / d).mkdir()
    assert layout.next_shard_dir(tmp_path).name == "shard-11"
    layout.set_live_shard(tmp_path, tmp_path / "shard-2")
    assert layout.live_shard_dir(tmp_path) == tmp_path / "shard-2"
    assert layout.remove_orphans(tmp_path)  # shard-10 is a build newer than the live shard-2: interrupted
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.json", "other", "shard-2"]
    (tmp_path / "shard-1").mkdir()  # an old shard a crash kept from being deleted after a swap
    assert not layout.remove_orphans(tmp_path)
    assert not (tmp_path / "shard-1").exists()



def test_a_due_build_starts_on_open_and_a_read_only_process_does_not_wait_for_it(tmp_path, held):
    before = open_store(tmp_path, build_after=None)  # as a collection from before background builds
    name = new_collection(before)
    before.upsert(name, *batch(0, BUILD_AFTER))
    before.close()

    reader = open_store(tmp_path)
    assert nearest(reader, name, 1)[0] == point_id(1)
    hold_build(reader, name, held)  # started on open: every point was unindexed
    closing = threading.Thread(target=reader.close)
    closing.start()
    closing.join(timeout=120)
    assert not closing.is_alive()  # it wrote nothing: the build is dropped, not awaited
    assert sorted(p.name for p in (tmp_path / name).iterdir() if p.name.startswith("shard")) == ["shard"]
    again = open_store(tmp_path, build_after=None)
    assert again.count(name) == BUILD_AFTER
    again.close()


def test_the_index_policy_comes_from_settings(tmp_path, monkeypatch):
    from grounded.settings import load_settings
    from grounded.store import open_store as open_configured

    profile = tmp_path / "profile.yaml"
    profile.write_text("store_index: {max_unindexed: null}\n")
    monkeypatch.setenv("GROUNDED_STORE_INDEX__BUILD_AFTER", str(BUILD_AFTER))
    settings = load_settings(profile, home=tmp_path / "home")
    assert (settings.store_index.build_after, settings.store_index.max_unindexed) == (BUILD_AFTER, None)
    store = open_configured(settings)
    store.create_collection(CollectionInfo(name="docs", embed_model="m", dimension=DIM))
    store.upsert("docs", *batch(0, BUILD_AFTER))  # the configured threshold starts a build, the default would not
    assert store.base.wait_for_index(store.resolve("docs"), timeout=600)
    info = store.base.shard(store.resolve("docs")).info()
    assert info.indexed_vectors_count - info.points_count >= 900
    store.close()
    monkeypatch.setenv("GROUNDED_STORE_INDEX__BUILD_AFTER", "0")
    with pytest.raises(ValueError):
        load_settings(home=tmp_path / "home")
