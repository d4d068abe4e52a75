"""Shared fixtures for the evals tests."""

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def evaldata() -> Path:
    """The read-only public eval data: ``$GROUNDED_EVALDATA`` or ``<repo>/../shared/evaldata``.

    Tests using it skip, with the path in the reason, when the folder is absent.
    """
    default = Path(__file__).resolve().parents[2].parent / "shared" / "evaldata"
    path = Path(os.environ.get("GROUNDED_EVALDATA", default))
    if not path.is_dir():
        pytest.skip(f"public eval data not found at {path} (set GROUNDED_EVALDATA)")
    return path
