"""Grounded. This folder holds the shared kernel (settings, contracts, embedder, sparse encoder, vector store,
traces, offline switches), which imports no stage; beside it the composition root (`app.py`) and the CLI
(`cli/`). The stages install as `grounded.ingest`, `grounded.retrieval`, `grounded.api`, `grounded.evals`;
docs/architecture.md draws the layers and tests/architecture checks them.

Importing the package switches off the stack's hidden run-time downloads; it does nothing else.
"""

from importlib.metadata import version

from grounded.offline import ensure_offline

ensure_offline()

__version__ = version("grounded")  # the one version source is pyproject.toml
