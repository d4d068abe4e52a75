"""End-to-end fixtures: a real uvicorn server on a free 127.0.0.1 port with a temp GROUNDED_HOME and the
extractive generator, one per test module (the first loads the embedder; later ones reuse the warm imports)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_e2e import ADMIN_KEY, Running, running_server

from grounded.app import Components


@pytest.fixture(scope="module")
def server(request, settings_factory, tmp_path_factory) -> Iterator[Running]:
    """Extractive generator; tests' temp folders are the allowed source roots. A module may set
    `SERVER_SETTINGS = {...}` for settings of its own (e.g. answer profiles)."""
    extra = getattr(request.module, "SERVER_SETTINGS", {})
    api = {"max_upload_mb": 2, "max_file_mb": 1, "source_roots": [tmp_path_factory.getbasetemp()]}
    settings = settings_factory(admin_key=ADMIN_KEY, api=api, **extra)
    components = Components(settings)
    try:
        with running_server(settings, components) as running:
            yield running
    finally:
        components.close()
