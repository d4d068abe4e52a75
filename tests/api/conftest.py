"""End-to-end fixtures: a real uvicorn server on a free 127.0.0.1 port with a temp GROUNDED_HOME and the
extractive generator, one per test module (the first loads the embedder; later ones reuse the warm imports)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from api_e2e import ADMIN_KEY, Running

from grounded.api.app import create_app
from grounded.app import Components
from grounded.settings import Settings

STARTUP_TIMEOUT_S = 180


@contextmanager
def running_server(settings: Settings, components: Components) -> Iterator[Running]:
    """The app served on a free loopback port until the block ends (the components stay the caller's)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(settings, components, url=url)
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not uv.started:
        assert thread.is_alive(), "uvicorn exited during start-up"
        assert time.monotonic() < deadline, "uvicorn did not start in time"
        time.sleep(0.05)
    try:
        yield Running(url, app, settings, components)
    finally:
        uv.should_exit = True
        thread.join(30)
        sock.close()


@pytest.fixture(scope="module")
def server(settings_factory, tmp_path_factory) -> Iterator[Running]:
    """Extractive generator; tests' temp folders are the allowed source roots."""
    api = {"max_upload_mb": 2, "max_file_mb": 1, "source_roots": [tmp_path_factory.getbasetemp()]}
    settings = settings_factory(admin_key=ADMIN_KEY, api=api)
    components = Components(settings)
    try:
        with running_server(settings, components) as running:
            yield running
    finally:
        components.close()
