"""Issue 9 Low: traces and idempotency records are pruned past their retention, and written private (0600)."""

from __future__ import annotations

import os
import stat
import time

import pytest

from grounded.api.idempotency import TTL_S, IdempotencyStore, StoredResponse
from grounded.contracts import Answer, AnswerStatus, TraceRecord, Versions
from grounded.traces import TraceStore

pytestmark = pytest.mark.unit
DAY = 86400


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_traces_past_retention_are_pruned_and_files_are_private(tmp_path):
    traces = TraceStore(tmp_path)
    versions = Versions(prompt="p", generator="g", model="m", embedder="e", index="i")
    for trace_id in ("a" * 32, "b" * 32):
        answer = Answer(status=AnswerStatus.NO_ANSWER, answer=None, confidence=0.0, versions=versions,
                        trace_id=trace_id)
        traces.write(TraceRecord(trace_id=trace_id, collection="c", question="q", answer=answer))
    old, new = tmp_path / f"{'a' * 32}.json", tmp_path / f"{'b' * 32}.json"
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    _age(old, 31 * DAY)
    assert traces.prune(30 * DAY) == 1
    assert not old.exists() and new.exists()


def test_expired_idempotency_records_are_pruned(tmp_path):
    store = IdempotencyStore(tmp_path)
    record = StoredResponse(status=201, content_type=None, body_b64="", route_path="/x", route_name="x",
                            stored_at=time.time())
    store.save("old", record, to_disk=True)
    store.save("new", record, to_disk=True)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o600
    _age(tmp_path / "old.json", TTL_S + 60)
    assert store.prune() == 1
    assert not (tmp_path / "old.json").exists() and (tmp_path / "new.json").exists()
