"""Trace records: one JSON file per answer under `GROUNDED_HOME/traces/`, written atomically and private (0600:
they hold questions and evidence); `prune` deletes those older than the retention period."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

from grounded.contracts import TraceRecord

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")


def write_private(path: Path, text: str) -> None:
    """Replace `path` atomically with `text`, readable by the owner only."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    tmp.replace(path)


def prune_older_than(folder: Path, pattern: str, max_age_s: float) -> int:
    """Delete the files matching `pattern` in `folder` not modified for `max_age_s`; how many went."""
    cutoff, removed = time.time() - max_age_s, 0
    for path in folder.glob(pattern):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


class TraceStore:
    def __init__(self, root: Path) -> None:
        self._root = root
        self._root.mkdir(parents=True, exist_ok=True)

    def write(self, record: TraceRecord) -> None:
        write_private(self._root / f"{record.trace_id}.json", record.model_dump_json(indent=1))

    def get(self, trace_id: str) -> TraceRecord | None:
        if not _TRACE_ID.match(trace_id):
            return None
        path = self._root / f"{trace_id}.json"
        return TraceRecord.model_validate_json(path.read_text(encoding="utf-8")) if path.is_file() else None

    def recent(self) -> Iterator[TraceRecord]:
        """Every trace, newest first (by file time); a file removed or half-written meanwhile is skipped."""
        stamped = []
        for path in self._root.glob("*.json"):
            try:
                stamped.append((path.stat().st_mtime_ns, path))
            except OSError:
                continue
        for _, path in sorted(stamped, reverse=True):
            try:
                yield TraceRecord.model_validate_json(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue

    def prune(self, max_age_s: float) -> int:
        return prune_older_than(self._root, "*.json", max_age_s)
