"""Averaging per-question scores without hiding missing or undefined values."""

import math
from collections.abc import Iterable

from pydantic import BaseModel


class MetricValue(BaseModel):
    """An aggregated metric.

    ``value`` is the mean over the ``n`` finite scores (``None`` when ``n == 0``). ``n_nan`` counts
    NaN/inf scores (undefined, e.g. ragas faithfulness on an abstention); ``n_skipped`` counts ``None``
    scores (metric not applicable, e.g. no reference doc ids). Neither enters the mean.
    """

    name: str
    value: float | None
    n: int
    n_nan: int = 0
    n_skipped: int = 0


def mean_metric(name: str, scores: Iterable[float | None]) -> MetricValue:
    """Mean of the finite scores, with NaN/inf and ``None`` counted separately."""
    finite: list[float] = []
    n_nan = n_skipped = 0
    for score in scores:
        if score is None:
            n_skipped += 1
        elif not math.isfinite(score):
            n_nan += 1
        else:
            finite.append(float(score))
    value = math.fsum(finite) / len(finite) if finite else None
    return MetricValue(name=name, value=value, n=len(finite), n_nan=n_nan, n_skipped=n_skipped)


def flatten(metrics: Iterable[MetricValue]) -> dict[str, float | None]:
    """``{name: value}`` for the gate and baseline comparison; duplicate names are an error."""
    flat: dict[str, float | None] = {}
    for metric in metrics:
        if metric.name in flat:
            raise ValueError(f"duplicate metric name {metric.name!r}")
        flat[metric.name] = metric.value
    return flat
