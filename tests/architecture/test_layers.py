"""The import graph: every import points down the layers (the kernel imports no stage) and no module imports
itself back through others. Read from the source, so imports hidden inside functions count too."""

from __future__ import annotations

import pytest
from import_graph import cycles, import_graph

pytestmark = pytest.mark.unit

# Lowest first; a module may import its own layer and the layers below it, never one above.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("kernel", ("grounded", "grounded.offline", "grounded.settings", "grounded.contracts", "grounded.embedder",
                "grounded.embedders", "grounded.onnx_model", "grounded.sparse", "grounded.store", "grounded.traces",
                "grounded.text", "grounded.injection", "grounded.telemetry", "grounded.quiet")),
    ("stages", ("grounded.ingest", "grounded.retrieval")),
    ("composition root", ("grounded.app",)),
    ("services", ("grounded.api", "grounded.evals", "grounded.integrations")),
    ("entry points", ("grounded.cli", "grounded.__main__")),
]


def layer_of(module: str) -> int:
    best = None  # the longest matching prefix decides: `grounded.store.embedded` is kernel, `grounded` alone too
    for level, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (level, len(prefix))
    if best is None or (best[1] == len("grounded") and module != "grounded"):
        raise AssertionError(f"{module} belongs to no layer: add it to LAYERS in {__file__}")
    return best[0]


def test_every_module_has_a_layer():
    for module in import_graph():
        layer_of(module)


def test_imports_point_down_the_layers():
    upward = [
        f"{module} ({LAYERS[layer_of(module)][0]}) -> {target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in sorted(import_graph().items())
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]
    assert upward == []


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_the_checks_see_hidden_imports_and_cycles():
    """The graph reader is not blind: the CLI's imports inside functions and a made-up cycle are found."""
    graph = import_graph()
    assert "grounded.ingest.sync" in graph["grounded.cli.ingest"]  # imported inside `ingest()`
    assert cycles({**graph, "grounded.settings": graph["grounded.settings"] | {"grounded.cli"}}) != []
    with pytest.raises(AssertionError, match="no layer"):
        layer_of("grounded.somewhere_new")
