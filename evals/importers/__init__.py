"""Converters from public eval sets into the Grounded dataset folder format."""

from collections.abc import Callable
from pathlib import Path

from grounded.evals.datasets import EvalDataset
from grounded.evals.importers.beir import import_beir
from grounded.evals.importers.llamaindex import import_llamaindex
from grounded.evals.importers.squad2 import import_squad2

Importer = Callable[[Path, Path, int | None], EvalDataset]

IMPORTERS: dict[str, Importer] = {
    "beir": import_beir,
    "squad2": import_squad2,
    "llamaindex": import_llamaindex,
}

__all__ = ["IMPORTERS", "Importer", "import_beir", "import_llamaindex", "import_squad2"]
