"""Grounded: the shared kernel (settings, contracts, embedder, vector store, telemetry, CLI).

Importing the package switches off the stack's hidden run-time downloads; it does nothing else.
"""

from grounded.offline import ensure_offline

ensure_offline()

__version__ = "0.1.0"
