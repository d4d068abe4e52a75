"""CLI commands through a running server. When `grounded serve` owns this GROUNDED_HOME (see api/presence.py),
`ask`, `collections list` and `ingest` send their work to its API, with the token the server left for local
commands, instead of opening the embedded store (one process at a time can hold it)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from grounded.api.presence import ServerInfo, running_server
from grounded.cli.common import exit_with
from grounded.settings import Settings

TIMEOUT_S = 600.0  # an answer from the local LLM on a busy machine
POLL_S = 0.5


class RemoteError(RuntimeError):
    """The server refused or failed; the message carries its `detail`."""


class Remote:
    def __init__(self, info: ServerInfo) -> None:
        self.info = info
        self._http = httpx.Client(base_url=info.url or "", timeout=TIMEOUT_S,
                                  headers={"Authorization": f"Bearer {info.token}"})

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, path: str, **kwargs) -> Any:
        try:
            r = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RemoteError(f"the server at {self.info.url} (pid {self.info.pid}) does not answer: {exc}") from exc
        if r.is_error:
            try:
                detail = r.json().get("detail", r.text)
            except ValueError:
                detail = r.text
            raise RemoteError(f"{detail} (server at {self.info.url}: HTTP {r.status_code})")
        return r.json() if r.content else None

    def ingest(self, collection: str, path: Path, prune: bool) -> dict:
        """Create the collection if needed, run the server's ingest job for PATH and wait; the finished job."""
        if collection not in {c["name"] for c in self.call("GET", "/v1/collections")}:
            self.call("POST", "/v1/collections", json={"name": collection})
        job = self.call("POST", f"/v1/collections/{collection}/reingest",
                        json={"path": str(path.resolve()), "prune": prune})
        while job["status"] in ("queued", "running"):
            time.sleep(POLL_S)
            job = self.call("GET", f"/v1/jobs/{job['id']}")
        return job


def server_for(settings: Settings) -> Remote | None:
    """A client for the server serving this home, or None when no server runs."""
    info = running_server(settings.home)
    if info is None:
        return None
    if not info.url:
        exit_with(f"a grounded server (pid {info.pid}) is starting on {settings.home}; try again in a moment")
    return Remote(info)


def call_once(remote: Remote, method: str, path: str, **kwargs) -> Any:
    """One API call, then the client is closed; a refusal is one line and exit 2."""
    try:
        return remote.call(method, path, **kwargs)
    except RemoteError as exc:
        exit_with(str(exc))
    finally:
        remote.close()
