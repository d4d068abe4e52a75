"""Quality gate: metric thresholds from YAML, and regression checks against a baseline report.

Gate YAML::

    metrics:
      abstention_f1: {min: 0.7}
      p95_total_ms: {max: 20000}
"""

import math
import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

MetricMap = Mapping[str, float | None]


class Threshold(BaseModel):
    """Bounds for one metric (inclusive); at least one of ``min``/``max``."""

    model_config = ConfigDict(extra="forbid")

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _check_bounds(self) -> "Threshold":
        if self.min is None and self.max is None:
            raise ValueError("a threshold needs 'min' or 'max'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class Gate(BaseModel):
    """Thresholds by metric name."""

    model_config = ConfigDict(extra="forbid")

    metrics: dict[str, Threshold]


class GateFailure(BaseModel):
    """One metric that failed the gate."""

    metric: str
    value: float | None
    reason: str


class GateCheck(BaseModel):
    """Outcome of :func:`check_gate` (the eval gate; not the answer path's sufficiency gate)."""

    checked: list[str]
    failures: list[GateFailure]

    @property
    def passed(self) -> bool:
        """True when no metric failed."""
        return not self.failures


def load_gate(path: Path) -> Gate:
    """Read and validate a gate YAML file."""
    try:
        return Gate.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{path}: invalid gate file: {exc}") from exc


def _failure_reason(value: float | None, threshold: Threshold, present: bool) -> str | None:
    if not present:
        return "metric missing from the report"
    if value is None:
        return "metric is undefined (None) in the report"
    if math.isnan(value):
        return "metric is NaN"
    if threshold.min is not None and value < threshold.min:
        return f"{value:g} is below the minimum {threshold.min:g}"
    if threshold.max is not None and value > threshold.max:
        return f"{value:g} is above the maximum {threshold.max:g}"
    return None


def check_gate(report_metrics: MetricMap, gate: Gate) -> GateCheck:
    """Check every gated metric; missing, ``None`` and NaN values fail with their own reason."""
    failures = []
    for name, threshold in gate.metrics.items():
        value = report_metrics.get(name)
        reason = _failure_reason(value, threshold, name in report_metrics)
        if reason is not None:
            failures.append(GateFailure(metric=name, value=value, reason=reason))
    return GateCheck(checked=list(gate.metrics), failures=failures)


class Direction(StrEnum):
    """Which way a metric improves."""

    HIGHER_IS_BETTER = "higher"
    LOWER_IS_BETTER = "lower"


_LOWER_IS_BETTER = re.compile(r"(_ms$|_seconds$|latency|cost|tokens)")


def metric_direction(name: str) -> Direction:
    """Latency (``*_ms``, ``*_seconds``, ``latency``), cost and token metrics are lower-is-better;
    every other metric (recall, nDCG, F1, accuracy, faithfulness, ...) is higher-is-better."""
    return Direction.LOWER_IS_BETTER if _LOWER_IS_BETTER.search(name) else Direction.HIGHER_IS_BETTER


class Regression(BaseModel):
    """A metric that got worse than the baseline by more than the tolerance, or disappeared."""

    metric: str
    baseline: float
    current: float | None
    direction: Direction
    reason: str


def compare_to_baseline(
    current: MetricMap,
    baseline: MetricMap,
    tolerance: float = 0.05,
    *,
    abs_tolerance: float = 0.0,
    directions: Mapping[str, Direction] | None = None,
) -> list[Regression]:
    """Metrics of ``baseline`` that regressed in ``current``.

    A metric regresses when it moved in its worse direction by more than
    ``max(tolerance * |baseline|, abs_tolerance)`` (``tolerance`` is relative), or when it is missing,
    ``None`` or NaN in ``current``. Baseline metrics that are ``None``/NaN are not compared; metrics only
    in ``current`` are ignored. ``directions`` overrides :func:`metric_direction` per metric.
    """
    regressions = []
    for name, base in baseline.items():
        if base is None or math.isnan(base):
            continue
        direction = (directions or {}).get(name) or metric_direction(name)
        value = current.get(name)
        if value is None or math.isnan(value):
            if name not in current:
                state = "missing"
            else:
                state = "undefined" if value is None else "NaN"
            regressions.append(
                Regression(metric=name, baseline=base, current=value, direction=direction,
                           reason=f"metric is {state} in the current report")
            )
            continue
        worse_by = base - value if direction is Direction.HIGHER_IS_BETTER else value - base
        allowed = max(tolerance * abs(base), abs_tolerance)
        if worse_by > allowed:
            regressions.append(
                Regression(metric=name, baseline=base, current=value, direction=direction,
                           reason=f"{value:g} vs baseline {base:g} ({direction.value} is better; "
                                  f"worse by {worse_by:g} > allowed {allowed:g})")
            )
    return regressions
