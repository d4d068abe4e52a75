"""One open collection of the embedded engine: its live shard, the writes to it and its background index builds.

Reads borrow the live shard (`reading()`); writes go through `write()` under one lock. Once `build_after`
points are unindexed, a thread copies the live shard (under the write lock: a consistent, flushed copy), a child
process builds the HNSW index on the copy (edge_build.py) while reads and writes go on against the live shard,
and the thread swaps the copy in: under the write lock it replays the writes made since the copy, flushes,
switches `live.json` (the commit point, edge_layout.py) and retires the old shard, which closes once its last
read returns. Reads never wait for a build; a writer waits only when it outruns the builder by `max_unindexed`
points written since the running build's copy, which bounds the unindexed (brute-force searched) part of the live
shard at what the build covers plus `max_unindexed`.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from collections import deque
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from pydantic import BaseModel, Field
from qdrant_edge import EdgeShard, UpdateOperation

from grounded.settings import IndexPolicy
from grounded.store.edge_layout import (
    FIRST_SHARD,
    live_shard_dir,
    next_shard_dir,
    remove_orphans,
    set_live_shard,
    take_ownership,
)
from grounded.store.base import StoreUnavailable
from grounded.store.edge_build import copy_shard, shard_config, start_build

log = logging.getLogger("grounded.store")

KILL_AT_ENV = "GROUNDED_TEST_KILL_AT"
"""Fault injection for the crash tests: the process kills itself (SIGKILL) at the named step of a build."""


class BuildStats(BaseModel):
    """One finished build (kept in `LiveCollection.history`, logged): where its time went."""

    points: int = Field(description="unindexed points in the copy, indexed by this build")
    replayed: int = Field(description="writes made during the build, replayed onto the copy at the swap")
    copy_s: float = Field(description="flush + copy of the live shard; writes wait meanwhile, reads do not")
    build_s: float = Field(description="the child process: load, optimize, flush")
    swap_s: float = Field(description="load the copy, replay, flush, switch live.json, close the old shard")
    load_s: float = Field(description="of swap_s: opening the built copy (holds the GIL: reads wait)")
    segments: int
    build_rss_mb: float | None = Field(default=None, description="the build process's peak resident memory")


def _float_or_none(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


def _fault_point(step: str) -> None:
    if os.environ.get(KILL_AT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def load_shard(name: str, path: Path) -> EdgeShard:
    """Open a shard; its write-ahead log is locked by one process at a time (qdrant-edge raises a bare Exception
    naming WouldBlock), which is a StoreUnavailable here, never a crash."""
    try:
        return EdgeShard.load(str(path))
    except Exception as exc:
        if "WouldBlock" in str(exc):
            raise StoreUnavailable(
                f"collection '{name}' is in use by another process (a `grounded ingest` or a server on the same "
                "GROUNDED_HOME); try again when it is done"
            ) from exc
        raise


class _Slot:
    """A shard with the reads in flight on it; retired by a swap, closed (and its folder removed) after its last
    read."""

    def __init__(self, shard: EdgeShard, path: Path) -> None:
        self.shard, self.path = shard, path
        self.readers = 0
        self.retired = False

    def close(self, remove: bool) -> None:
        self.shard.close()
        if remove:
            shutil.rmtree(self.path, ignore_errors=True)


class _Build:
    def __init__(self, path: Path, covered: int) -> None:
        self.path = path
        self.covered = covered  # unindexed points in the copy, indexed once it is swapped in
        self.delta: list[UpdateOperation] = []  # writes since the copy, replayed onto it at the swap
        self.process: subprocess.Popen | None = None
        self.cancelled = False
        self.load_s = 0.0


class LiveCollection:
    def __init__(self, name: str, folder: Path, dimension: int, policy: IndexPolicy, owner: IO[str],
                 shard: EdgeShard, interrupted: bool = False) -> None:
        self.name, self.folder, self.dimension, self.policy = name, folder, dimension, policy
        self._owner = owner
        self._slot = _Slot(shard, live_shard_dir(folder))
        self._slot_lock = threading.Lock()
        self._lock = threading.RLock()  # writes, copy and swap
        self._built = threading.Condition(self._lock)
        self._build: _Build | None = None
        self._thread: threading.Thread | None = None
        self._next_try = 0  # a failed build is retried after build_after more unindexed points
        self._closing = False
        self._wrote = False
        info = shard.info()  # every point has a dense and a sparse vector; sparse ones are always indexed
        self.unindexed = max(0, 2 * info.points_count - info.indexed_vectors_count)
        # ^ an estimate: deleted points still count as indexed vectors, so it can be low. A build that a crash
        # interrupted was due, so it starts again whatever the estimate says.
        self.history: deque[BuildStats] = deque(maxlen=100)
        self._maybe_build(force=interrupted and self.unindexed > 0)

    @classmethod
    def create(cls, name: str, folder: Path, dimension: int, policy: IndexPolicy) -> "LiveCollection":
        folder.mkdir(parents=True, exist_ok=True)
        owner = take_ownership(folder, name)
        try:
            shard = EdgeShard.create(str(folder / FIRST_SHARD), shard_config(dimension))
        except BaseException:
            owner.close()
            raise
        return cls(name, folder, dimension, policy, owner, shard)

    @classmethod
    def open(cls, name: str, folder: Path, dimension: int, policy: IndexPolicy) -> "LiveCollection":
        owner = take_ownership(folder, name)
        try:
            shard = load_shard(name, live_shard_dir(folder))
            interrupted = remove_orphans(folder)
        except BaseException:
            owner.close()
            raise
        if interrupted:
            log.info("collection %s: an index build was interrupted; it starts again", name)
        return cls(name, folder, dimension, policy, owner, shard, interrupted=interrupted)

    # ------------------------------------------------------------ reads and writes

    @contextmanager
    def reading(self) -> Iterator[EdgeShard]:
        """The live shard for one read; a swap meanwhile closes it only after this read is done."""
        with self._slot_lock:
            slot = self._slot
            slot.readers += 1
        try:
            yield slot.shard
        finally:
            with self._slot_lock:
                slot.readers -= 1
                last = slot.retired and slot.readers == 0
            if last:
                slot.close(remove=True)

    def current(self) -> EdgeShard:
        """The live shard itself (benchmarks); prefer `reading()`."""
        return self._slot.shard

    def write(self, op: UpdateOperation, points: int = 0) -> None:
        """Apply one update; `points` = how many points it adds or rewrites (they are unindexed until a build)."""
        with self._lock:
            while self._outrun():
                self._built.wait()
            self._slot.shard.update(op)
            self._wrote = True
            if self._build is not None:
                self._build.delta.append(op)
            self.unindexed += points
            self._maybe_build()

    def flush(self) -> None:
        with self._lock:
            self._slot.shard.flush()
            self._maybe_build()

    # ------------------------------------------------------------ builds

    def building(self) -> bool:
        return self._build is not None

    def _outrun(self) -> bool:
        build, limit = self._build, self.policy.max_unindexed
        if build is None or limit is None:
            return False
        return self.unindexed - build.covered >= limit

    def _maybe_build(self, force: bool = False) -> None:
        after = self.policy.build_after
        if self._closing or after is None or self._thread is not None:
            return
        if not force and self.unindexed < max(after, self._next_try):
            return
        self._thread = threading.Thread(target=self._run_build, name=f"index-build-{self.name}", daemon=True)
        self._thread.start()

    def _run_build(self) -> None:
        build = None
        try:
            started = time.perf_counter()
            with self._lock:
                if self._closing:
                    return
                self._slot.shard.flush()
                build = _Build(next_shard_dir(self.folder), covered=self.unindexed)
                copy_shard(self._slot.path, build.path)
                self._build = build
            _fault_point("copied")
            copied = time.perf_counter()
            with self._lock:  # close() cancels under this lock: a process is either never started or killed
                if build.cancelled:
                    return
                build.process = start_build(build.path, self.dimension)
            out, err = build.process.communicate()
            if build.cancelled:
                return
            if build.process.returncode != 0:
                raise RuntimeError(f"index build exited {build.process.returncode}: {err.decode()[-500:]}")
            _fault_point("built")
            built = time.perf_counter()
            if not self._swap(build):
                return
            stats = BuildStats(points=build.covered, replayed=len(build.delta), copy_s=round(copied - started, 3),
                               build_s=round(built - copied, 3), swap_s=round(time.perf_counter() - built, 3),
                               load_s=round(build.load_s, 3), build_rss_mb=_float_or_none(out.decode()),
                               segments=self.current().info().segments_count)
            self.history.append(stats)
            log.info("collection %s: index build swapped in: %s", self.name, stats.model_dump())
        except Exception:
            log.exception("collection %s: background index build failed; the live shard is unchanged", self.name)
            with self._lock:
                self._next_try = self.unindexed + (self.policy.build_after or 0)
        finally:
            with self._lock:
                if build is not None and live_shard_dir(self.folder) != build.path:
                    shutil.rmtree(build.path, ignore_errors=True)
                self._build = None
                self._thread = None
                self._built.notify_all()
                if build is not None and not build.cancelled:
                    self._maybe_build()  # the writes made meanwhile may be enough for the next one

    def _swap(self, build: _Build) -> bool:
        """Replay, persist, switch `live.json`, retire the old shard: a crash before the switch leaves the old
        shard live (complete: every write went to it), after it the new one (flushed with the replayed writes).
        False if the build was cancelled meanwhile."""
        started = time.perf_counter()
        new = load_shard(self.name, build.path)  # outside the lock: writes go on meanwhile
        build.load_s = time.perf_counter() - started
        with self._lock:
            if build.cancelled:
                new.close()
                return False
            try:
                for op in build.delta:
                    new.update(op)
                new.flush()
            except BaseException:
                new.close()
                raise
            _fault_point("replayed")
            set_live_shard(self.folder, build.path)
            _fault_point("switched")
            with self._slot_lock:
                old, self._slot = self._slot, _Slot(new, build.path)
                old.retired = True
                idle = old.readers == 0
            self.unindexed = max(0, self.unindexed - build.covered)
            self._next_try = 0
        if idle:
            old.close(remove=True)
        return True

    def wait_for_builds(self, timeout: float | None = None) -> bool:
        """Block until no build runs or is due (True) or `timeout` seconds pass (False)."""
        with self._lock:
            return self._built.wait_for(lambda: self._thread is None, timeout=timeout)

    def close(self, finish_builds: bool | None = None) -> None:
        """Close the collection. `finish_builds` waits for a running build and swaps it in; otherwise the build is
        stopped and its folder removed (the data is complete either way). By default a process that wrote to the
        collection finishes (an ingest that returns leaves an indexed store) and a read-only one does not wait."""
        if finish_builds is None:
            finish_builds = self._wrote
        if finish_builds:
            self.wait_for_builds()
        with self._lock:
            self._closing = True
            build = self._build
            if build is not None:
                build.cancelled = True
                if build.process is not None:
                    build.process.kill()
        thread = self._thread
        if thread is not None:
            thread.join()
        with self._lock, self._slot_lock:
            self._slot.close(remove=False)
            self._owner.close()
