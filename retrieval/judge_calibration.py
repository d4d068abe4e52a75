"""The judge's calibration: a logistic regression over the cheap path's features (retrieval/judge.py `features`),
fitted on the first half of WiCE dev only (`python bench/wice.py --fit` prints the coefficients below;
docs/results.md, issue 11). The features say how much of the claim its best windows miss, and how specific the
missing words are — a missing 'currently' matters less than a missing 'Hollywood'."""

from __future__ import annotations

import math

from pydantic import BaseModel

FEATURES = (
    "coverage_min",          # the weakest clause's weighted coverage in its window
    "coverage_mean",         # clause coverage, weighted by clause size
    "one_window",            # coverage of the whole claim by one window
    "hard_missing_window",   # names, numbers, dates missing from their clause's window
    "hard_missing_anywhere",  # ... missing from every passage
    "specific_missing_window",    # summed specificity of the parts missing from their window
    "specific_missing_anywhere",  # ... missing from every passage
    "longest_missing_run",   # summed specificity of the longest run of missing parts (a whole detail left out)
    "clauses",
    "log_weight",            # log(1 + the claim's total part weight)
)


class Calibration(BaseModel):
    """Standardised logistic regression: z = intercept + sum(coef * (x - mean) / scale)."""

    features: tuple[str, ...]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float

    def probability(self, x: list[float]) -> float:
        z = self.intercept + sum(c * (v - m) / s for c, v, m, s in zip(self.coef, x, self.mean, self.scale))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


# fitted by `python bench/wice.py --fit` on WiCE dev's first 174 claims only (C=0.03, balanced class weights;
# 5x5-fold cross-validation there: AUROC 0.833, balanced accuracy 0.754 at P >= 0.5)
CALIBRATION = Calibration(
    features=FEATURES,
    mean=[0.3726, 0.5875, 0.5714, 1.6494, 1.431, 4.0543, 3.12, 2.1357, 2.9598, 3.0257],
    scale=[0.268, 0.2178, 0.2185, 2.0922, 2.0295, 2.8287, 2.5957, 1.6591, 1.487, 0.4514],
    coef=[0.2883, 0.2416, 0.2301, -0.1477, -0.187, -0.1853, -0.1481, -0.1612, -0.1555, 0.0297],
    intercept=-0.3617,
)
