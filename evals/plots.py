"""PNG plots for a report: score distributions, the abstention confusion matrix, the latency histogram."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from grounded.evals.report import EvalReport  # noqa: E402

ANSWERED = {"answered", "partial"}


def write_plots(report: EvalReport, out: Path, per_sample: dict[str, list[float | None]]) -> list[Path]:
    written = []
    questions = [q for q in report.questions if q.status is not None]
    if not questions:
        return written

    scores = {"confidence": [q.confidence for q in questions], **per_sample}
    scores = {k: [v for v in vs if v is not None and not math.isnan(v)] for k, vs in scores.items()}
    scores = {k: vs for k, vs in scores.items() if vs}
    fig, axes = plt.subplots(1, len(scores), figsize=(4 * len(scores), 3), squeeze=False)
    for ax, (name, values) in zip(axes[0], scores.items()):
        ax.hist(values, bins=10, range=(0, 1), color="#4c72b0")
        ax.set_title(name)
    fig.tight_layout()
    written.append(_save(fig, out / "scores.png"))

    matrix = [[0, 0], [0, 0]]  # rows: gold answerable / not; cols: answered / abstained
    for q in questions:
        matrix[0 if q.answerable else 1][0 if q.status in ANSWERED else 1] += 1
    fig, ax = plt.subplots(figsize=(4, 3.5))
    ax.imshow(matrix, cmap="Blues")
    for i in range(2):
        for j in range(2):
            ax.text(j, i, str(matrix[i][j]), ha="center", va="center", fontsize=14)
    ax.set_xticks([0, 1], ["answered", "abstained"])
    ax.set_yticks([0, 1], ["answerable", "unanswerable"])
    ax.set_title("abstention")
    fig.tight_layout()
    written.append(_save(fig, out / "abstention.png"))

    totals = [q.total_ms / 1000 for q in questions if q.total_ms is not None]
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.hist(totals, bins=20, color="#55a868")
    ax.set_xlabel("seconds per answer")
    ax.set_title("latency")
    fig.tight_layout()
    written.append(_save(fig, out / "latency.png"))
    return written


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
