import math

import pytest

from grounded.evals.metrics.aggregate import MetricValue, flatten, mean_metric

pytestmark = pytest.mark.unit


def test_nan_and_none_are_counted_not_averaged() -> None:
    m = mean_metric("faithfulness", [1.0, math.nan, 0.5, None])
    assert m == MetricValue(name="faithfulness", value=0.75, n=2, n_nan=1, n_skipped=1)


def test_infinite_counts_as_nan() -> None:
    assert mean_metric("x", [math.inf, 1.0]).n_nan == 1


def test_nothing_finite_gives_none() -> None:
    assert mean_metric("x", [math.nan, math.nan]) == MetricValue(name="x", value=None, n=0, n_nan=2)
    assert mean_metric("x", []).value is None
    assert mean_metric("x", [None]).n_skipped == 1


def test_flatten() -> None:
    a, b = MetricValue(name="a", value=1.0, n=1), MetricValue(name="b", value=None, n=0)
    assert flatten([a, b]) == {"a": 1.0, "b": None}
    with pytest.raises(ValueError, match="duplicate"):
        flatten([a, a])
