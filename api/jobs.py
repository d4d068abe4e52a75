"""Ingestion jobs: one background worker thread runs them in order while the API keeps answering.

Jobs live in memory (a restart forgets them). Each job's progress is fed by the `ingest.sync.Progress` protocol.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from grounded.api.schemas import JobKind, JobOut, JobStatus
from grounded.app import Components
from grounded.contracts import IngestReport, utcnow
from grounded.store import CollectionNotFound
from grounded.ingest.sync import Progress

log = logging.getLogger("grounded.api.jobs")

Work = Callable[[Progress], IngestReport]


def sync_work(components: Components, collection: str, path: Path, **options) -> Work:
    """A job syncing `path` into the collection; if it was deleted meanwhile the job fails, nothing re-creates it."""

    def work(progress: Progress) -> IngestReport:
        if components.store.get_collection(collection) is None:
            raise CollectionNotFound(collection)
        return components.ingestor().sync(collection, path, progress=progress, **options)

    return work


class _JobProgress:
    """`ingest.sync.Progress` writing into a job record."""

    def __init__(self, job: JobOut, lock: threading.Lock) -> None:
        self._job, self._lock = job, lock

    def start(self, total_files: int) -> None:
        with self._lock:
            self._job.progress.files_total = total_files

    def file_done(self, doc_id: str) -> None:
        with self._lock:
            self._job.progress.files_done += 1

    def chunks_written(self, n: int) -> None:
        with self._lock:
            self._job.progress.chunks += n


class JobRunner:
    def __init__(self) -> None:
        self._jobs: dict[str, JobOut] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[JobOut, Work] | None] = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="grounded-jobs", daemon=True)
        self._worker.start()

    def submit(self, kind: JobKind, collection: str, work: Work) -> JobOut:
        job = JobOut(id=uuid.uuid4().hex, kind=kind, collection=collection, status=JobStatus.QUEUED,
                     created_at=utcnow())
        with self._lock:
            self._jobs[job.id] = job
            snapshot = job.model_copy(deep=True)
        self._queue.put((job, work))
        return snapshot

    def get(self, job_id: str) -> JobOut | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.model_copy(deep=True) if job else None

    def close(self, timeout_s: float = 30.0) -> None:
        """Fail the jobs still queued, let the running one finish (up to `timeout_s`), stop the worker."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                self._finish(item[0], error="the server shut down before the job started")
        self._queue.put(None)
        self._worker.join(timeout_s)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            job, work = item
            with self._lock:
                job.status, job.started_at = JobStatus.RUNNING, utcnow()
            try:
                report = work(_JobProgress(job, self._lock))
            except Exception as exc:  # a job's failure is its result, never the worker's end
                log.exception("job %s (%s of %s) failed", job.id, job.kind, job.collection)
                self._finish(job, error=f"{type(exc).__name__}: {exc}")
            else:
                self._finish(job, report=report)

    def _finish(self, job: JobOut, report: IngestReport | None = None, error: str | None = None) -> None:
        with self._lock:
            job.report, job.error, job.finished_at = report, error, utcnow()
            job.status = JobStatus.FAILED if error else JobStatus.SUCCEEDED
