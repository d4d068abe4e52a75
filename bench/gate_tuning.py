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

The gate's decision is recomputed from its signals — best dense cosine, lexical overlap of the question's content
stems with the top-3 evidence, the required-terms rule (names/numbers of the question missing from all evidence),
the clarify branch — with the same functions `decide()` uses (retrieval/text.py and retrieval.gate._readings), so
the required-terms rule can be switched off here without touching production code. The recomputation is checked
against `decide()` itself for every question at the defaults and at the chosen setting.

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
from evals.metrics.abstention import abstention_scores  # noqa: E402
from evals.metrics.retrieval import recall_at_k, reciprocal_rank  # noqa: E402
from grounded.contracts import Evidence  # noqa: E402
from grounded.settings import GateSettings  # noqa: E402
from retrieval.gate import _chunk_text, _readings, decide  # noqa: E402
from retrieval.search import Searcher  # noqa: E402
from retrieval.text import missing_terms, overlap, required_terms, stems  # noqa: E402

COLLECTIONS = {"subset-json": "squad2_open_full", "paragraphs": "squad2_open"}
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
    from evals.importers.squad2 import import_squad2

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


def signals(question: str, evidence: list[Evidence]) -> dict:
    """Everything `decide()` looks at, computed once per question with decide()'s own pieces."""
    if not evidence:
        return {"empty": True, "best_dense": 0.0, "lexical": 0.0, "missing": [], "readings": []}
    q_stems = stems(question)
    return {
        "empty": False,
        "best_dense": max((e.dense_score or 0.0) for e in evidence),
        "lexical": max(overlap(q_stems, _chunk_text(e)) for e in evidence[:3]),
        "missing": sorted(missing_terms(required_terms(question), " ".join(_chunk_text(e) for e in evidence))),
        "readings": _readings(question, evidence),
    }


def fast_decision(sig: dict, min_dense: float, min_lexical: float, required_terms_on: bool) -> str:
    if sig["empty"] or sig["best_dense"] < min_dense or sig["lexical"] < min_lexical:
        return "no_answer"
    if required_terms_on and sig["missing"]:
        return "no_answer"
    if len(sig["readings"]) >= 2:
        return "clarify"
    return "proceed"


def score(items: list[dict], min_dense: float, min_lexical: float, rt: bool) -> dict:
    decisions = [fast_decision(it["sig"], min_dense, min_lexical, rt) for it in items]
    s = abstention_scores((it["answerable"], d == "no_answer") for it, d in zip(items, decisions))
    return {
        "min_dense_score": min_dense, "min_lexical_overlap": min_lexical, "required_terms": rt,
        "precision": s.precision, "recall": s.recall, "f1": s.f1, "accuracy": s.accuracy,
        "abstain_rate": sum(d == "no_answer" for d in decisions) / len(decisions),
        "clarify": sum(d == "clarify" for d in decisions),
        "counts": s.counts.model_dump(),
    }


def trivial(items: list[dict], abstain: bool) -> dict:
    s = abstention_scores((it["answerable"], abstain) for it in items)
    return {"precision": s.precision, "recall": s.recall, "f1": s.f1, "accuracy": s.accuracy,
            "abstain_rate": 1.0 if abstain else 0.0, "clarify": 0, "counts": s.counts.model_dump()}


def check_against_decide(items: list[dict], evidence: dict, settings: GateSettings) -> int:
    """Mismatches between the fast decision (required terms on) and retrieval.gate.decide()."""
    bad = 0
    for it in items:
        real = decide(it["text"], evidence[it["id"]], settings).decision
        fast = fast_decision(it["sig"], settings.min_dense_score, settings.min_lexical_overlap, True)
        bad += real.value != fast
    return bad


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
    return [label, r["precision"], r["recall"], r["f1"], r["accuracy"], r["abstain_rate"], r["clarify"]]


