"""Trace records: one JSON file per answer under `GROUNDED_HOME/traces/`, written atomically."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from grounded.contracts import TraceRecord

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")


class TraceStore:
    def __init__(self, root: Path) -> None:
        self._root = root
        self._root.mkdir(parents=True, exist_ok=True)

    def write(self, record: TraceRecord) -> None:
        path = self._root / f"{record.trace_id}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(record.model_dump_json(indent=1), encoding="utf-8")
        tmp.replace(path)

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
