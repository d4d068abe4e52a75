"""`serve(settings)`: run the API with uvicorn in one process (the job worker and the embedded store live in it)."""

from __future__ import annotations

import logging

import uvicorn

from grounded.api.app import create_app
from grounded.settings import Settings


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Bind `host`/`port`, defaulting to settings.api (127.0.0.1:8000)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host, port = host or settings.api.host, port or settings.api.port
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://[{local}]:{port}" if ":" in local else f"http://{local}:{port}"
    uvicorn.run(create_app(settings, url=url), host=host, port=port, timeout_graceful_shutdown=30)
