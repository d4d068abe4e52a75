"""End-to-end answers through the product's `AnswerService`, per generator configuration, on the golden set and
a balanced sample of the HELD-OUT half of SQuAD 2.0 (the last 5 of its 10 articles; bench/gate_tuning.py tunes on
the first 5). Prints, per configuration x dataset: decision accuracy, share of answerable questions answered,
token F1 of the answered ones, end-to-end p50/p95, per-step p50/p95, prompt/completion tokens per answer, and the
1-minute load average at each question. Every question goes to every configuration in turn (all models stay
loaded), so load swings hit the configurations alike: compare rows of one run, not across runs.

    python bench/answers.py --configs text-2t json-1t --golden 20 --squad 40

The embedded model is never re-assembled: pass --models-dir (default <home>/models; symlink it to a shared one).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    DEFAULT_EVALDATA,
    ROOT,
    ensure_ingested,
    load_average,
    open_components,
    pct,
    read_jsonl,
    require_file,
    table,
    uptime_line,
    write_json,
)
from bench.gate_tuning import build_corpus  # noqa: E402
from grounded.contracts import AnswerStatus  # noqa: E402
from grounded.evals.metrics.answer import token_f1  # noqa: E402
from grounded.retrieval.answer import AnswerService, AskRequest  # noqa: E402
from grounded.retrieval.events import FinalEvent, SentenceEvent  # noqa: E402
from grounded.retrieval.generators.factory import build_generator  # noqa: E402
from grounded.settings import GeneratorSettings  # noqa: E402

# import what the product loads lazily now, so a long run is not broken by edits to the working tree meanwhile
import grounded.app  # noqa: E402,F401
import grounded.ingest.sync  # noqa: E402,F401
import grounded.retrieval.generators.extractive  # noqa: E402,F401
import grounded.retrieval.generators.factory  # noqa: E402,F401
import grounded.retrieval.generators.local  # noqa: E402,F401
import grounded.retrieval.generators.local_runtime  # noqa: E402,F401
import grounded.store.embedded  # noqa: E402,F401

# name -> GeneratorSettings overrides (backend local unless it says otherwise)
TEXT = {"prompt_form": "text", "local_threads": 2, "max_tokens": 96}
JSON = {"prompt_form": "json", "local_threads": 2, "max_tokens": 64}
ONE_THREAD = {"local_threads": 1, "local_threads_batch": 2}  # one generating thread, two reading the prompt
FLOOR_0 = {"min_answer_probability": 0.0}  # every answer kept, its odds recorded: floors are swept offline
SMALL = {"local_model": "qwen2.5-coder-0.5b"}
CONFIGS: dict[str, dict] = {
    "before": {**TEXT, "max_tokens": 256, "evidence_chars": 1350},
    "text-2t": {**TEXT, **FLOOR_0},
    "text-1t": {**TEXT, **ONE_THREAD},
    "json-2t": {**JSON, **FLOOR_0},
    "json-1t": {**JSON, **ONE_THREAD, **FLOOR_0},
    "json-1t-ngram": {**JSON, **ONE_THREAD, **FLOOR_0, "local_speculative": "ngram"},
    "text-600": {**TEXT, "evidence_chars": 600},
    "json-600": {**JSON, **FLOOR_0, "evidence_chars": 600},
    "text-05b": {**TEXT, **SMALL},
    "json-05b": {**JSON, **SMALL, **FLOOR_0},
    "json-odds": {**JSON, "min_answer_probability": 0.75},  # default
    "json-odds-ngram": {**JSON, "min_answer_probability": 0.75, "local_speculative": "ngram"},
    "json-all3": {**JSON, **FLOOR_0, "min_relative_dense": 0.0},  # every source shown: tunes min_relative_dense
    "json-odds-750": {**JSON, "min_answer_probability": 0.9, "evidence_chars": 750},
    "json-odds-600": {**JSON, "min_answer_probability": 0.9, "evidence_chars": 600},
    # sixth round: sentences chosen by words only (the fifth round's default) against words + meaning
    "json-lex-900": {**JSON, **FLOOR_0, "excerpt_match": "lexical", "evidence_chars": 900},
    "json-sem-600": {**JSON, **FLOOR_0, "excerpt_match": "semantic", "evidence_chars": 600},
    "json-sem-700": {**JSON, **FLOOR_0, "excerpt_match": "semantic", "evidence_chars": 700},
    "json-sem-500": {**JSON, **FLOOR_0, "excerpt_match": "semantic", "evidence_chars": 500},
    "json-sem-600-rel08": {**JSON, **FLOOR_0, "excerpt_match": "semantic", "evidence_chars": 600,
                           "min_relative_dense": 0.8},
    "json-sem-600-rel075": {**JSON, **FLOOR_0, "excerpt_match": "semantic", "evidence_chars": 600,
                            "min_relative_dense": 0.75},
    "json-05b-lex-900": {**JSON, **SMALL, **FLOOR_0, "excerpt_match": "lexical", "evidence_chars": 900},
    "json-05b-sem-600": {**JSON, **SMALL, **FLOOR_0, "excerpt_match": "semantic", "evidence_chars": 600},
    # README's `fast` profile: the 0.5B abstains below its own odds of answering 0.85, its best decision accuracy on
    # SQuAD's first half with prompt grounded_json_v3 (docs/results.md, issue 8, seventh round)
    "fast": {**JSON, **SMALL, "min_answer_probability": 0.85},
    "extractive": {"backend": "extractive"},
}
ANSWERED = (AnswerStatus.ANSWERED, AnswerStatus.PARTIAL)
STEPS = ("retrieve", "gate", "select", "generate", "verify", "total")


def golden_questions(n: int, seed: int) -> list[dict]:
    qs = [q for q in read_jsonl(ROOT / "data" / "golden" / "questions.jsonl") if q.get("expected_status") != "refused"]
    qs = [qs[i] for i in sorted(random.Random(seed).sample(range(len(qs)), min(n, len(qs))))]
    return [{"question": q["question"], "answerable": q["expected_status"] == "answered",
             "expected": q["expected_status"], "references": q.get("reference_answers", [])}
            for q in qs]


def squad_questions(root: Path, per_class: int, seed: int, half: str = "held") -> list[dict]:
    """A balanced sample of one half of the articles: "held" (the last half: report on it) or "tune" (the first)."""
    qs = read_jsonl(require_file(root / "queries.jsonl"))
    articles = list(dict.fromkeys(q["article"] for q in qs))
    mid = len(articles) // 2
    chosen = articles[mid:] if half == "held" else articles[:mid]
    held = [q for q in qs if q["article"] in chosen]
    rng = random.Random(seed)
    ans = rng.sample([q for q in held if not q["is_impossible"]], per_class)
    una = rng.sample([q for q in held if q["is_impossible"]], per_class)
    return [{"question": q["text"], "answerable": not q["is_impossible"],
             "expected": "no_answer" if q["is_impossible"] else "answered", "references": q["answers"]}
            for q in sorted(ans + una, key=lambda q: q["_id"])]


def service_for(comps, g: GeneratorSettings) -> AnswerService:
    base = comps.answers
    settings = comps.settings.model_copy(update={"generator": g})
    return AnswerService(base.searcher, build_generator(settings, comps.embedder), base.fallback, base.verifier,
                         base.traces, comps.settings.gate, base.embedder_name, g)


def ask_all(services: dict[str, AnswerService], collection: str, questions: list[dict], log,
            live: bool = False) -> dict[str, list]:
    """Every question to every configuration in turn, so load swings hit all configurations alike. `live`: through
    the stream the chat API sends (sentences as they pass verification), timing the first verified text too."""
    rows: dict[str, list] = {name: [] for name in services}
    for i, q in enumerate(questions, 1):
        for name, service in services.items():
            load = load_average()[0]
            request = AskRequest(collection=collection, question=q["question"])
            t = time.perf_counter()
            first = None
            if live:
                for event in service.stream(request, live=True):
                    if isinstance(event, SentenceEvent) and first is None:
                        first = time.perf_counter() - t
                    elif isinstance(event, FinalEvent):
                        a = event.answer
            else:
                a = service.ask(request)
            seconds = time.perf_counter() - t
            trace = service.traces.get(a.trace_id)
            odds = trace.generations[0].answer_odds if trace and trace.generations else None  # the model's own odds
            rows[name].append({"q": q, "a": a, "s": seconds, "first": first if first is not None else seconds,
                               "load": load, "odds": odds})
            log(f"  {i}/{len(questions)} {name:<12} {a.status.value:<19} {seconds:6.1f}s "
                f"load {load:5.1f} fb={bool(a.fallback)} {(a.answer or '')[:50]!r}")
    return rows


def summarise(rows: list[dict]) -> dict:
    answered = [r for r in rows if r["a"].status in ANSWERED]
    decision_ok = [
        (r["a"].status.value == r["q"]["expected"]) or (r["q"]["expected"] == "answered" and r["a"].status in ANSWERED)
        for r in rows
    ]
    answerable = [r for r in rows if r["q"]["answerable"]]
    f1s = [token_f1(" ".join(s.text for s in r["a"].sentences), r["q"]["references"])
           for r in answered if r["q"]["answerable"] and r["q"]["references"]]
    steps = {s: pct([r["a"].timings_ms[s] for r in rows if s in r["a"].timings_ms]) for s in STEPS}
    return {
        "n": len(rows),
        "decision_accuracy": sum(decision_ok) / len(rows),
        "answerable_answered": sum(r["a"].status in ANSWERED for r in answerable) / max(1, len(answerable)),
        "unanswerable_answered": sum(r["a"].status in ANSWERED for r in rows if not r["q"]["answerable"]),
        "token_f1": statistics.mean(f for f in f1s if f is not None) if f1s else None,
        "fallbacks": sum(bool(r["a"].fallback) for r in rows),
        "p50_s": steps["total"]["p50"] / 1000, "p95_s": steps["total"]["p95"] / 1000,
        "first_text": pct([r["first"] * 1000 for r in rows]),
        "steps_ms": steps,
        "prompt_tokens": statistics.mean(r["a"].usage.prompt_tokens for r in rows),
        "completion_tokens": statistics.mean(r["a"].usage.completion_tokens for r in rows),
        "load_mean": round(statistics.mean(r["load"] for r in rows), 1),
        "answers": [{"question": r["q"]["question"], "expected": r["q"]["expected"], "status": r["a"].status.value,
                     "answer": r["a"].answer, "quotes": [c.quote for c in r["a"].citations],
                     "missing": r["a"].missing_information, "odds": r["odds"], "seconds": round(r["s"], 2), "fallback": r["a"].fallback,
                     "load": r["load"], "usage": r["a"].usage.model_dump()} for r in rows],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, default=Path("/tmp/grounded-bench-answers"))
    ap.add_argument("--evaldata", type=Path, default=DEFAULT_EVALDATA)
    ap.add_argument("--configs", nargs="+", default=["json-odds", "text-2t", "fast", "extractive"], choices=list(CONFIGS))
    ap.add_argument("--golden", type=int, default=20, help="golden questions (0 = skip)")
    ap.add_argument("--squad", type=int, default=100, help="balanced held-out SQuAD sample size (0 = skip)")
    ap.add_argument("--squad-half", choices=("held", "tune"), default="held",
                    help="which half of SQuAD's articles to sample: report on 'held', tune on 'tune'")
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--timeout", type=float, default=120.0, help="generator timeout (s)")
    ap.add_argument("--live", action="store_true",
                    help="answer through the live stream; report the time to the first verified sentence (to the final answer when none is streamed)")
    ap.add_argument("--out", type=Path)
    a = ap.parse_args(argv)
    log = lambda m="": print(m, flush=True)  # noqa: E731

    log(f"# answers bench [{uptime_line()}]")
    sets = {}
    if a.golden:
        sets["golden"] = ("bench_golden", (ROOT / "data" / "golden" / "corpus").resolve(), golden_questions(a.golden, a.seed))
    if a.squad:
        root = a.evaldata / "squad2_dev_open"
        sets[f"squad2-{a.squad_half}"] = ("squad2_open_full", build_corpus(root, "subset-json", a.home),
                                          squad_questions(root, a.squad // 2, a.seed, a.squad_half))
    results = []
    comps = open_components(a.home)  # one store and embedder; one generator per configuration
    services = {name: service_for(comps, GeneratorSettings(timeout_s=a.timeout, **CONFIGS[name]))
                for name in a.configs}
    try:
        for service in services.values():
            service.generator.warm_up()
        for set_name, (collection, corpus, questions) in sets.items():
            ensure_ingested(comps, collection, corpus, log)
            log(f"## {set_name} ({len(questions)} questions x {len(services)} configurations) [{uptime_line()}]")
            rows = ask_all(services, collection, questions, log, live=a.live)
            results += [{"config": name, "set": set_name, **summarise(r)} for name, r in rows.items()]
    finally:
        for service in services.values():
            service.generator.close()
        comps.close()

    log(f"\n[end: {uptime_line()}]")
    log(table(
        ["config", "set", "n", "decision acc", "answerable answered", "unanswerable answered", "token F1",
         "fallbacks", "p50 s", "p95 s", "first text p50/p95 s", "prompt tok", "compl. tok", "mean load1"],
        [[r["config"], r["set"], r["n"], r["decision_accuracy"], r["answerable_answered"], r["unanswerable_answered"],
          r["token_f1"], r["fallbacks"], r["p50_s"], r["p95_s"],
          f"{r['first_text']['p50'] / 1000:.2f}/{r['first_text']['p95'] / 1000:.2f}", r["prompt_tokens"],
          r["completion_tokens"], r["load_mean"]] for r in results], digits=2))
    log("\nper step p50/p95 ms")
    log(table(["config", "set", *STEPS],
              [[r["config"], r["set"], *(f"{r['steps_ms'][s]['p50']}/{r['steps_ms'][s]['p95']}" for s in STEPS)]
               for r in results]))
    if a.out:
        write_json(a.out, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
