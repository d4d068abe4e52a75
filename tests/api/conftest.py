"""End-to-end fixtures: a real uvicorn server on a free 127.0.0.1 port with a temp GROUNDED_HOME and the
extractive generator, one per test module (the first loads the embedder; later ones reuse the warm imports)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from api_e2e import ADMIN_KEY, Running

from grounded.api.app import create_app
from grounded.app import Components

STARTUP_TIMEOUT_S = 180


@pytest.fixture(scope="module")
def server(settings_factory) -> Iterator[Running]:
    settings = settings_factory(admin_key=ADMIN_KEY, api={"max_upload_mb": 1})  # a fresh home, extractive
    components = Components(settings)
    app = create_app(settings, components)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not uv.started:
        assert thread.is_alive(), "uvicorn exited during start-up"
        assert time.monotonic() < deadline, "uvicorn did not start in time"
        time.sleep(0.05)
    try:
        yield Running(f"http://127.0.0.1:{port}", app, settings, components)
    finally:
        uv.should_exit = True
        thread.join(30)
        sock.close()
        components.close()

