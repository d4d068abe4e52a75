"""Tune `generator.fallback_min_confidence`: when the LLM is unavailable or timed out, the extractive fallback
answers only if its own score reaches this threshold. Tuned on the FIRST half of SQuAD 2.0's articles
(squad2_dev_open), reported on the held-out second half; no LLM runs here.

    python bench/fallback_tuning.py --per-class 150

For each question the gate lets through, the product's own steps run without the LLM: retrieve, gate, shown
sources, `ExtractiveGenerator.generate`, citation verification. The fallback "answers" when its score reaches
the threshold and a sentence survives verification; the decision is right when that matches answerability.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DEFAULT_EVALDATA, ensure_ingested, open_components, read_jsonl, table, uptime_line  # noqa: E402
from bench.gate_tuning import build_corpus  # noqa: E402
from grounded.retrieval.gate import GateDecision, decide, signals  # noqa: E402
from grounded.retrieval.generators.base import GenerationRequest  # noqa: E402
from grounded.retrieval.generators.extractive import ExtractiveGenerator  # noqa: E402
from grounded.retrieval.prompts import NO_ANSWER  # noqa: E402
from grounded.retrieval.sources import shown_for  # noqa: E402

GRID = [round(0.30 + 0.025 * i, 3) for i in range(21)]  # 0.30 .. 0.80


def sample(questions: list[dict], per_class: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    ans = [q for q in questions if not q["is_impossible"]]
    una = [q for q in questions if q["is_impossible"]]
    n = min(per_class, len(ans), len(una))
    return rng.sample(ans, n) + rng.sample(una, n)


def score_questions(comps, collection: str, questions: list[dict]) -> list[tuple[bool, float | None]]:
    """(answerable, fallback score if it would answer at any threshold, else None) per gated-through question."""
    answers = comps.answers
    fallback = ExtractiveGenerator(comps.embedder)
    g = comps.settings.generator
    out = []
    for q in questions:
        evidence = answers.searcher.search(collection, q["text"])
        if decide(signals(q["text"], evidence), comps.settings.gate).decision is not GateDecision.PROCEED:
            continue
        sources = shown_for(g, q["text"], evidence, comps.embedder)
        gen = fallback.generate(GenerationRequest(question=q["text"], sources=sources))
        kept = gen.text != NO_ANSWER and answers.verifier.verify(gen.text, {s.marker: s.evidence for s in sources}).kept
        out.append((not q["is_impossible"], gen.score if kept else None))
    return out


def evaluate(scored: list[tuple[bool, float | None]], t: float) -> dict:
    right = sum((s is not None and s >= t) == answerable for answerable, s in scored)
    answered = [answerable for answerable, s in scored if s is not None and s >= t]
    return {"threshold": t, "accuracy": right / len(scored), "answered": len(answered),
            "precision": sum(answered) / len(answered) if answered else None,
            "answerable_answered": sum(answered) / max(1, sum(a for a, _ in scored))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, default=Path("/tmp/grounded-bench"))
    ap.add_argument("--evaldata", type=Path, default=DEFAULT_EVALDATA)
    ap.add_argument("--per-class", type=int, default=150)
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args(argv)
    print(f"# fallback threshold tuning [{uptime_line()}]", flush=True)
    root = a.evaldata / "squad2_dev_open"
    corpus = build_corpus(root, "subset-json", a.home)
    qs = read_jsonl(root / "queries.jsonl")
    articles = list(dict.fromkeys(q["article"] for q in qs))
    half = len(articles) // 2
    tune = sample([q for q in qs if q["article"] in articles[:half]], a.per_class, a.seed)
    held = sample([q for q in qs if q["article"] in articles[half:]], a.per_class, a.seed + 1)
    comps = open_components(a.home, generator={"backend": "extractive"})
    try:
        ensure_ingested(comps, "squad2_open_full", corpus)
        tune_scored = score_questions(comps, "squad2_open_full", tune)
        held_scored = score_questions(comps, "squad2_open_full", held)
    finally:
        comps.close()
    grid = [evaluate(tune_scored, t) for t in GRID]
    best = max(grid, key=lambda r: (r["accuracy"], r["threshold"]))
    print(f"tune half: {len(tune_scored)} of {len(tune)} questions past the gate")
    print(table(["threshold", "accuracy", "answered", "precision", "answerable answered"],
                [[r["threshold"], r["accuracy"], r["answered"], r["precision"], r["answerable_answered"]]
                 for r in grid], digits=3))
    held_best = evaluate(held_scored, best["threshold"])
    print(f"\nchosen on the tune half: {best['threshold']} (accuracy {best['accuracy']:.3f})")
    print(f"held-out half ({len(held_scored)} of {len(held)} past the gate) at {best['threshold']}: "
          f"accuracy {held_best['accuracy']:.3f}, precision {held_best['precision']}, "
          f"answerable answered {held_best['answerable_answered']:.3f}")
    for t in (0.0, 0.5):
        r = evaluate(held_scored, t)
        print(f"held-out at {t}: accuracy {r['accuracy']:.3f}, answered {r['answered']}, precision {r['precision']}")
    print(f"[end: {uptime_line()}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
