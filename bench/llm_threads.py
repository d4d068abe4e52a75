"""Thread settings of the embedded model, on idle cores and under a parallel CPU load, in one run.

    python bench/llm_threads.py --models-dir ~/.grounded/models --questions 4

One in-process llama.cpp server per (generation threads, prompt threads) setting, the product's fixed system
prompt (cached) and ~150 words of new evidence per question; the settings are interleaved per question, first
with no extra load, then with --burners busy-looping processes beside them. Prints median wall time, prompt and
generation tokens/s per setting and load.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_EVALDATA, table, uptime_line  # noqa: E402

from grounded.retrieval.generators.local_runtime import DEFAULT_MODEL, LocalLLMServer, assemble_model  # noqa: E402
from grounded.retrieval.prompts import system_prompt  # noqa: E402

SETTINGS = [(2, 2), (1, 2), (1, 1)]


def _burn(stop) -> None:
    x = 0
    while not stop.is_set():
        x = (x * 1103515245 + 12345) % 2**31


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models-dir", type=Path, default=Path(os.environ.get("GROUNDED_HOME", ".grounded")) / "models")
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--questions", type=int, default=4)
    ap.add_argument("--burners", type=int, default=2)
    ap.add_argument("--evaldata", type=Path, default=DEFAULT_EVALDATA)
    a = ap.parse_args(argv)
    print(f"# llm threads bench, {a.model} [{uptime_line()}]", flush=True)
    path = assemble_model(a.model, a.models_dir)
    servers = {s: LocalLLMServer(path, n_threads=s[0], n_threads_batch=s[1]).start() for s in SETTINGS}
    words = (a.evaldata / "squad2_dev_open" / "SOURCE.md").read_text().split() * 20
    rows: dict[tuple, list] = {}
    try:
        for n, burners in enumerate((0, a.burners)):
            stop = mp.Event()
            procs = [mp.Process(target=_burn, args=(stop,)) for _ in range(burners)]
            for p in procs:
                p.start()
            time.sleep(1)
            for i in range(a.questions):
                k = n * a.questions + i  # new evidence every question, so only the system prompt is cached
                evidence = " ".join(words[k * 60 : k * 60 + 150])
                for s, srv in servers.items():
                    body = {"model": srv.model_name, "max_tokens": 24, "temperature": 0, "messages": [
                        {"role": "system", "content": system_prompt()},
                        {"role": "user", "content": f"Sources:\n[1] {evidence}\n\nQuestion: What is this about?"}]}
                    t = time.perf_counter()
                    r = httpx.post(srv.base_url + "/chat/completions", json=body, timeout=600,
                                   headers={"Authorization": f"Bearer {srv.api_key}"}).json()
                    tm = r["timings"]
                    rows.setdefault((burners, s), []).append((time.perf_counter() - t, tm["prompt_per_second"],
                                                             tm["predicted_per_second"], os.getloadavg()[0]))
            stop.set()
            for p in procs:
                p.join()
    finally:
        for srv in servers.values():
            srv.close()
    print(f"[end: {uptime_line()}]")
    print(table(["extra busy processes", "threads gen/prompt", "questions", "median s", "prompt tok/s", "gen tok/s",
                 "load1"],
                [[b, f"{s[0]}/{s[1]}", len(v), *(statistics.median(x[j] for x in v) for j in range(4))]
                 for (b, s), v in rows.items()], digits=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
