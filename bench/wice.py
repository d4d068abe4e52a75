"""Citation-support judges on WiCE dev (oracle chunks): the old verifier, the new judge's cheap path, and the new
judge with the local model deciding its uncertain band.

    python bench/wice.py                        # old verifier + cheap path (~1 min; loads MiniLM for the old one)
    python bench/wice.py --model                # + the model on uncertain claims (minutes: one LLM call each)
    python bench/wice.py --model --cache /tmp/wice_pyes.json   # re-use P(yes) already computed

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
from grounded.retrieval.judge import Judge, JudgeThresholds, cheap_score, clause_support, vetoed  # noqa: E402

DEFAULT_DATA = Path(os.environ.get("GROUNDED_EVALDATA", Path(__file__).resolve().parents[2] / "shared" / "evaldata")) \
    / "wice_dev"
BROAD_BAND = (0.25, 0.5)  # half-1 claims whose cheap score lies here get a P(yes), so the band can be tuned


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


def run_cheap(claims: list[dict]) -> tuple[list[float], list[float]]:
    """The cheap score per claim, -1 where a number or date of the claim is vetoed (never supported, never sent to
    the model), and the time it took."""
    veto = JudgeThresholds().veto
    out, times = [], []
    for c in claims:
        t = time.perf_counter()
        clauses = clause_support(c["claim"], c["passages"])
        out.append(-1.0 if vetoed(clauses, veto) else cheap_score(clauses))
        times.append(time.perf_counter() - t)
    return out, times


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


def tune_model(cheap: list[float], ids: list[str], gold: list[bool], cache: dict, supported: float) -> JudgeThresholds:
    grid = [round(0.05 * k, 2) for k in range(20) if BROAD_BAND[0] <= 0.05 * k + 1e-9 <= BROAD_BAND[1] + 1e-9]
    best, best_th = None, None
    for low in grid:
        for high in grid:
            if not low <= supported <= high or high <= low:
                continue
            for yes in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
                th = JudgeThresholds(supported=supported, uncertain_low=low, uncertain_high=high, model_yes=yes)
                s = scores(with_model(cheap, ids, cache, th)[0], gold)
                if _better(s, best):
                    best, best_th = s, th
    return best_th


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the wice_dev folder (default: $GROUNDED_EVALDATA/wice_dev)")
    ap.add_argument("--model", action="store_true", help="also run the local model on the uncertain band")
    ap.add_argument("--models-dir", type=Path, default=Path(os.environ.get("GROUNDED_HOME", "~/.grounded")).expanduser()
                    / "models")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cache", type=Path, help="JSON file of P(yes) per claim id, read and extended")
    ap.add_argument("--skip-old", action="store_true")
    args = ap.parse_args()

    claims = load_claims(args.data)
    half = len(claims) // 2
    tune, test = claims[:half], claims[half:]
    gold_tune, gold_test = [c["supported"] for c in tune], [c["supported"] for c in test]
    print(f"WiCE dev: {len(claims)} claims; tune on first {len(tune)} ({sum(gold_tune)} supported), "
          f"report on last {len(test)} ({sum(gold_test)} supported)")

    cheap_tune, _ = run_cheap(tune)
    cheap_test, cheap_times = run_cheap(test)
    supported = tune_cheap(cheap_tune, gold_tune)
    rows = []
    if not args.skip_old:
        old_preds, old_times = run_old(test)
        rows.append(("old verifier (overlap over the whole chunk + MiniLM)", scores(old_preds, gold_test), old_times, "-"))
    th = JudgeThresholds(supported=supported)
    rows.append((f"new judge, cheap path (supported >= {supported})",
                 scores([x >= supported for x in cheap_test], gold_test), cheap_times, "0"))

    if args.model:
        from grounded.retrieval.judge_model import ModelJudge

        cache = json.loads(args.cache.read_text()) if args.cache and args.cache.is_file() else {}
        with ModelJudge(models_dir=args.models_dir, threads=args.threads) as model:
            band_tune = [i for i, x in enumerate(cheap_tune) if BROAD_BAND[0] <= x < BROAD_BAND[1]]
            model_p_yes(model, tune, band_tune, cache, args.cache)
            th = tune_model(cheap_tune, [c["id"] for c in tune], gold_tune, cache, supported)
            band_test = [i for i, x in enumerate(cheap_test) if th.uncertain_low <= x < th.uncertain_high]
            model_p_yes(model, test, band_test, cache, args.cache)
        preds, judged = with_model(cheap_test, [c["id"] for c in test], cache, th)
        times = [t + (cache[c["id"]]["s"] if i in judged else 0.0) for i, (t, c) in enumerate(zip(cheap_times, test))]
        rows.append((f"new judge + model on [{th.uncertain_low}, {th.uncertain_high}) (P(yes) >= {th.model_yes}; "
                     f"{len(judged)} of {len(test)} claims)", scores(preds, gold_test), times, str(len(judged))))
        model_times = [cache[test[i]["id"]]["s"] for i in judged]
        if model_times:
            print(f"model calls on the report half: {len(model_times)}, p50 {percentile(model_times, 50):.2f} s, "
                  f"p95 {percentile(model_times, 95):.2f} s per call")

    print(f"\nchosen thresholds (first half): {th.model_dump()}")
    print(f"uptime: {uptime_line()}\n")
    print("| judge (reported on the second half) | balanced acc. | F1 (supported) | accuracy | accepted | "
          "p50 / p95 per claim | model calls |")
    print("|---|---|---|---|---|---|---|")
    for name, s, times, calls in rows:
        print(f"| {name} | {s['ba']:.3f} | {s['f1']:.3f} | {s['acc']:.3f} | {s['accepted']} | "
              f"{percentile(times, 50) * 1000:.1f} / {percentile(times, 95) * 1000:.1f} ms | {calls} |")


if __name__ == "__main__":
    main()
