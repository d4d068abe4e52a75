"""Citation-support judges on WiCE dev (oracle chunks): the old verifier, the new judge's cheap path, and the new
judge with the local model deciding its uncertain band.

    python bench/wice.py                        # old verifier + cheap path (~1 min; loads MiniLM for the old one)
    python bench/wice.py --model                # + the model on uncertain claims (minutes: one LLM call each)
    python bench/wice.py --model --cache /tmp/wice_pyes.json   # re-use P(yes) already computed
    python bench/wice.py --fit                  # first half only: cross-validate and fit the calibration
    python bench/wice.py --probe span --model-kind qwen2.5-coder-0.5b --cache /tmp/probe.json
                                                # first half only: does the model's P(yes) add to the features?

Data: `../shared/evaldata/wice_dev/oracle_chunks_claim/dev.jsonl` (SOURCE.md): each claim with ~3 evidence chunks
(one passage each, sentences on their own lines). Binary label: supported = 1, partially/not supported = 0; metrics
balanced accuracy, F1 of the supported class, accuracy. Claims in file order; the first half tunes the thresholds,
the second half is reported (never numbers on tuned data). The old verifier judged a claim supported when any one
chunk supported it (the authors' max over chunks); the new judge reads all chunks of a claim at once.

Timings are per claim, p50/p95, with `uptime` printed: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import OrderedDict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import percentile, uptime_line  # noqa: E402
from grounded.retrieval.judge import (Judge, JudgeThresholds, ScoreKind, analyse, cheap_score, features,  # noqa: E402
                                      missing_runs, part_specificity, probability, vetoed)
from grounded.retrieval.judge_calibration import FEATURES  # noqa: E402
from grounded.retrieval.judge_model import QUESTION  # noqa: E402

CALIBRATION_C = 0.03  # the regularisation --fit chose on the first half (retrieval/judge_calibration.py)

DEFAULT_DATA = Path(os.environ.get("GROUNDED_EVALDATA", Path(__file__).resolve().parents[2] / "shared" / "evaldata")) \
    / "wice_dev"


def load_claims(data: Path) -> list[dict]:
    claims: OrderedDict[str, dict] = OrderedDict()
    with open(data / "oracle_chunks_claim" / "dev.jsonl") as f:
        for line in f:
            row = json.loads(line)
            c = claims.setdefault(row["meta"]["id"], dict(id=row["meta"]["id"], claim=row["claim"], passages=[],
                                                          supported=row["label"] == "supported"))
            c["passages"].append("\n".join(row["evidence"]))
    return list(claims.values())


def scores(pred: list[bool], gold: list[bool]) -> dict[str, float]:
    tp = sum(p and g for p, g in zip(pred, gold))
    fp = sum(p and not g for p, g in zip(pred, gold))
    fn = sum(g and not p for p, g in zip(pred, gold))
    tn = len(gold) - tp - fp - fn
    tpr, tnr = tp / max(tp + fn, 1), tn / max(tn + fp, 1)
    return dict(ba=(tpr + tnr) / 2, f1=2 * tp / max(2 * tp + fp + fn, 1), acc=(tp + tn) / max(len(gold), 1),
                accepted=tp + fp)


def _better(a: dict, b: dict | None) -> bool:
    return b is None or (round(a["ba"], 4), round(a["f1"], 4)) > (round(b["ba"], 4), round(b["f1"], 4))


# -- the old verifier (retrieval/verify.py as of commit 8b43bb5), kept here only as the baseline -------------------


def old_verifier(embedder):
    import numpy as np

    from grounded.retrieval.text import overlap, quote_candidates, stems

    number = re.compile(r"\d+(?:[.,]\d+)*")

    def nums(text: str) -> set[str]:
        return {n.replace(",", "") for n in number.findall(text)}

    def supports(sentence: str, text: str) -> bool:
        if nums(sentence) - nums(text):
            return False
        s_stems = stems(sentence)
        if overlap(s_stems, text) >= 0.5:
            return True
        candidates = quote_candidates(text) or [(0, len(text), text)]
        scored = sorted(((overlap(s_stems, t), s, e) for s, e, t in candidates), reverse=True)[:5]
        vecs = embedder.embed([sentence] + [text[s:e] for _, s, e in scored])
        return float(np.max(vecs[1:] @ vecs[0])) >= 0.6

    return lambda claim, passages: any(supports(claim, p) for p in passages)


# -- runs ---------------------------------------------------------------------------------------------------------


def run_old(claims: list[dict]) -> tuple[list[bool], list[float]]:
    from grounded.embedder import TorchEmbedder, default_model_path
    from grounded.settings import EmbedSettings

    check = old_verifier(TorchEmbedder(EmbedSettings(), default_model_path()))  # the old verifier ran on torch fp32
    check("warm up", ["warm up the embedder"])
    preds, times = [], []
    for c in claims:
        t = time.perf_counter()
        preds.append(check(c["claim"], c["passages"]))
        times.append(time.perf_counter() - t)
    return preds, times


def run_cheap(claims: list[dict], kind: ScoreKind = ScoreKind.CALIBRATED) -> tuple[list[float], list[float]]:
    """The score per claim (calibrated P(supported), or the weakest clause's coverage), -1 where a number or date of
    the claim is vetoed (never supported, never sent to the model), and the time it took."""
    veto = JudgeThresholds().veto
    out, times = [], []
    for c in claims:
        t = time.perf_counter()
        a = analyse(c["claim"], c["passages"])
        score = probability(a) if kind is ScoreKind.CALIBRATED else cheap_score(a.clauses)
        out.append(-1.0 if vetoed(a.clauses, veto) else score)
        times.append(time.perf_counter() - t)
    return out, times


def feature_rows(claims: list[dict]) -> list[list[float]]:
    veto = JudgeThresholds().veto
    rows = []
    for c in claims:
        a = analyse(c["claim"], c["passages"])
        rows.append(features(a) + [float(vetoed(a.clauses, veto))])
    return rows


def out_of_fold(X, y, C: float, folds: int = 5, repeats: int = 5):
    """P(supported) of each claim from a logistic regression that never saw it (repeated stratified k-fold, the
    mean over repeats)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import RepeatedStratifiedKFold
    from sklearn.preprocessing import StandardScaler

    oof = np.zeros((repeats, len(y)))
    cv = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=0)
    for k, (tr, te) in enumerate(cv.split(X, y)):
        sc = StandardScaler().fit(X[tr])
        m = LogisticRegression(C=C, class_weight="balanced", max_iter=1000).fit(sc.transform(X[tr]), y[tr])
        oof[k // folds, te] = m.predict_proba(sc.transform(X[te]))[:, 1]
    return oof.mean(axis=0)


def fit(tune: list[dict], gold: list[bool]) -> None:
    """Cross-validate a logistic regression on the first half (repeated stratified k-fold), pick C and the
    probability threshold on out-of-fold predictions, fit on the whole first half and print the calibration.
    Never reads the second half."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler

    X = np.array(feature_rows(tune))
    veto, X = X[:, -1].astype(bool), X[:, :-1]
    y = np.array(gold, dtype=int)
    best = None
    for C in (0.03, 0.1, 0.3, 1.0, 3.0):
        p = out_of_fold(X, y, C)
        oof_mean = p.copy()
        p[veto] = -1.0
        th_scores = [(scores([bool(v) for v in p >= th], list(y.astype(bool))), th) for th in np.arange(0.2, 0.81, 0.02)]
        s, th = max(th_scores, key=lambda st: (round(st[0]["ba"], 4), round(st[0]["f1"], 4)))
        s05 = scores([bool(v) for v in p >= 0.5], list(y.astype(bool)))
        auc = roc_auc_score(y, oof_mean)
        print(f"C={C}: out-of-fold AUROC {auc:.3f}; at 0.5 BA {s05['ba']:.3f} F1 {s05['f1']:.3f}; "
              f"best threshold {th:.2f}: BA {s['ba']:.3f} F1 {s['f1']:.3f}")
        if best is None or (round(s05["ba"], 3), auc) > best[0]:
            best = ((round(s05["ba"], 3), auc), C, th)
    _, C, th = best
    sc = StandardScaler().fit(X)
    m = LogisticRegression(C=C, class_weight="balanced", max_iter=1000).fit(sc.transform(X), y)
    r = lambda xs: [round(float(v), 4) for v in xs]  # noqa: E731
    print(f"\nchosen C={C} (threshold on out-of-fold predictions: {th:.2f}); fitted on all {len(y)} first-half claims:")
    print(f"CALIBRATION = Calibration(\n    features=FEATURES,\n    mean={r(sc.mean_)},\n    scale={r(sc.scale_)},\n"
          f"    coef={r(m.coef_[0])},\n    intercept={round(float(m.intercept_[0]), 4)},\n)")
    for name, c in zip(FEATURES, m.coef_[0]):
        print(f"  {name:28s} {c:+.3f}")


def probe_question(claim: dict, variant: str, band: tuple[float, float]) -> str | None:
    """The question a model probe asks about a claim: whether the evidence supports the whole claim ("claim"), or,
    for a claim in the uncertain band, whether it states the most specific detail the cheap path found missing
    ("span"); None: not asked."""
    if variant == "claim":
        return QUESTION
    a = analyse(claim["claim"], claim["passages"])
    runs = missing_runs(claim["claim"], a.clauses)
    if not runs or not band[0] <= probability(a) < band[1]:
        return None
    run = max(runs, key=lambda r: sum(part_specificity(claim["claim"], p) for p in r))
    return f'Does the evidence state "{claim["claim"][run[0].start : run[-1].end]}" as the claim uses it?'


def probe(tune: list[dict], gold: list[bool], model, variant: str, cache: dict, cache_path: Path | None) -> None:
    """First half only: the model's P(yes) to a probe question, alone and as one more feature of the calibration
    (cross-validated). Says whether the model adds anything the cheap features do not, before any second-half run."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    th, judge = JudgeThresholds(), Judge(JudgeThresholds())
    for n, c in enumerate(tune, 1):
        key = f"{variant}:{c['id']}"
        question = probe_question(c, variant, (th.uncertain_low, th.uncertain_high))
        if key in cache or question is None:
            continue
        evidence = [e.quote for e in judge.judge(c["claim"], c["passages"]).evidence]
        t = time.perf_counter()
        p = model.p_yes(c["claim"], evidence, timeout_s=120, question=question) if evidence else None
        cache[key] = dict(p=p, s=time.perf_counter() - t)
        if cache_path:
            cache_path.write_text(json.dumps(cache))
        print(f"  probe {n}/{len(tune)}: P(yes)={p}", file=sys.stderr, flush=True)
    X = np.array(feature_rows(tune))[:, :-1]
    y = np.array(gold, dtype=int)
    asked = [i for i, c in enumerate(tune) if (cache.get(f"{variant}:{c['id']}") or {}).get("p") is not None]
    p_yes = np.full(len(tune), 0.5)  # not asked: no opinion
    p_yes[asked] = [cache[f"{variant}:{tune[i]['id']}"]["p"] for i in asked]
    base = out_of_fold(X, y, CALIBRATION_C)
    band = [i for i in asked if th.uncertain_low <= base[i] < th.uncertain_high]
    secs = [cache[f"{variant}:{tune[i]['id']}"]["s"] for i in asked]
    print(f"probe '{variant}': {len(asked)} first-half claims asked; model time per call p50 {percentile(secs, 50):.2f} s, "
          f"p95 {percentile(secs, 95):.2f} s")
    print(f"  AUROC of P(yes) alone: {roc_auc_score(y[asked], p_yes[asked]):.3f} (cheap, out-of-fold, same claims: "
          f"{roc_auc_score(y[asked], base[asked]):.3f})")
    if len(set(y[band])) == 2:
        print(f"  in the band ({len(band)} claims): P(yes) {roc_auc_score(y[band], p_yes[band]):.3f}, "
              f"cheap {roc_auc_score(y[band], base[band]):.3f}")
    for name, feats in (("cheap features", X), ("cheap features + P(yes)", np.hstack([X, p_yes[:, None]]))):
        oof = out_of_fold(feats, y, CALIBRATION_C)
        s = scores([bool(v) for v in oof >= 0.5], list(y.astype(bool)))
        print(f"  {name}: out-of-fold AUROC {roc_auc_score(y, oof):.3f}, BA {s['ba']:.3f}, F1 {s['f1']:.3f} "
              "(before the number veto)")


def tune_cheap(cheap: list[float], gold: list[bool]) -> float:
    best, best_th = None, 0.5
    for th in sorted(set(cheap) - {-1.0}):
        s = scores([x >= th for x in cheap], gold)
        if _better(s, best):
            best, best_th = s, th
    return round(best_th, 3)


def model_p_yes(model, claims: list[dict], which: list[int], cache: dict, cache_path: Path | None) -> dict:
    judge = Judge(JudgeThresholds())
    for n, i in enumerate(which, 1):
        c = claims[i]
        if c["id"] in cache:
            continue
        evidence = [e.quote for e in judge.judge(c["claim"], c["passages"]).evidence]
        t = time.perf_counter()
        p = model.p_yes(c["claim"], evidence, timeout_s=120)
        cache[c["id"]] = dict(p=p, s=time.perf_counter() - t)
        if cache_path:
            cache_path.write_text(json.dumps(cache))
        print(f"  model {n}/{len(which)}: P(yes)={p} {cache[c['id']]['s']:.1f} s", file=sys.stderr, flush=True)
    return cache


def with_model(cheap: list[float], ids: list[str], cache: dict, th: JudgeThresholds) -> tuple[list[bool], list[int]]:
    preds, judged = [], []
    for i, (x, cid) in enumerate(zip(cheap, ids)):
        p = cache.get(cid, {}).get("p") if th.uncertain_low <= x < th.uncertain_high else None
        preds.append(p >= th.model_yes if p is not None else x >= th.supported)
        if p is not None:
            judged.append(i)
    return preds, judged


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the wice_dev folder (default: $GROUNDED_EVALDATA/wice_dev)")
    ap.add_argument("--model", action="store_true", help="also run the local model on the uncertain band")
    ap.add_argument("--models-dir", type=Path, default=Path(os.environ.get("GROUNDED_HOME", "~/.grounded")).expanduser()
                    / "models")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--model-kind", default=None, help="local model (default: the generator's default)")
    ap.add_argument("--sample", type=int, default=0, help="judge at most this many band claims per half (0: all)")
    ap.add_argument("--cache", type=Path, help="JSON file of P(yes) per claim id, read and extended")
    ap.add_argument("--skip-old", action="store_true")
    ap.add_argument("--fit", action="store_true", help="first half only: cross-validate and print the calibration")
    ap.add_argument("--probe", choices=("claim", "span"), help="first half only: does the model's P(yes) to this "
                    "question add to the cheap features? ('claim': every claim, 'span': the band's missing detail)")
    args = ap.parse_args()

    claims = load_claims(args.data)
    half = len(claims) // 2
    tune, test = claims[:half], claims[half:]
    gold_tune, gold_test = [c["supported"] for c in tune], [c["supported"] for c in test]
    print(f"WiCE dev: {len(claims)} claims; tune on first {len(tune)} ({sum(gold_tune)} supported), "
          f"report on last {len(test)} ({sum(gold_test)} supported)")

    if args.fit:
        fit(tune, gold_tune)
        print(f"uptime: {uptime_line()}")
        return
    if args.probe:
        from grounded.retrieval.judge_model import ModelJudge

        cache = json.loads(args.cache.read_text()) if args.cache and args.cache.is_file() else {}
        model = ModelJudge(models_dir=args.models_dir, kind=args.model_kind, threads=args.threads)  # starts on first use
        try:
            probe(tune, gold_tune, model, args.probe, cache, args.cache)
        finally:
            model.close()
        print(f"uptime: {uptime_line()}")
        return

    rows = []
    if not args.skip_old:
        old_preds, old_times = run_old(test)
        rows.append(("old verifier (overlap over the whole chunk + MiniLM)", scores(old_preds, gold_test), old_times, "-"))
    cov_tune, _ = run_cheap(tune, ScoreKind.COVERAGE)
    cov_test, cov_times = run_cheap(test, ScoreKind.COVERAGE)
    cov_th = tune_cheap(cov_tune, gold_tune)
    rows.append((f"judge, weakest clause's coverage (supported >= {cov_th})",
                 scores([x >= cov_th for x in cov_test], gold_test), cov_times, "0"))
    cheap_tune, _ = run_cheap(tune)
    cheap_test, cheap_times = run_cheap(test)
    supported = JudgeThresholds().supported  # fitted with the calibration (--fit), on the first half
    th = JudgeThresholds(supported=supported)
    first = scores([x >= supported for x in cheap_tune], gold_tune)
    print(f"calibrated cheap path on the first half (fitted there): BA {first['ba']:.3f}, F1 {first['f1']:.3f}")
    rows.append((f"new judge, cheap path, calibrated (P >= {supported})",
                 scores([x >= supported for x in cheap_test], gold_test), cheap_times, "0"))

    if args.model:
        from grounded.retrieval.judge_model import ModelJudge

        # the band and the P(yes) cut are fixed beforehand (JudgeThresholds defaults), not tuned: a sample of a few
        # dozen claims would overfit them
        cache = json.loads(args.cache.read_text()) if args.cache and args.cache.is_file() else {}
        band = lambda xs: [i for i, x in enumerate(xs) if th.uncertain_low <= x < th.uncertain_high]  # noqa: E731
        band_tune, band_test = band(cheap_tune), band(cheap_test)
        print(f"uncertain band [{th.uncertain_low}, {th.uncertain_high}): {len(band_tune)} first-half claims, "
              f"{len(band_test)} second-half claims")
        if args.sample:
            band_tune, band_test = band_tune[: args.sample], band_test[: args.sample]
        with ModelJudge(models_dir=args.models_dir, kind=args.model_kind, threads=args.threads) as model:
            model_p_yes(model, tune, band_tune, cache, args.cache)
            model_p_yes(model, test, band_test, cache, args.cache)
        for name, half, cheap, gold, judged in (("first", tune, cheap_tune, gold_tune, band_tune),
                                                ("second", test, cheap_test, gold_test, band_test)):
            answered = [i for i in judged if cache[half[i]["id"]]["p"] is not None]
            cheap_right = sum((cheap[i] >= supported) == gold[i] for i in answered)
            model_right = sum((cache[half[i]["id"]]["p"] >= th.model_yes) == gold[i] for i in answered)
            print(f"{name} half, {len(answered)} band claims the model judged: cheap path right on {cheap_right}, "
                  f"model (P(yes) >= {th.model_yes}) right on {model_right}")
        preds, judged = with_model(cheap_test, [c["id"] for c in test], cache, th)
        times = [t + (cache[c["id"]]["s"] if i in judged else 0.0) for i, (t, c) in enumerate(zip(cheap_times, test))]
        rows.append((f"new judge + model ({args.model_kind or 'default'}) on [{th.uncertain_low}, {th.uncertain_high}) "
                     f"(P(yes) >= {th.model_yes}; {len(judged)} of {len(test)} claims)", scores(preds, gold_test),
                     times, str(len(judged))))
        model_times = [cache[test[i]["id"]]["s"] for i in judged] + [cache[tune[i]["id"]]["s"] for i in band_tune]
        if model_times:
            print(f"model calls: {len(model_times)}, p50 {percentile(model_times, 50):.2f} s, "
                  f"p95 {percentile(model_times, 95):.2f} s per call")

    print(f"\nthresholds: {th.model_dump()}")
    print(f"uptime: {uptime_line()}\n")
    print("| judge (reported on the second half) | balanced acc. | F1 (supported) | accuracy | accepted | "
          "p50 / p95 per claim | model calls |")
    print("|---|---|---|---|---|---|---|")
    for name, s, times, calls in rows:
        print(f"| {name} | {s['ba']:.3f} | {s['f1']:.3f} | {s['acc']:.3f} | {s['accepted']} | "
              f"{percentile(times, 50) * 1000:.1f} / {percentile(times, 95) * 1000:.1f} ms | {calls} |")


if __name__ == "__main__":
    main()
