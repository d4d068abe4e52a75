"""The repository's import graph read from the source with `ast` (imports inside functions included).

Why not grimp / import-linter: they find a package's modules by walking its folder, and ours is assembled from
five folders by setup.py (`ingest/` -> `grounded.ingest`, ...), so they see only `grounded/` (tried: 21 modules).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx

REPO = Path(__file__).resolve().parents[2]


def stage_folders() -> tuple[str, ...]:
    """The folders setup.py maps into `grounded.*`, read from its `STAGES = (...)` line."""
    for node in ast.parse((REPO / "setup.py").read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "STAGES":
            return tuple(ast.literal_eval(node.value))
    raise AssertionError("setup.py has no STAGES")


def module_files() -> dict[str, Path]:
    """Dotted module name -> source file, for every module the wheel installs."""
    modules = {}
    for folder in ("grounded", *stage_folders()):
        for path in (REPO / folder).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            if parts[0] != "grounded":
                parts.insert(0, "grounded")
            modules[".".join(parts)] = path
    return modules


def _imported_names(path: Path, package: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """module -> the repository modules it imports (an imported name resolves to its closest module)."""
    modules = module_files()
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for imported in _imported_names(path, package):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others."""
    digraph = networkx.DiGraph([(a, b) for a, targets in graph.items() for b in targets])
    return sorted(sorted(c) for c in networkx.strongly_connected_components(digraph) if len(c) > 1)
