"""Shared helpers for bench/retrieval.py and bench/gate_tuning.py: paths, data loading, collections, timing
proxies, percentiles and plain-text tables. Bench-only; nothing in production imports this."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from grounded.evals.metrics.latency import percentile  # noqa: E402
from grounded.contracts import Evidence  # noqa: E402

DEFAULT_EVALDATA = ROOT.parent / "shared" / "evaldata"
DEFAULT_HOME = Path("/tmp/grounded-bench")


# ---------------------------------------------------------------- machine


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def uptime_line() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        la = load_average()
        return f"load average: {la[0]:.2f}, {la[1]:.2f}, {la[2]:.2f}"


def machine_info() -> dict[str, Any]:
    return {
        "uptime": uptime_line(),
        "load_average": [round(x, 2) for x in load_average()],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


# ---------------------------------------------------------------- data


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def require_file(path: Path) -> Path:
    if not path.is_file():
        raise SystemExit(f"missing data file: {path} (pass --evaldata pointing at shared/evaldata)")
    return path


# ---------------------------------------------------------------- components and collections


def open_components(home: Path, **settings_overrides: Any):
    """Components over an embedded store under `home` (never the user's GROUNDED_HOME)."""
    from grounded.app import Components
    from grounded.settings import Settings

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return Components(Settings(home=home, qdrant_url=None, **settings_overrides))


def ensure_ingested(components, collection: str, corpus: Path, log=print) -> dict[str, Any]:
    """Hash-gated sync: the first run embeds everything, later runs only check hashes."""
    started = time.perf_counter()
    report = components.ingestor().sync(collection, corpus)
    info = {
        "collection": collection,
        "corpus": str(corpus),
        "added": report.added,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "removed": report.removed,
        "failed": len(report.failed),
        "chunks_embedded": report.chunks,
        "points": components.store.count(collection),
        "seconds": round(time.perf_counter() - started, 2),
    }
    log(
        f"[ingest] {collection}: {info['points']} points; added {info['added']}, unchanged {info['unchanged']}, "
        f"failed {info['failed']}, {info['seconds']} s"
    )
    return info


def distinct_docs(evidence: Iterable[Evidence]) -> list[str]:
    """Doc ids in rank order, first occurrence wins (several chunks of one document count once)."""
    return list(dict.fromkeys(e.chunk.doc_id for e in evidence))


# ---------------------------------------------------------------- timing


class StepTimer:
    """Collects per-call wall times (ms) by step name for the current query."""

    def __init__(self) -> None:
        self.current: dict[str, float] = {}

    def add(self, step: str, ms: float) -> None:
        self.current[step] = self.current.get(step, 0.0) + ms

    def take(self) -> dict[str, float]:
        out, self.current = self.current, {}
        return out


class TimedEmbedder:
    """Wraps the Embedder so the Searcher's query embedding is timed (same object, same model)."""

    def __init__(self, inner, timer: StepTimer) -> None:
        self._inner, self._timer = inner, timer

    def embed_query(self, text: str) -> list[float]:
        t = time.perf_counter()
        try:
            return self._inner.embed_query(text)
        finally:
            self._timer.add("embed_dense", (time.perf_counter() - t) * 1000)

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


class TimedSparse:
    def __init__(self, inner, timer: StepTimer) -> None:
        self._inner, self._timer = inner, timer

    def embed_query(self, text: str):
        t = time.perf_counter()
        try:
            return self._inner.embed_query(text)
        finally:
            self._timer.add("embed_sparse", (time.perf_counter() - t) * 1000)

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


class TimedStore:
    def __init__(self, inner, timer: StepTimer) -> None:
        self._inner, self._timer = inner, timer

    def search(self, name: str, query):
        t = time.perf_counter()
        try:
            return self._inner.search(name, query)
        finally:
            self._timer.add("store", (time.perf_counter() - t) * 1000)

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


def pct(values: Sequence[float]) -> dict[str, float | None]:
    """p50/p95/p99/mean/max in ms, rounded; nearest-rank percentiles (evals.metrics.latency)."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "mean": None, "max": None}
    r = lambda x: None if x is None else round(x, 3)  # noqa: E731
    return {
        "n": len(values),
        "p50": r(percentile(values, 50)),
        "p95": r(percentile(values, 95)),
        "p99": r(percentile(values, 99)),
        "mean": r(sum(values) / len(values)),
        "max": r(max(values)),
    }


# ---------------------------------------------------------------- output


def fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], digits: int = 4) -> str:
    """A GitHub-markdown table (readable as plain text too)."""
    cells = [[fmt(c, digits) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) if cells else len(str(h)) for i, h in enumerate(headers)]
    line = lambda vals: "| " + " | ".join(str(v).ljust(w) for v, w in zip(vals, widths)) + " |"  # noqa: E731
    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
