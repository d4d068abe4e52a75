"""How long a `grounded` command takes to reach its first real work, as a user starts it.

    python bench/startup.py --home /tmp/grounded-bench-startup --runs 5

* `grounded --help` and `grounded collections list`: wall time of the whole command (they do no more than that).
* `grounded ask QUESTION -c NAME` on the embedded defaults: time from the process's start to the start of its
  `grounded.answer` OpenTelemetry span (the command's first work: imports, settings, store and embedder opened),
  read by a small OTLP/HTTP receiver on 127.0.0.1 from the command's own spans; and to the end of `retrieve`.
  The whole command's wall time is printed beside it (it includes loading the LLM and generating).

The collection is the golden demo corpus, ingested once into --home. Each row prints the 1-minute load average.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, load_average, table, uptime_line  # noqa: E402

COLLECTION = "startup"
QUESTION = "What is the maximum hotel rate per night in Oslo?"


class SpanSink:
    """An OTLP/HTTP traces receiver: keeps (name, start_ns, end_ns) of every span posted to /v1/traces."""

    def __init__(self) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        sink = self
        self.spans: list[tuple[str, int, int]] = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = ExportTraceServiceRequest.FromString(body)
                for rs in request.resource_spans:
                    for ss in rs.scope_spans:
                        sink.spans += [(s.name, s.start_time_unix_nano, s.end_time_unix_nano) for s in ss.spans]
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1/traces"

    def first(self, name: str) -> tuple[int, int] | None:
        found = [(s, e) for n, s, e in self.spans if n == name]
        return min(found) if found else None


def grounded_cmd() -> list[str]:
    exe = shutil.which("grounded", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "grounded"]


def timed(args: list[str], env: dict[str, str]) -> tuple[float, int, float]:
    """Wall seconds, exit code, and the wall-clock start (ns since the epoch) of the process."""
    start_ns = time.time_ns()
    t = time.perf_counter()
    proc = subprocess.run(grounded_cmd() + args, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
    return time.perf_counter() - t, proc.returncode, start_ns


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, default=Path("/tmp/grounded-bench-startup"))
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args(argv)
    a.home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GROUNDED_HOME": str(a.home)}
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    print(f"# startup bench [{uptime_line()}]", flush=True)
    _, rc, _ = timed(["ingest", str(ROOT / "data" / "golden" / "corpus"), "-c", COLLECTION], env)
    if rc != 0:
        return rc

    sink = SpanSink()
    traced = {**env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": sink.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    rows: dict[str, list[float]] = {"--help": [], "collections list": [], "ask: first work": [],
                                    "ask: retrieved": [], "ask: whole command": []}
    loads: list[float] = []
    for i in range(a.runs):
        loads.append(load_average()[0])
        rows["--help"].append(timed(["--help"], env)[0])
        rows["collections list"].append(timed(["collections", "list"], env)[0])
        sink.spans.clear()
        wall, rc, start_ns = timed(["ask", QUESTION, "-c", COLLECTION], traced)
        answer, retrieve = sink.first("grounded.answer"), sink.first("grounded.answer.retrieve")
        if rc != 0 or answer is None or retrieve is None:
            print(f"run {i + 1}: ask exited {rc}, spans seen: {sorted({n for n, _, _ in sink.spans})}", file=sys.stderr)
            return 1
        rows["ask: first work"].append((answer[0] - start_ns) / 1e9)
        rows["ask: retrieved"].append((retrieve[1] - start_ns) / 1e9)
        rows["ask: whole command"].append(wall)
        print(f"  run {i + 1}/{a.runs}: load {loads[-1]:.2f}, "
              + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in rows.items()), flush=True)

    print(f"\n[end: {uptime_line()}]")
    print(table(["step", "runs", "median s", "max s", "mean load1"],
                [[k, len(v), statistics.median(v), max(v), statistics.mean(loads)] for k, v in rows.items()], digits=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
