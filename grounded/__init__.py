"""Grounded: the shared kernel (settings, contracts, embedder, vector store, telemetry, CLI).

Importing the package switches off the stack's hidden run-time downloads; it does nothing else.
"""

from importlib.metadata import version

from grounded.offline import ensure_offline

ensure_offline()

__version__ = version("grounded")  # the one version source is pyproject.toml
