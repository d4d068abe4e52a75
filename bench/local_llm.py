"""Benchmark the embedded offline LLMs (retrieval.generators.local_runtime) and print a table.

    python bench/local_llm.py                       # both models, 1 and 2 threads
    python bench/local_llm.py --models qwen2.5-coder-0.5b --threads 2 --json out.json

For each model x thread count, in a fresh subprocess (so peak RSS is per configuration):
load time; time to first token (TTFT) for a ~600-token grounded-QA prompt, cold (``cache_prompt`` off)
and with the system-prompt prefix already cached (a previous request shared it); prompt and generation
tokens/s from llama.cpp's own timings; peak RSS. Then a tiny quality probe (6 grounded-QA cases,
temperature 0): the model must cite [n] after claims, or answer exactly ``NO_ANSWER``.
The machine is shared and noisy: the 1-minute load average at the start of each run is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from grounded.retrieval.prompts import system_prompt  # noqa: E402
from grounded.retrieval.generators.local_runtime import MODELS, LocalLLMServer, assemble_model  # noqa: E402

SYSTEM_PROMPT = system_prompt()


def user_prompt(blocks: list[str], question: str) -> str:
    ev = "\n\n".join(f"[{i}] {b}" for i, b in enumerate(blocks, 1))
    return f"Evidence:\n{ev}\n\nQuestion: {question}"


# ~600-token prompt for the timing runs (system ~170 tokens + three ~140-token blocks + question).
LONG_BLOCKS = [
    "The Harlow Valley water treatment plant was commissioned in March 2011 to replace two older facilities "
    "that had served the valley since the 1950s. It draws raw water from the Harlow reservoir through a "
    "2.4-kilometre intake tunnel and treats it with coagulation, sedimentation, sand filtration and "
    "ultraviolet disinfection before a final low dose of chlorine is added for the distribution network. "
    "The plant was designed for a nominal capacity of 48 million litres per day, with room to extend to 60 "
    "million litres per day by adding a fifth filter bank. In its first full year it delivered an average "
    "of 31 million litres per day to about 140,000 residents.",
    "Maintenance at the plant follows a quarterly schedule. Each filter bank is taken offline in turn for "
    "backwashing inspection and media top-up, which takes about three days per bank. The ultraviolet "
    "reactors have their lamps replaced every 12,000 operating hours, and the lamp sleeves are cleaned "
    "automatically every six hours by wipers. The intake tunnel is inspected by remotely operated vehicle "
    "every five years; the 2021 inspection found minor calcite deposits but no structural damage. Spare "
    "parts for the pumps are held on site, and the operator keeps a contract with two regional suppliers "
    "for emergency deliveries within 24 hours.",
    "In 2019 the regional council approved a programme to reduce the plant's energy use. Variable-speed "
    "drives were fitted to the four high-lift pumps, cutting their electricity consumption by roughly 18 "
    "percent. A 1.2-megawatt solar array was built on the former sludge lagoons in 2020 and now supplies "
    "about a quarter of the plant's annual electricity. The council's report on the programme noted that "
    "the payback period for the pump drives was under four years, while the solar array was expected to "
    "pay for itself in about nine years, depending on electricity prices and maintenance costs over time.",
]
LONG_QUESTIONS = [
    "What daily capacity was the Harlow Valley plant designed for?",
    "How often are the ultraviolet lamps replaced?",
    "How much did the variable-speed drives cut pump electricity use?",
    "What did the 2021 tunnel inspection find?",
]

# Quality probe: 3 answerable (gold block, a fact that must appear), 3 not answerable.
CASES = [
    {
        "blocks": [
            "The Orford lighthouse was automated in 1998 and its last keeper left the following spring.",
            "Orford Ness is a shingle spit on the Suffolk coast, owned by the National Trust since 1993.",
            "The spit was used for military research, including early radar experiments, from 1913 to 1987.",
        ],
        "question": "When was the Orford lighthouse automated?",
        "gold": 1,
        "fact": "1998",
    },
    {
        "blocks": [
            "The Kestrel K2 bicycle frame is made of 6061 aluminium and weighs 1.45 kg in size medium.",
            "Kestrel offers a five-year warranty on frames and a two-year warranty on painted finishes.",
            "The K2 uses a threaded bottom bracket and accepts tyres up to 42 mm wide.",
        ],
        "question": "How wide can the tyres on the K2 be?",
        "gold": 3,
        "fact": "42",
    },
    {
        "blocks": [
            "Meeting notes, 4 May: the team agreed to move the release of version 3.2 to 18 June.",
            "The database migration for version 3.2 was assigned to Priya and must finish before 10 June.",
            "Version 3.1 shipped on 2 April with 14 bug fixes and a new export dialog.",
        ],
        "question": "Who is responsible for the database migration for version 3.2?",
        "gold": 2,
        "fact": "Priya",
    },
    {
        "blocks": [
            "The Orford lighthouse was automated in 1998 and its last keeper left the following spring.",
            "Orford Ness is a shingle spit on the Suffolk coast, owned by the National Trust since 1993.",
            "The spit was used for military research, including early radar experiments, from 1913 to 1987.",
        ],
        "question": "How tall is the Orford lighthouse?",
        "gold": None,
    },
    {
        "blocks": [
            "The Kestrel K2 bicycle frame is made of 6061 aluminium and weighs 1.45 kg in size medium.",
            "Kestrel offers a five-year warranty on frames and a two-year warranty on painted finishes.",
            "The K2 uses a threaded bottom bracket and accepts tyres up to 42 mm wide.",
        ],
        "question": "What is the retail price of the Kestrel K2 frame?",
        "gold": None,
    },
    {
        "blocks": [
            "Meeting notes, 4 May: the team agreed to move the release of version 3.2 to 18 June.",
            "The database migration for version 3.2 was assigned to Priya and must finish before 10 June.",
            "Version 3.1 shipped on 2 April with 14 bug fixes and a new export dialog.",
        ],
        "question": "Why was the release of version 3.2 moved to 18 June?",
        "gold": None,
    },
]

CITE = re.compile(r"\[(\d+)\]")


def score_case(case: dict, text: str) -> dict:
    t = text.strip()
    said_no = t == "NO_ANSWER"
    mentions_no = "NO_ANSWER" in t
    cites = sorted({int(m) for m in CITE.findall(t)})
    if case["gold"] is None:
        return {"decision": said_no, "decision_lenient": mentions_no, "citation": None, "fact": None}
    answered = not mentions_no
    return {
        "decision": answered,
        "decision_lenient": answered,
        # the gold block is cited and every cited number is the gold block
        "citation": answered and cites == [case["gold"]],
        "citation_lenient": answered and case["gold"] in cites,
        "fact": answered and case["fact"].lower() in t.lower(),
    }


def stream_chat(client, model, messages, max_tokens, **extra):
    """Stream one chat completion; return (text, ttft_s, total_s, timings, usage)."""
    t0 = time.perf_counter()
    ttft = None
    parts: list[str] = []
    timings = None
    usage = None
    for ch in client.chat.completions.create(
        model=model,
        messages=messages,
        max_tokens=max_tokens,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
        extra_body=extra or None,
    ):
        if ch.choices and ch.choices[0].delta.content:
            if ttft is None:
                ttft = time.perf_counter() - t0
            parts.append(ch.choices[0].delta.content)
        if ch.model_extra and ch.model_extra.get("timings"):
            timings = ch.model_extra["timings"]
        if ch.usage:
            usage = ch.usage
    return "".join(parts), ttft, time.perf_counter() - t0, timings or {}, usage


def run_one(kind: str, threads: int, models_dir: str, n_ctx: int, quality: bool) -> dict:
    path = assemble_model(kind, models_dir)
    res: dict = {"model": kind, "threads": threads, "loadavg": os.getloadavg()[0]}
    srv = LocalLLMServer(path, n_ctx=n_ctx, n_threads=threads)
    with srv:
        srv.wait_ready(30)
        res["load_s"] = srv.load_seconds
        client = srv.openai_client()
        m = srv.model_name
        sysmsg = {"role": "system", "content": SYSTEM_PROMPT}

        def msgs(q):
            return [sysmsg, {"role": "user", "content": user_prompt(LONG_BLOCKS, q)}]

        # warm-up (first decode allocates buffers), then cold runs with the prompt cache disabled
        stream_chat(client, m, [{"role": "user", "content": "Hi"}], 2, cache_prompt=False)
        cold = [stream_chat(client, m, msgs(q), 1, cache_prompt=False) for q in LONG_QUESTIONS[:2]]
        res["prompt_tokens"] = cold[0][3].get("prompt_n")
        res["ttft_cold_s"] = statistics.median(c[1] or c[2] for c in cold)
        res["prompt_tps"] = statistics.median(c[3]["prompt_per_second"] for c in cold)
        # cached system prompt: prime with one question, measure the others (same system prompt,
        # same evidence here, so also report how many tokens came from the cache)
        stream_chat(client, m, [sysmsg, {"role": "user", "content": "Evidence:\n[1] x\n\nQuestion: y"}], 1)
        warm = []
        for q in LONG_QUESTIONS[2:]:
            # differ right after the system prompt: a fresh evidence order, so only the system prefix is reusable
            blocks = LONG_BLOCKS[::-1] if len(warm) % 2 == 0 else LONG_BLOCKS[1:] + LONG_BLOCKS[:1]
            warm.append(stream_chat(client, m, [sysmsg, {"role": "user", "content": user_prompt(blocks, q)}], 1))
            stream_chat(client, m, [sysmsg, {"role": "user", "content": "Evidence:\n[1] x\n\nQuestion: y"}], 1)
        res["ttft_prefix_cached_s"] = statistics.median(w[1] or w[2] for w in warm)
        res["cached_tokens"] = warm[0][3].get("cache_n")
        # generation speed: a longer answer
        _, _, _, tm, _ = stream_chat(
            client, m, [{"role": "user", "content": "Write a 120-word paragraph about water treatment."}], 96
        )
        res["gen_tps"] = tm.get("predicted_per_second")
        res["gen_tokens"] = tm.get("predicted_n")

        if quality:
            outs = []
            for case in CASES:
                text, ttft, total, tm, _ = stream_chat(
                    client, m, [sysmsg, {"role": "user", "content": user_prompt(case["blocks"], case["question"])}], 96
                )
                sc = score_case(case, text)
                outs.append({"question": case["question"], "gold": case["gold"], "output": text,
                             "seconds": round(total, 2), **sc})
            res["quality"] = outs
            ans = [o for o in outs if o["gold"] is not None]
            res["decisions"] = sum(bool(o["decision"]) for o in outs)
            res["decisions_lenient"] = sum(bool(o["decision_lenient"]) for o in outs)
            res["citations"] = sum(bool(o["citation"]) for o in ans)
            res["citations_lenient"] = sum(bool(o["citation_lenient"]) for o in ans)
            res["facts"] = sum(bool(o["fact"]) for o in ans)
            res["answer_s_p50"] = statistics.median(o["seconds"] for o in outs)
    res["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return res


def fmt(v, nd=1):
    return "-" if v is None else (f"{v:.{nd}f}" if isinstance(v, float) else str(v))


def print_table(rows: list[dict]) -> None:
    hdr = ["model", "thr", "load1", "load s", "prompt tok", "prompt tok/s", "TTFT cold s", "TTFT cached-prefix s",
           "cached tok", "gen tok/s", "decisions /6", "cites /3", "facts /3", "answer p50 s", "peak RSS MiB"]
    lines = [hdr]
    for r in rows:
        if "error" in r:
            lines.append([r["model"], str(r["threads"]), "ERROR: " + r["error"][:80]] + [""] * (len(hdr) - 3))
            continue
        dec = "-" if "decisions" not in r else f"{r['decisions']} ({r['decisions_lenient']})"
        cit = "-" if "citations" not in r else f"{r['citations']} ({r['citations_lenient']})"
        lines.append([r["model"], str(r["threads"]), fmt(r["loadavg"], 2), fmt(r["load_s"]), fmt(r["prompt_tokens"]),
                      fmt(r["prompt_tps"]), fmt(r["ttft_cold_s"], 2), fmt(r["ttft_prefix_cached_s"], 2),
                      fmt(r["cached_tokens"]), fmt(r["gen_tps"]), dec, cit, fmt(r.get("facts")),
                      fmt(r.get("answer_s_p50"), 2), fmt(r["peak_rss_mib"], 0)])
    widths = [max(len(str(l[i])) for l in lines) for i in range(len(hdr))]
    for j, l in enumerate(lines):
        print(" | ".join(str(c).ljust(w) for c, w in zip(l, widths)))
        if j == 0:
            print("-+-".join("-" * w for w in widths))
    print("decisions: exact NO_ANSWER for unanswerable / any answer for answerable (lenient: NO_ANSWER anywhere); "
          "cites: only the gold block cited (lenient: gold block among the cited)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--models-dir", default=os.path.join(os.environ.get("GROUNDED_HOME", os.path.expanduser("~/.grounded")), "models"))
    ap.add_argument("--n-ctx", type=int, default=4096)
    ap.add_argument("--quality-threads", type=int, nargs="*", default=None,
                    help="thread counts that also run the quality probe (default: all)")
    ap.add_argument("--json", help="write all results (including model outputs) here")
    ap.add_argument("--show-outputs", action="store_true")
    ap.add_argument("--_child", nargs=3, metavar=("KIND", "THREADS", "QUALITY"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)

    if a._child:
        kind, threads, quality = a._child
        print(json.dumps(run_one(kind, int(threads), a.models_dir, a.n_ctx, quality == "1")))
        return 0

    rows = []
    for kind in a.models:
        assemble_model(kind, a.models_dir)  # once, outside the timed children
        for t in a.threads:
            q = a.quality_threads is None or t in a.quality_threads
            cmd = [sys.executable, __file__, "--models-dir", a.models_dir, "--n-ctx", str(a.n_ctx),
                   "--_child", kind, str(t), "1" if q else "0"]
            p = subprocess.run(cmd, capture_output=True, text=True)
            try:
                row = json.loads(p.stdout.strip().splitlines()[-1])
            except (IndexError, json.JSONDecodeError):
                row = {"model": kind, "threads": t, "error": (p.stderr or p.stdout).strip()[-300:]}
            rows.append(row)
            print(f"done {kind} threads={t}", file=sys.stderr, flush=True)
    print_table(rows)
    if a.show_outputs:
        for r in rows:
            for o in r.get("quality", []):
                print(f"\n[{r['model']} t={r['threads']}] Q: {o['question']} (gold {o['gold']})\n  -> {o['output']!r}")
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
