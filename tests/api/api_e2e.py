"""Helpers for the end-to-end API tests: a running server handle, uploads, jobs, SSE parsing."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from grounded.api.app import create_app

from grounded.app import Components
from grounded.settings import Settings

ADMIN_KEY = "admin-secret-for-tests-0123456789"
STARTUP_TIMEOUT_S = 180

DOCS = {
    "leave-policy.md": (
        "# Leave policy\n\nEmployees receive 28 days of paid annual leave per year. "
        "Unused leave can be carried over up to 5 days into the next year.\n\n"
        "## Sick leave\n\nSick leave is paid for up to 10 days per year without a doctor's note.\n"
    ),
    "vpn-guide.txt": (
        "The VPN client is called WireGuard. To reach the office network, install WireGuard and import "
        "the configuration file from the IT portal.\n"
    ),
    "expenses.md": (
        "# Travel expenses\n\nMeals during business travel are reimbursed up to 45 euros per day. "
        "Receipts must be submitted within 30 days of the trip.\n"
    ),
}
LEAVE_QUESTION = "How many days of paid annual leave do employees receive?"


@dataclass
class Running:
    base_url: str
    app: FastAPI
    settings: Settings
    components: Components

    def client(self, key: str | None = ADMIN_KEY) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60)


def create_collection(client: httpx.Client, name: str, source_path: Path | None = None) -> None:
    body = {"name": name, "source_path": str(source_path) if source_path else None}
    r = client.post("/v1/collections", json=body)
    assert r.status_code == 201, r.text


def upload(
    client: httpx.Client, collection: str, files: dict[str, str | bytes], idempotency_key: str | None = None
) -> httpx.Response:
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    parts = [("files", (name, data.encode() if isinstance(data, str) else data)) for name, data in files.items()]
    return client.post(f"/v1/collections/{collection}/documents", files=parts, headers=headers)


def wait_for_job(client: httpx.Client, job_id: str, timeout_s: float = 120) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed"):
            return job
        assert time.monotonic() < deadline, f"job still {job['status']}"
        time.sleep(0.1)


def ingest_files(client: httpx.Client, collection: str, files: dict[str, str | bytes]) -> dict:
    """Create the collection, upload the files and wait for the job; returns the finished job."""
    create_collection(client, collection)
    r = upload(client, collection, files)
    assert r.status_code == 202, r.text
    job = wait_for_job(client, r.json()["id"])
    assert job["status"] == "succeeded", job
    return job


def sse_events(response: httpx.Response) -> list[tuple[str | None, str]]:
    """(event, data) pairs of a text/event-stream response."""
    events, event, data = [], None, []
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line[len("event: "):]
        elif line.startswith("data: "):
            data.append(line[len("data: "):])
        elif line == "" and data:
            events.append((event, "\n".join(data)))
            event, data = None, []
    return events


def final_answer(events: list[tuple[str | None, str]]) -> dict:
    assert events and events[-1][0] == "final", events
    return json.loads(events[-1][1])["answer"]


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
