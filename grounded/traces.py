"""Trace records: one JSON file per answer under `GROUNDED_HOME/traces/`, written atomically."""

from __future__ import annotations

import re
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