HEAD = ["setting", "abst. P", "abst. R", "abst. F1", "accuracy", "abstain rate", "clarify"]


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
    ap.add_argument("--objective", choices=("f1", "accuracy"), default="f1",
                    help="what picks the chosen setting on the tuning half (the other is shown too)")
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
            "mean_best_dense": sum(it["sig"]["best_dense"] for it in grp) / len(grp),
            "mean_lexical": sum(it["sig"]["lexical"] for it in grp) / len(grp),
            "required_terms_missing": sum(bool(it["sig"]["missing"]) for it in grp) / len(grp),
            "clarify_readings": sum(len(it["sig"]["readings"]) >= 2 for it in grp) / len(grp),
        }
        diag[cls] = d
        diag_rows.append([cls, d["n"], d["mean_best_dense"], d["mean_lexical"], d["required_terms_missing"],
                          d["clarify_readings"]])
    log(table(["class", "n", "mean best dense", "mean lexical", "share req. terms missing", "share clarify-able"],
              diag_rows))
    una = [it for it in held_all if not it["answerable"]]
    ans = [it for it in held_all if it["answerable"]]
    diag["auc_low_dense_means_unanswerable"] = auc([-it["sig"]["best_dense"] for it in una],
                                                    [-it["sig"]["best_dense"] for it in ans])
    diag["auc_low_lexical_means_unanswerable"] = auc([-it["sig"]["lexical"] for it in una],
                                                      [-it["sig"]["lexical"] for it in ans])
    log(f"ROC AUC for 'unanswerable' (0.5 = chance): low best-dense {diag['auc_low_dense_means_unanswerable']:.3f}, "
        f"low lexical overlap {diag['auc_low_lexical_means_unanswerable']:.3f}")
    out["signals_held_all"] = diag

    # -- grid on the tuning sample
    grid = [score(tune, d, lx, rt) for rt in (True, False) for d in DENSE_GRID for lx in LEXICAL_GRID]
    by_f1 = sorted(grid, key=lambda r: (-(r["f1"] or 0), -(r["accuracy"] or 0), r["min_dense_score"],
                                        r["min_lexical_overlap"]))
    by_acc = sorted(grid, key=lambda r: (-(r["accuracy"] or 0), -(r["f1"] or 0), r["min_dense_score"],
                                         r["min_lexical_overlap"]))
    chosen_f1, chosen_acc = by_f1[0], by_acc[0]
    chosen = chosen_f1 if args.objective == "f1" else chosen_acc
    log(f"\n## Grid on the tuning sample ({len(tune)} questions): {len(DENSE_GRID)} x {len(LEXICAL_GRID)} x "
        f"required terms on/off = {len(grid)} settings")
    log("top 5 by abstention F1:")
    log(table(HEAD, [row_of(setting_label(r), r) for r in by_f1[:5]]))
    log("top 5 by decision accuracy:")
    log(table(HEAD, [row_of(setting_label(r), r) for r in by_acc[:5]]))
    for rt in (True, False):
        best_rt = next(r for r in by_f1 if r["required_terms"] is rt)
        log(f"best F1 with required terms {'on ' if rt else 'off'}: {setting_label(best_rt)}  F1 {best_rt['f1']:.4f} "
            f"acc {best_rt['accuracy']:.4f}")
    tune_default = score(tune, defaults.min_dense_score, defaults.min_lexical_overlap, True)
    log(f"defaults on the tuning sample: F1 {tune_default['f1']:.4f} acc {tune_default['accuracy']:.4f}")
    log(f"chosen (objective={args.objective}): {setting_label(chosen)}")

    # -- decide() cross-check
    chosen_gs = GateSettings(min_dense_score=chosen["min_dense_score"], min_lexical_overlap=chosen["min_lexical_overlap"])
    mism = {"defaults": check_against_decide(items, evidence, defaults)}
    if chosen["required_terms"]:
        mism["chosen"] = check_against_decide(items, evidence, chosen_gs)
    log(f"fast decision vs retrieval.gate.decide() mismatches over {len(items)} questions: {mism}")
    out["decide_mismatches"] = mism

    # -- held-out
    def held_rows(s: list[dict]) -> dict[str, dict]:
        res = {
            f"chosen by F1: {setting_label(chosen_f1)}": score(s, chosen_f1["min_dense_score"],
                                                               chosen_f1["min_lexical_overlap"], chosen_f1["required_terms"]),
            f"chosen by accuracy: {setting_label(chosen_acc)}": score(s, chosen_acc["min_dense_score"],
                                                                      chosen_acc["min_lexical_overlap"],
                                                                      chosen_acc["required_terms"]),
            f"defaults: dense>={defaults.min_dense_score:.2f} lex>={defaults.min_lexical_overlap:.2f} req_terms=on":
                score(s, defaults.min_dense_score, defaults.min_lexical_overlap, True),
            f"defaults, req_terms=off": score(s, defaults.min_dense_score, defaults.min_lexical_overlap, False),
            "required terms only (0/0, on)": score(s, 0.0, 0.0, True),
            "gate off (0/0, off): clarify only": score(s, 0.0, 0.0, False),
            "always answer": trivial(s, False),
            "always abstain": trivial(s, True),
        }
        return res

    held_res = {"held_sample": held_rows(held), "held_all": held_rows(held_all)}
    for name, res in held_res.items():
        info = split_info[name]
        log(f"\n## Held-out: {name} ({info['questions']} questions: {info['answerable']} answerable, "
            f"{info['unanswerable']} unanswerable)")
        log(table(HEAD, [row_of(lbl, r) for lbl, r in res.items()]))
    out["grid_top5_f1"] = by_f1[:5]
    out["grid_top5_accuracy"] = by_acc[:5]
    out["grid"] = [{k: v for k, v in r.items() if k != "counts"} for r in grid]
    out["chosen"] = {"objective": args.objective, **chosen}
    out["defaults_tune"] = tune_default
    out["held_out"] = held_res
    clar = Counter(fast_decision(it["sig"], defaults.min_dense_score, defaults.min_lexical_overlap, True)
                   for it in items)
    out["decisions_all_at_defaults"] = dict(clar)
    log(f"\ndecisions over all {len(items)} questions at the defaults: {dict(clar)}")
    out["machine"]["uptime_end"] = uptime_line()
    log(f"[end: {out['machine']['uptime_end']}]")
    if args.out:
        write_json(args.out, out)
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
