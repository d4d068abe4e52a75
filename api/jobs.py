"""Background jobs (ingest, upload, reindex), durable: every job is a row in `GROUNDED_HOME/jobs.sqlite3`, so a restart loses none. Jobs
still queued, or cut off while running, are resumed at start-up (a sync is hash-gated: re-running one redoes
only what is missing).

`api.job_workers` threads run jobs, never two of one collection at once; the next job is taken from the
collection served least recently, so one tenant's long upload cannot hold another tenant's job in the queue.
Why our own table rather than a queue library: the ones persisting to SQLite (huey, persist-queue) are FIFO and
cannot pick by collection or answer "what is job X"; both are a few lines of SQL here.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter

from grounded.api.schemas import JobKind, JobOut, JobStatus
from grounded.app import Components
from grounded.contracts import IngestReport, utcnow
from grounded.evals.promotion import ReindexReport
from grounded.ingest.sync import Progress
from grounded.settings import ChunkSettings
from grounded.store import CollectionNotFound

log = logging.getLogger("grounded.api.jobs")


class IngestSpec(BaseModel):
    """An ingest or upload job: sync `path` into the collection. Stored with the job so it can be resumed."""

    kind: Literal["ingest"] = "ingest"
    path: str
    prune: bool = False
    remember_source: bool = True
    doc_prefix: str = ""
    discard_path: bool = Field(default=False, description="delete `path` once the job is over (upload batches)")


class ReindexSpec(BaseModel):
    """A reindex job: build the next index version with these settings (unset = the server's), then gate it."""

    kind: Literal["reindex"] = "reindex"
    chunk: ChunkSettings | None = None
    embed: dict = Field(default_factory=dict, description="overrides of the server's embed settings")
    eval_dataset: str | None = None
    gate: str | None = None


JobSpec = Annotated[IngestSpec | ReindexSpec, Field(discriminator="kind")]
_SPEC = TypeAdapter(JobSpec)

Run = Callable[[JobOut, JobSpec, Progress], "IngestReport | ReindexReport"]


def job_run(components: Components) -> Run:
    """Runs a job by its spec; a collection deleted meanwhile fails the job (nothing re-creates it)."""
    from grounded.evals.promotion import reindex

    def run(job: JobOut, spec: JobSpec, progress: Progress) -> IngestReport | ReindexReport:
        if components.store.get_collection(job.collection) is None:
            raise CollectionNotFound(job.collection)
        if isinstance(spec, ReindexSpec):
            settings = components.settings
            build = settings.model_copy(update={
                "chunk": spec.chunk or settings.chunk, "embed": settings.embed.model_copy(update=spec.embed),
            })
            return reindex(components, job.collection, build_settings=build, progress=progress,
                           eval_dataset=Path(spec.eval_dataset) if spec.eval_dataset else None,
                           gate=Path(spec.gate) if spec.gate else None)
        return components.ingestor().sync(
            job.collection, Path(spec.path), prune=spec.prune, progress=progress,
            remember_source=spec.remember_source, doc_prefix=spec.doc_prefix,
        )

    return run


_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    collection TEXT NOT NULL,
    status TEXT NOT NULL,
    record TEXT NOT NULL,
    spec TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
"""


class JobStore:
    """The jobs table. One connection shared by the worker threads and the request threads, behind a lock."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        path.chmod(0o600)
        self._lock = threading.Lock()
        self.closed = False

    def add(self, job: JobOut, spec: JobSpec) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO jobs (id, collection, status, record, spec) VALUES (?, ?, ?, ?, ?)",
                (job.id, job.collection, job.status.value, job.model_dump_json(), _SPEC.dump_json(spec).decode()),
            )

    def save(self, job: JobOut) -> None:
        with self._lock:
            if self.closed:  # a job cut off by shutdown: it resumes at the next start, as it was recorded
                return
            self._db.execute("UPDATE jobs SET status = ?, record = ? WHERE id = ?",
                             (job.status.value, job.model_dump_json(), job.id))

    def get(self, job_id: str) -> JobOut | None:
        with self._lock:
            row = self._db.execute("SELECT record FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return JobOut.model_validate_json(row[0]) if row else None

    def queued(self) -> list[tuple[JobOut, JobSpec]]:
        """Unfinished jobs, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT record, spec FROM jobs WHERE status IN (?, ?) ORDER BY seq",
                (JobStatus.QUEUED.value, JobStatus.RUNNING.value),
            ).fetchall()
        return [(JobOut.model_validate_json(r), _SPEC.validate_json(s)) for r, s in rows]

    def close(self) -> None:
        with self._lock:
            if not self.closed:
                self.closed = True
                self._db.close()


class _JobProgress:
    """`ingest.sync.Progress` writing into the job record (saved per file, so a poll sees it move)."""

    def __init__(self, job: JobOut, store: JobStore) -> None:
        self._job, self._store = job, store

    def start(self, total_files: int) -> None:
        self._job.progress.files_total = total_files
        self._store.save(self._job)

    def file_done(self, doc_id: str) -> None:
        self._job.progress.files_done += 1
        self._store.save(self._job)

    def chunks_written(self, n: int) -> None:
        self._job.progress.chunks += n


class JobRunner:
    def __init__(self, store: JobStore, run: Run, workers: int = 1) -> None:
        self._store, self._run = store, run
        self._cond = threading.Condition()
        self._pending: list[tuple[JobOut, JobSpec]] = []
        self._running: set[str] = set()  # collections with a running job
        self._last_served: dict[str, float] = {}
        self._stopping = False
        for job, spec in store.queued():  # resume what a previous process left
            job.status, job.started_at = JobStatus.QUEUED, None
            job.progress.files_done, job.progress.chunks = 0, 0
            store.save(job)
            self._pending.append((job, spec))
        if self._pending:
            log.info("resuming %d unfinished job(s)", len(self._pending))
        self._workers = [
            threading.Thread(target=self._work, name=f"grounded-jobs-{i}", daemon=True) for i in range(workers)
        ]
        for worker in self._workers:
            worker.start()

    def submit(self, kind: JobKind, collection: str, spec: JobSpec) -> JobOut:
        job = JobOut(id=uuid.uuid4().hex, kind=kind, collection=collection, status=JobStatus.QUEUED,
                     created_at=utcnow())
        self._store.add(job, spec)
        with self._cond:
            self._pending.append((job.model_copy(deep=True), spec))
            self._cond.notify()
        return job

    def get(self, job_id: str) -> JobOut | None:
        return self._store.get(job_id)

    def close(self, timeout_s: float = 30.0) -> None:
        """Stop taking jobs and wait (up to `timeout_s`) for the running ones. Queued jobs stay in the table and
        run at the next start; a running job cut off by the timeout is resumed then too."""
        with self._cond:
            if self._stopping:
                return
            self._stopping = True
            self._cond.notify_all()
        deadline = time.monotonic() + timeout_s
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        self._store.close()

    def _next(self) -> tuple[JobOut, JobSpec] | None:
        """Under the condition: the oldest job of the least recently served collection not running now."""
        free = [(i, item) for i, item in enumerate(self._pending) if item[0].collection not in self._running]
        if not free:
            return None
        index, item = min(free, key=lambda f: (self._last_served.get(f[1][0].collection, 0.0), f[0]))
        del self._pending[index]
        return item

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (item := self._next()) is None:
                    self._cond.wait()
                if self._stopping:
                    return
                job, spec = item
                self._running.add(job.collection)
                self._last_served[job.collection] = time.monotonic()
            try:
                self._execute(job, spec)
            finally:
                with self._cond:
                    self._running.discard(job.collection)
                    self._cond.notify_all()

    def _execute(self, job: JobOut, spec: JobSpec) -> None:
        job.status, job.started_at = JobStatus.RUNNING, utcnow()
        self._store.save(job)
        try:
            report = self._run(job, spec, _JobProgress(job, self._store))
        except Exception as exc:  # a job's failure is its result, never the worker's end
            log.exception("job %s (%s of %s) failed", job.id, job.kind, job.collection)
            job.error, job.status = f"{type(exc).__name__}: {exc}", JobStatus.FAILED
        else:
            job.report, job.status = report, JobStatus.SUCCEEDED
        if self._store.closed:
            log.warning("job %s was cut off by the shutdown; it resumes at the next start", job.id)
            return
        job.finished_at = utcnow()
        self._store.save(job)
        if isinstance(spec, IngestSpec) and spec.discard_path:
            shutil.rmtree(spec.path, ignore_errors=True)
