"""Tune the sufficiency gate (retrieval/gate.py) on SQuAD 2.0 (open part of the dev set, 10 articles).

    python bench/gate_tuning.py                          # first run ingests 126 paragraphs and retrieves 3,366 questions
    python bench/gate_tuning.py --out /tmp/gate.json     # also write the numbers as JSON

Retrieval is the production path, `Searcher.search(collection, question)` with the default RetrievalSettings
(hybrid, top_k=5) over ALL paragraphs of the 10 articles, cached per question in
`<home>/cache/` (re-used while the collection and settings are unchanged).

Corpus: `squad2_dev_open/corpus_paragraphs.jsonl` holds only 3 of the 10 articles (126 of 370 paragraphs:
Normans, Huguenot, Oxygen), so 1,161 answerable questions would have no source paragraph in the index. By default
the corpus is therefore rebuilt at run time from `dev-v2.0.subset.json` with evals.importers.squad2 (into
`<home>/squad2_import/`; ids `<Article>#<i>` as in queries.jsonl, texts checked equal to corpus_paragraphs.jsonl
where both have them). `--corpus paragraphs` uses the 126-paragraph file as shipped.

Split by article (dataset order): the first 5 articles' questions tune, the last 5 are held out. From each half a
balanced sample (up to --per-class answerable + the same number unanswerable, fixed seed) is drawn; the held-out
half is also scored in full at its natural mix.

The gate's signals are measured once per question with `retrieval.gate.signals()` — best dense cosine, lexical
overlap of the question's content stems with the top-3 evidence, the required-terms rule (names/numbers of the
question missing from all evidence), the clarify readings — and every setting of the grid is decided by
`retrieval.gate.decide()` itself (the required-terms rule is switched off by clearing its signal).

`clarify` counts as answered (not abstained); how often it fires is reported. Positive class = abstain.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    DEFAULT_EVALDATA,
    DEFAULT_HOME,
    ROOT,
    distinct_docs,
    ensure_ingested,
    machine_info,
    open_components,
    read_jsonl,
    require_file,
    table,
    uptime_line,
    write_json,
)
from grounded.evals.metrics.abstention import abstention_scores  # noqa: E402
from grounded.evals.metrics.retrieval import recall_at_k, reciprocal_rank  # noqa: E402
from grounded.contracts import Evidence  # noqa: E402
from grounded.settings import GateSettings  # noqa: E402
from grounded.retrieval.gate import GateSignals, decide, signals  # noqa: E402
from grounded.retrieval.search import Searcher  # noqa: E402

COLLECTIONS = {"subset-json": "squad2_open_full", "paragraphs": "squad2_open"}
ORIGINAL_DEFAULTS = (0.30, 0.34)  # GateSettings before this bench tuned them (commit 77acdb1 moved them)
DENSE_GRID = [round(0.05 * i, 2) for i in range(15)]  # 0.00 .. 0.70
LEXICAL_GRID = [round(0.05 * i, 2) for i in range(19)]  # 0.00 .. 0.90


def log(msg: str = "") -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------- retrieval (cached)


def build_corpus(root: Path, kind: str, home: Path) -> Path:
    """The corpus.jsonl to ingest (see the module docstring), with its ids and texts checked."""
    given = require_file(root / "corpus_paragraphs.jsonl")
    if kind == "paragraphs":
        return given
    from grounded.evals.importers.squad2 import import_squad2

    out = home / "squad2_import"
    corpus = out / "corpus.jsonl"
    if not corpus.is_file():
        if out.exists():
            import shutil

            shutil.rmtree(out)
        import_squad2(require_file(root / "dev-v2.0.subset.json"), out)
    built = {d["_id"]: d for d in read_jsonl(corpus)}
    for d in read_jsonl(given):
        if d["_id"] not in built or built[d["_id"]]["text"] != d["text"]:
            raise SystemExit(f"imported corpus disagrees with corpus_paragraphs.jsonl at {d['_id']}")
    return corpus


def retrieve_all(comps, collection: str, questions: list[dict], cache_dir: Path) -> dict[str, list[Evidence]]:
    s = comps.settings.retrieval
    points = comps.store.count(collection)
    key = hashlib.sha256(
        json.dumps({"settings": s.model_dump(), "points": points, "embed": comps.embedder.model_name,
                    "collection": collection, "qids": [q["_id"] for q in questions]}, sort_keys=True).encode()
    ).hexdigest()[:16]
    path = cache_dir / f"{collection}_retrieval_{key}.json"
    if path.is_file():
        raw = json.loads(path.read_text())
        log(f"[retrieval] cached: {path}")
        return {qid: [Evidence.model_validate(e) for e in evs] for qid, evs in raw.items()}
    searcher = Searcher(comps.store, comps.embedder, comps.sparse, s)
    out, t = {}, time.perf_counter()
    for i, q in enumerate(questions, 1):
        out[q["_id"]] = searcher.search(collection, q["text"])
        if i % 500 == 0:
            log(f"[retrieval] {i}/{len(questions)} ({time.perf_counter() - t:.0f} s)")
    cache_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({qid: [e.model_dump(mode="json") for e in evs] for qid, evs in out.items()}))
    log(f"[retrieval] {len(questions)} questions in {time.perf_counter() - t:.1f} s -> {path}")
    return out


# ---------------------------------------------------------------- gate signals and the fast decision


def fast_decision(sig: GateSignals, min_dense: float, min_lexical: float, required_terms_on: bool) -> str:
    """retrieval.gate.decide() itself at the given thresholds; the required-terms rule switched off by clearing
    the signal it reads."""
    if not required_terms_on:
        sig = sig.model_copy(update={"missing_terms": []})
    return decide(sig, GateSettings(min_dense_score=min_dense, min_lexical_overlap=min_lexical)).decision.value


def score(items: list[dict], min_dense: float, min_lexical: float, rt: bool) -> dict:
    decisions = [fast_decision(it["sig"], min_dense, min_lexical, rt) for it in items]
    s = abstention_scores((it["answerable"], d == "no_answer") for it, d in zip(items, decisions))
    return {
        "min_dense_score": min_dense, "min_lexical_overlap": min_lexical, "required_terms": rt,
        "precision": s.precision, "recall": s.recall, "f1": s.f1, "accuracy": s.accuracy,
        "abstain_rate": sum(d == "no_answer" for d in decisions) / len(decisions),
        "clarify": sum(d == "clarify" for d in decisions),
        "answer_coverage": _coverage(s.counts),
        "counts": s.counts.model_dump(),
    }


def _coverage(c) -> float | None:
    """Share of the answerable questions the gate lets through (answered or clarify)."""
    n = c.true_answer + c.false_abstain
    return c.true_answer / n if n else None


def trivial(items: list[dict], abstain: bool) -> dict:
    s = abstention_scores((it["answerable"], abstain) for it in items)
    return {"precision": s.precision, "recall": s.recall, "f1": s.f1, "accuracy": s.accuracy,
            "abstain_rate": 1.0 if abstain else 0.0, "clarify": 0, "answer_coverage": _coverage(s.counts),
            "counts": s.counts.model_dump()}


def auc(pos: list[float], neg: list[float]) -> float | None:
    """P(score of a random positive > score of a random negative), ties count half (Mann-Whitney)."""
    if not pos or not neg:
        return None
    allv = sorted([(v, 1) for v in pos] + [(v, 0) for v in neg])
    rank_sum, i = 0.0, 0
    while i < len(allv):
        j = i
        while j < len(allv) and allv[j][0] == allv[i][0]:
            j += 1
        avg_rank = (i + j + 1) / 2  # 1-based average rank of the tie block
        rank_sum += avg_rank * sum(1 for k in range(i, j) if allv[k][1] == 1)
        i = j
    return (rank_sum - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


# ---------------------------------------------------------------- report pieces


def row_of(label: str, r: dict) -> list:
    return [label, r["precision"], r["recall"], r["f1"], r["accuracy"], r["answer_coverage"], r["abstain_rate"],
            r["clarify"]]


HEAD = ["setting", "abst. P", "abst. R", "abst. F1", "accuracy", "answerable answered", "abstain rate", "clarify"]


def setting_label(r: dict) -> str:
    return f"dense>={r['min_dense_score']:.2f} lex>={r['min_lexical_overlap']:.2f} req_terms={'on' if r['required_terms'] else 'off'}"


def balanced_sample(items: list[dict], per_class: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    ans = [it for it in items if it["answerable"]]
    una = [it for it in items if not it["answerable"]]
    n = min(per_class, len(ans), len(una))
    out = rng.sample(ans, n) + rng.sample(una, n)
    out.sort(key=lambda it: it["order"])
    return out


def retrieval_recall(items: list[dict]) -> dict:
    cases = [(it["ranked_docs"], [it["source_paragraph"]]) for it in items if it["answerable"]]
    return {
        "n": len(cases),
        **{f"recall@{k}": sum(recall_at_k(r, g, k) for r, g in cases) / len(cases) for k in (1, 3, 5)},
        "mrr@5": sum(reciprocal_rank(r, g, 5) for r, g in cases) / len(cases),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, default=DEFAULT_HOME, help="bench GROUNDED home (default %(default)s)")
    ap.add_argument("--evaldata", type=Path, default=DEFAULT_EVALDATA)
    ap.add_argument("--out", type=Path, help="write the numbers as JSON here")
    ap.add_argument("--corpus", choices=tuple(COLLECTIONS), default="subset-json",
                    help="subset-json: all 370 paragraphs of the 10 articles (default); paragraphs: the shipped "
                         "corpus_paragraphs.jsonl (3 articles only)")
    ap.add_argument("--per-class", type=int, default=750, help="balanced sample size per class and split")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--objective", choices=("accuracy", "f1", "f1-coverage"), default="accuracy",
                    help="what picks the chosen setting on the tuning half (all three are shown). Plain abstention "
                         "F1 is degenerate on a balanced set: abstaining on everything scores 0.667")
    ap.add_argument("--min-coverage", type=float, default=0.8,
                    help="for f1-coverage: the gate must let through at least this share of answerable questions")
    ap.add_argument("--golden", type=Path, default=ROOT / "data" / "golden",
                    help="also run the settings on this golden set (questions.jsonl + corpus/); '' to skip")
    args = ap.parse_args(argv)

    out: dict = {"machine": machine_info(), "command": " ".join(sys.argv)}
    log(f"# Grounded sufficiency-gate tuning — SQuAD 2.0 dev (open part)  [{out['machine']['uptime']}]")
    root = args.evaldata / "squad2_dev_open"
    corpus = build_corpus(root, args.corpus, args.home)
    collection = COLLECTIONS[args.corpus]
    questions = read_jsonl(require_file(root / "queries.jsonl"))
    corpus_ids = {d["_id"] for d in read_jsonl(corpus)}
    n_paragraphs = len(corpus_ids)
    no_source = sum(1 for q in questions if not q["is_impossible"] and q["source_paragraph"] not in corpus_ids)
    log(f"corpus: {corpus} ({args.corpus}); answerable questions whose source paragraph is NOT indexed: {no_source}")
    out["corpus"] = {"kind": args.corpus, "path": str(corpus), "paragraphs": n_paragraphs,
                     "answerable_without_source_in_index": no_source}
    articles = list(dict.fromkeys(q["article"] for q in questions))
    half = len(articles) // 2
    tune_articles, held_articles = articles[:half], articles[half:]
    log(f"{n_paragraphs} paragraphs, {len(questions)} questions, {len(articles)} articles; "
        f"tune on {tune_articles}; hold out {held_articles}")

    comps = open_components(args.home)
    try:
        out["ingest"] = ensure_ingested(comps, collection, corpus, log)
        evidence = retrieve_all(comps, collection, questions, args.home / "cache")
        defaults = comps.settings.gate
    finally:
        comps.close()

    t = time.perf_counter()
    items = []
    for i, q in enumerate(questions):
        ev = evidence[q["_id"]]
        items.append({
            "id": q["_id"], "text": q["text"], "answerable": not q["is_impossible"], "article": q["article"],
            "source_paragraph": q.get("source_paragraph"), "order": i, "ranked_docs": distinct_docs(ev),
            "sig": signals(q["text"], ev),
        })
    log(f"signals for {len(items)} questions in {time.perf_counter() - t:.1f} s")

    tune_all = [it for it in items if it["article"] in tune_articles]
    held_all = [it for it in items if it["article"] in held_articles]
    tune = balanced_sample(tune_all, args.per_class, args.seed)
    held = balanced_sample(held_all, args.per_class, args.seed + 1)
    split_info = {
        name: {"questions": len(s), "answerable": sum(it["answerable"] for it in s),
               "unanswerable": sum(not it["answerable"] for it in s)}
        for name, s in (("tune_all", tune_all), ("tune_sample", tune), ("held_all", held_all), ("held_sample", held))
    }
    out["splits"] = {"tune_articles": tune_articles, "held_articles": held_articles, **split_info}
    log(table(["split", "questions", "answerable", "unanswerable"],
              [[k, v["questions"], v["answerable"], v["unanswerable"]] for k, v in split_info.items()]))

    # -- retrieval recall of the source paragraph
    log("\n## Retrieval: source paragraph in Searcher.search(top_k=5) (answerable questions, distinct paragraphs)")
    rec = {name: retrieval_recall(s) for name, s in (("tune_all", tune_all), ("held_all", held_all), ("all", items))}
    log(table(["questions", "n", "R@1", "R@3", "R@5", "MRR@5"],
              [[k, v["n"], v["recall@1"], v["recall@3"], v["recall@5"], v["mrr@5"]] for k, v in rec.items()]))
    out["retrieval_recall"] = rec

    # -- signal diagnostics (held-out half, all questions)
    log("\n## Signals on the held-out half (all questions): how well does each separate unanswerable?")
    diag_rows, diag = [], {}
    for cls, flt in (("answerable", True), ("unanswerable", False)):
        grp = [it for it in held_all if it["answerable"] is flt]
        d = {
            "n": len(grp),
            "mean_best_dense": sum(it["sig"].best_dense for it in grp) / len(grp),
            "mean_lexical": sum(it["sig"].lexical for it in grp) / len(grp),
            "required_terms_missing": sum(bool(it["sig"].missing_terms) for it in grp) / len(grp),
            "clarify_readings": sum(len(it["sig"].readings) >= 2 for it in grp) / len(grp),
        }
        diag[cls] = d
        diag_rows.append([cls, d["n"], d["mean_best_dense"], d["mean_lexical"], d["required_terms_missing"],
                          d["clarify_readings"]])
    log(table(["class", "n", "mean best dense", "mean lexical", "share req. terms missing", "share clarify-able"],
              diag_rows))
    una = [it for it in held_all if not it["answerable"]]
    ans = [it for it in held_all if it["answerable"]]
    diag["auc_low_dense_means_unanswerable"] = auc([-it["sig"].best_dense for it in una],
                                                    [-it["sig"].best_dense for it in ans])
    diag["auc_low_lexical_means_unanswerable"] = auc([-it["sig"].lexical for it in una],
                                                      [-it["sig"].lexical for it in ans])
    log(f"ROC AUC for 'unanswerable' (0.5 = chance): low best-dense {diag['auc_low_dense_means_unanswerable']:.3f}, "
        f"low lexical overlap {diag['auc_low_lexical_means_unanswerable']:.3f}")
    out["signals_held_all"] = diag

    # -- grid on the tuning sample
    grid = [score(tune, d, lx, rt) for rt in (True, False) for d in DENSE_GRID for lx in LEXICAL_GRID]
    tie = lambda r: (r["min_dense_score"], r["min_lexical_overlap"], not r["required_terms"])  # noqa: E731
    by_f1 = sorted(grid, key=lambda r: (-(r["f1"] or 0), -(r["accuracy"] or 0), *tie(r)))
    by_acc = sorted(grid, key=lambda r: (-(r["accuracy"] or 0), -(r["f1"] or 0), *tie(r)))
    covered = [r for r in by_f1 if r["answer_coverage"] >= args.min_coverage]
    chosen_f1, chosen_acc = by_f1[0], by_acc[0]
    chosen_cov = covered[0] if covered else None
    chosen = {"f1": chosen_f1, "accuracy": chosen_acc, "f1-coverage": chosen_cov or chosen_acc}[args.objective]
    log(f"\n## Grid on the tuning sample ({len(tune)} questions): {len(DENSE_GRID)} x {len(LEXICAL_GRID)} x "
        f"required terms on/off = {len(grid)} settings")
    log("top 5 by abstention F1 (note: 'always abstain' scores F1 0.667 on a balanced sample):")
    log(table(HEAD, [row_of(setting_label(r), r) for r in by_f1[:5]]))
    log("top 5 by decision accuracy:")
    log(table(HEAD, [row_of(setting_label(r), r) for r in by_acc[:5]]))
    if chosen_cov:
        log(f"best F1 answering >= {args.min_coverage:.0%} of the answerable questions: {setting_label(chosen_cov)}  "
            f"F1 {chosen_cov['f1']:.4f} acc {chosen_cov['accuracy']:.4f} coverage {chosen_cov['answer_coverage']:.3f}")
    for rt in (True, False):
        best_rt = next(r for r in by_acc if r["required_terms"] is rt)
        log(f"best accuracy with required terms {'on ' if rt else 'off'}: {setting_label(best_rt)}  "
            f"acc {best_rt['accuracy']:.4f} F1 {best_rt['f1']:.4f}")
    ties = [r for r in by_acc if r["accuracy"] == chosen_acc["accuracy"] and r["f1"] == chosen_acc["f1"]]
    log(f"settings tied with the best accuracy: {len(ties)} (min_lexical_overlap "
        f"{min(r['min_lexical_overlap'] for r in ties):.2f}-{max(r['min_lexical_overlap'] for r in ties):.2f} at "
        f"min_dense_score {sorted({r['min_dense_score'] for r in ties})}) -> the lexical threshold does not bind there")
    tune_default = score(tune, defaults.min_dense_score, defaults.min_lexical_overlap, True)
    log(f"current defaults ({defaults.min_dense_score:.2f}/{defaults.min_lexical_overlap:.2f}) on the tuning sample: "
        f"F1 {tune_default['f1']:.4f} acc {tune_default['accuracy']:.4f}")
    tune_orig = score(tune, *ORIGINAL_DEFAULTS, True)
    log(f"original defaults ({ORIGINAL_DEFAULTS[0]:.2f}/{ORIGINAL_DEFAULTS[1]:.2f}) on the tuning sample: "
        f"F1 {tune_orig['f1']:.4f} acc {tune_orig['accuracy']:.4f}")
    log(f"chosen (objective={args.objective}): {setting_label(chosen)}")

    # -- held-out
    def held_rows(s: list[dict]) -> dict[str, dict]:
        res = {}
        picks = [("chosen by accuracy", chosen_acc), ("chosen by F1", chosen_f1)]
        if chosen_cov:
            picks.append((f"chosen by F1 @coverage>={args.min_coverage:.2f}", chosen_cov))
        for lbl, r in picks:
            res[f"{lbl}: {setting_label(r)}"] = score(s, r["min_dense_score"], r["min_lexical_overlap"],
                                                      r["required_terms"])
        cur = (defaults.min_dense_score, defaults.min_lexical_overlap)
        res[f"current defaults: dense>={cur[0]:.2f} lex>={cur[1]:.2f} req_terms=on"] = score(s, *cur, True)
        res["current defaults, req_terms=off"] = score(s, *cur, False)
        if cur != ORIGINAL_DEFAULTS:
            res[f"original defaults: dense>={ORIGINAL_DEFAULTS[0]:.2f} lex>={ORIGINAL_DEFAULTS[1]:.2f} req_terms=on"] = \
                score(s, *ORIGINAL_DEFAULTS, True)
        res["required terms only (0/0, on)"] = score(s, 0.0, 0.0, True)
        res["gate off (0/0, off): clarify only"] = score(s, 0.0, 0.0, False)
        res["always answer"] = trivial(s, False)
        res["always abstain"] = trivial(s, True)
        return res

    held_res = {"held_sample": held_rows(held), "held_all": held_rows(held_all)}
    for name, res in held_res.items():
        info = split_info[name]
        log(f"\n## Held-out: {name} ({info['questions']} questions: {info['answerable']} answerable, "
            f"{info['unanswerable']} unanswerable)")
        log(table(HEAD, [row_of(lbl, r) for lbl, r in res.items()]))

    # -- the dense threshold alone, on the held-out sample (lexical 0, required terms on)
    log("\n## min_dense_score sweep on the held-out sample (min_lexical_overlap=0, required terms on)")
    sweep = [score(held, d, 0.0, True) for d in DENSE_GRID]
    log(table(HEAD, [row_of(f"dense>={r['min_dense_score']:.2f}", r) for r in sweep]))

    # -- clarify diagnostics
    at_default = [(it, fast_decision(it["sig"], defaults.min_dense_score, defaults.min_lexical_overlap, True))
                  for it in items]
    clar = [it for it, d in at_default if d == "clarify"]
    same_article = sum(1 for it in clar if len({r.rsplit("(", 1)[-1] for r in it["sig"].readings}) == 1)
    identical = sum(1 for it in clar if len(set(it["sig"].readings)) < 2)
    log(f"\nclarify at the current defaults: {len(clar)} of {len(items)} questions "
        f"({sum(it['answerable'] for it in clar)} answerable); readings all from the same article: {same_article}; "
        f"offering the SAME reading twice (fewer than 2 distinct options): {identical}")
    for it in clar[:4]:
        log(f"  e.g. {it['text']!r} -> {it['sig'].readings}")
    out["clarify_at_defaults"] = {"count": len(clar), "answerable": sum(it["answerable"] for it in clar),
                                  "same_article": same_article, "identical_readings": identical,
                                  "examples": [[it["text"], it["sig"].readings] for it in clar[:10]]}

    # -- the product's own golden set, same settings
    if args.golden and (args.golden / "questions.jsonl").is_file():
        settings_rows = [("current defaults", defaults.min_dense_score, defaults.min_lexical_overlap, True)]
        if (defaults.min_dense_score, defaults.min_lexical_overlap) != ORIGINAL_DEFAULTS:
            settings_rows.append(("original defaults", *ORIGINAL_DEFAULTS, True))
        for lbl, r in (("chosen by accuracy", chosen_acc), ("chosen by F1", chosen_f1),
                       ("chosen by F1 @coverage", chosen_cov)):
            if r:
                settings_rows.append((lbl, r["min_dense_score"], r["min_lexical_overlap"], r["required_terms"]))
        settings_rows += [(f"dense>={d:.2f} lex>=0 on", d, 0.0, True) for d in (0.35, 0.40, 0.45, 0.50)]
        settings_rows += [(f"dense>={d:.2f} lex>=0.20 on", d, 0.2, True) for d in (0.50, 0.55)]
        out["golden"] = golden_check(args.home, args.golden, settings_rows)

    out["grid_top5_f1"] = by_f1[:5]
    out["grid_top5_accuracy"] = by_acc[:5]
    out["grid"] = [{k: v for k, v in r.items() if k != "counts"} for r in grid]
    out["chosen"] = {"objective": args.objective, **chosen}
    out["chosen_f1"], out["chosen_accuracy"], out["chosen_f1_coverage"] = chosen_f1, chosen_acc, chosen_cov
    out["defaults_tune"] = tune_default
    out["original_defaults_tune"] = tune_orig
    out["current_defaults"] = [defaults.min_dense_score, defaults.min_lexical_overlap]
    out["held_out"] = held_res
    out["dense_sweep_held_sample"] = sweep
    counts = Counter(d for _, d in at_default)
    out["decisions_all_at_defaults"] = dict(counts)
    log(f"\ndecisions over all {len(items)} SQuAD questions at the current defaults: {dict(counts)}")
    out["machine"]["uptime_end"] = uptime_line()
    log(f"[end: {out['machine']['uptime_end']}]")
    if args.out:
        write_json(args.out, out)
        log(f"wrote {args.out}")
    return 0


def golden_check(home: Path, golden: Path, settings_rows: list[tuple]) -> dict:
    """The same gate settings on the project's own golden set (data/golden over data/demo): what they would do
    to questions the product must answer, refuse or clarify. 'refused' questions are the policy's, not the gate's."""
    corpus = (golden / "corpus").resolve()
    questions = read_jsonl(golden / "questions.jsonl")
    comps = open_components(home)
    try:
        ensure_ingested(comps, "bench_golden_demo", corpus, log)
        searcher = Searcher(comps.store, comps.embedder, comps.sparse, comps.settings.retrieval)
        sigs = {q["id"]: signals(q["question"], searcher.search("bench_golden_demo", q["question"])) for q in questions}
    finally:
        comps.close()
    want = {"answered": "proceed", "no_answer": "no_answer", "needs_clarification": "clarify"}
    rows, res = [], {}
    for lbl, d, lx, rt in settings_rows:
        c = Counter()
        for q in questions:
            exp = q.get("expected_status")
            if exp not in want:
                continue
            got = fast_decision(sigs[q["id"]], d, lx, rt)
            c[(exp, got)] += 1
        n_ans = sum(v for (e, _), v in c.items() if e == "answered")
        n_na = sum(v for (e, _), v in c.items() if e == "no_answer")
        n_cl = sum(v for (e, _), v in c.items() if e == "needs_clarification")
        r = {"setting": [d, lx, rt], "answered_proceed": c[("answered", "proceed")], "answered": n_ans,
             "answered_abstained": c[("answered", "no_answer")], "answered_clarify": c[("answered", "clarify")],
             "no_answer_caught": c[("no_answer", "no_answer")], "no_answer": n_na,
             "vague_clarify": c[("needs_clarification", "clarify")], "vague": n_cl}
        res[lbl] = r
        rows.append([f"{lbl} ({d:.2f}/{lx:.2f}/{'on' if rt else 'off'})", f"{r['answered_proceed']}/{n_ans}",
                     r["answered_abstained"], r["answered_clarify"], f"{r['no_answer_caught']}/{n_na}",
                     f"{r['vague_clarify']}/{n_cl}"])
    log("\n## The same settings on the product's golden set (data/golden over data/demo; gate decision only)")
    log(table(["setting (dense/lex/req terms)", "answerable -> proceed", "answerable -> no_answer",
               "answerable -> clarify", "unanswerable -> no_answer", "vague -> clarify"], rows))
    for lbl, d, lx, rt in [r for r in settings_rows if r[0] in ("current defaults", "original defaults", "chosen by accuracy")]:
        log(f"golden questions the gate gets wrong with {lbl} ({d:.2f}/{lx:.2f}/{'on' if rt else 'off'}):")
        for q in questions:
            exp, sg = q.get("expected_status"), sigs[q["id"]]
            got = fast_decision(sg, d, lx, rt)
            if exp in want and got != want[exp]:
                log(f"  {q['id']} {exp:>19} -> {got:<9} dense {sg.best_dense:.2f} lex {sg.lexical:.2f} "
                    f"missing {sg.missing_terms} readings {sg.readings[:3]}  {q['question'][:70]!r}")
    dist = {k: [round(sigs[q["id"]].best_dense, 3) for q in questions if q.get("expected_status") == k]
            for k in want}
    log("best dense cosine by expected status: " + "; ".join(
        f"{k}: min {min(v):.2f} median {sorted(v)[len(v) // 2]:.2f}" for k, v in dist.items() if v))
    return {"rows": res, "best_dense_by_status": dist}


if __name__ == "__main__":
    raise SystemExit(main())
