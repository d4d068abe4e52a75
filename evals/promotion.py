"""Reindex with an eval-gated promotion: build the next index version beside the live one, evaluate both on the
collection's eval set through the same answer path users hit, and swap the alias only if no gated metric fell
more than its tolerance below the live version's (the `--baseline` comparison) and, given a gate file, every
threshold holds. Otherwise the build stays staged with its report. The CLI and the API job both call `reindex`."""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import BaseModel, Field

from grounded.app import Components
from grounded.contracts import IngestReport
from grounded.evals.datasets import load_dataset
from grounded.evals.gate import GateCheck, Regression, check_gate, compare_to_baseline, load_gate
from grounded.evals.suite import run_suite
from grounded.ingest.reindex import build_version
from grounded.ingest.sync import Progress
from grounded.settings import Settings
from grounded.store import build_record

UNGATED = ("_ms",)  # timings on a shared machine swing by tens of percent; bound them with a gate file instead


class EvalSummary(BaseModel):
    dataset: str
    questions: int
    seconds: float
    metrics: dict[str, float | None]


class PromotionDecision(BaseModel):
    promoted: bool
    reason: str
    candidate: EvalSummary | None = None
    live: EvalSummary | None = None
    regressions: list[Regression] = Field(default_factory=list)
    gate: GateCheck | None = None


class ReindexReport(BaseModel):
    """What `grounded reindex --json` prints and a reindex job reports."""

    collection: str
    version: str = Field(description="the version built, e.g. 'v3'")
    version_id: str = Field(description="its concrete index id, e.g. 'handbook@v3'")
    previous_live: str
    live: str = Field(description="the live index id after this run")
    build: dict
    ingest: IngestReport
    decision: PromotionDecision
    build_seconds: float
    seconds: float


def evaluate(components: Components, dataset_path: Path, index_id: str) -> EvalSummary:
    """`grounded eval`'s run (same metrics, so its gate files apply) against one concrete index version."""
    started = time.perf_counter()
    report, _ = run_suite(load_dataset(dataset_path), str(dataset_path), components, index_id)
    return EvalSummary(
        dataset=str(dataset_path), questions=len(report.questions), seconds=round(time.perf_counter() - started, 2),
        metrics=report.values(),
    )


def decide(candidate: EvalSummary, live: EvalSummary, tolerance: float, gate_path: Path | None) -> PromotionDecision:
    gated = lambda m: {k: v for k, v in m.items() if not k.endswith(UNGATED)}  # noqa: E731
    regressions = compare_to_baseline(gated(candidate.metrics), gated(live.metrics), tolerance=tolerance)
    gate = check_gate(candidate.metrics, load_gate(gate_path)) if gate_path else None
    reasons = [f"{r.metric} regressed: {r.reason}" for r in regressions]
    reasons += [f"gate: {f.metric}: {f.reason}" for f in (gate.failures if gate else [])]
    promoted = not reasons
    reason = "every gated metric within tolerance of the live version" if promoted else "; ".join(reasons)
    return PromotionDecision(promoted=promoted, reason=reason, candidate=candidate, live=live,
                             regressions=regressions, gate=gate)


def reindex(
    components: Components, collection: str, *, build_settings: Settings | None = None,
    eval_dataset: Path | None = None, gate: Path | None = None, progress: Progress | None = None,
) -> ReindexReport:
    """Build with `build_settings` (default: the components' settings), gate, promote or leave staged.
    `eval_dataset` given here becomes the collection's eval set for later reindexes."""
    started = time.perf_counter()
    store = components.store
    settings = build_settings or components.settings
    if gate is not None:
        load_gate(gate)  # a bad gate file fails before an expensive build
    if eval_dataset is not None:
        load_dataset(eval_dataset)
    previous_live = store.resolve(collection)
    live_info = store.base.get_collection(previous_live)
    if eval_dataset is not None and live_info is not None and live_info.index is not None:
        store.record(live_info, eval_dataset=str(eval_dataset.resolve()))  # the collection's eval set from now on
    build = build_record(settings)
    embedder = components.embedders.get(build["embed"])
    info, ingest = build_version(store, collection, components.settings.home, embedder, components.sparse,
                                 settings.chunk, build, progress)
    build_seconds = ingest.seconds
    dataset = Path(info.index.eval_dataset) if info.index.eval_dataset else None
    if dataset is None and gate is None:
        decision = PromotionDecision(promoted=False, reason="no eval set for this collection: the build stays "
                                     "staged; pass --eval DATASET, or promote it by hand")
    else:
        candidate = evaluate(components, dataset, info.name) if dataset else None
        live = evaluate(components, dataset, previous_live) if dataset else None
        if candidate is None:
            decision = PromotionDecision(promoted=False, reason="a gate file needs an eval set (--eval DATASET)")
        else:
            decision = decide(candidate, live, components.settings.rollout.quality_tolerance, gate)
    info = store.record(info, eval=decision.model_dump(mode="json", exclude={"live"}))
    if decision.live is not None:
        live_info = store.base.get_collection(previous_live)
        store.record(live_info, eval={"candidate": decision.live.model_dump(mode="json")})
    if decision.promoted:
        store.promote(collection, info.index.version)
    return ReindexReport(
        collection=collection, version=info.index.version, version_id=info.name, previous_live=previous_live,
        live=store.resolve(collection), build=build, ingest=ingest, decision=decision,
        build_seconds=build_seconds, seconds=round(time.perf_counter() - started, 2),
    )
