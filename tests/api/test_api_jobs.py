"""Issue 9 findings 5 and 6: upload jobs survive a server restart and resume; one tenant's long job does not hold
another tenant's job in the queue; a file over the per-file limit is refused by name."""

from __future__ import annotations

import threading
import time

import pytest
from api_e2e import DOCS, create_collection, running_server, upload, wait_for_job

import grounded.ingest.pipeline as ingest_pipeline
from grounded.app import Components

HOLD_S = 120
SERVER_SETTINGS = {"ingest": {"workers": 0}}  # parse in the server process, where the test holds it


@pytest.fixture
def held_parse(monkeypatch):
    """Parsing (inline: SERVER_SETTINGS) of any document whose id contains 'slow' waits until released; if `cut`
    is set by then, that parse fails instead (the worker of a killed process) and clears `cut`."""
    release, parsing, cut = threading.Event(), threading.Event(), threading.Event()
    real_parse = ingest_pipeline.parse

    def parse(doc):
        if "slow" in doc.doc_id:
            parsing.set()
            assert release.wait(HOLD_S)
            if cut.is_set():
                cut.clear()
                raise RuntimeError("the process was killed here")
        return real_parse(doc)

    monkeypatch.setattr(ingest_pipeline, "parse", parse)
    try:
        yield release, parsing, cut
    finally:
        release.set()


def test_jobs_survive_a_restart_and_resume(settings_factory, held_parse):
    release, parsing, cut = held_parse
    settings = settings_factory(admin_key="admin-secret-for-tests-0123456789", **SERVER_SETTINGS)
    components = Components(settings)
    try:
        _restart_and_resume(settings, components, release, parsing, cut)
    finally:
        components.close()


def _restart_and_resume(settings, components, release, parsing, cut):
    with running_server(settings, components) as first, first.client() as client:
        create_collection(client, "durable")
        running = upload(client, "durable", {"slow-leave.md": DOCS["leave-policy.md"]}).json()
        assert parsing.wait(60)
        queued = upload(client, "durable", {"expenses.md": DOCS["expenses.md"]}).json()
        assert client.get(f"/v1/jobs/{queued['id']}").json()["status"] == "queued"  # same collection: waits
        first.app.state.jobs.close(timeout_s=0.2)  # the server goes away with one job running, one queued
    cut.set()
    release.set()  # the cut-off worker fails now; nothing it does after the shutdown is recorded
    deadline = time.monotonic() + 60
    while cut.is_set():
        assert time.monotonic() < deadline, "the cut-off worker never woke"
        time.sleep(0.05)

    with running_server(settings, components) as second, second.client() as client:
        for job in (running, queued):
            done = wait_for_job(client, job["id"])
            assert done["status"] == "succeeded", done
        docs = {d["doc_id"] for d in client.get("/v1/collections/durable/documents").json()}
    assert docs == {"uploads/slow-leave.md", "uploads/expenses.md"}
    assert not any((settings.home / "uploads" / "durable").iterdir())  # finished batches are cleaned up


def test_a_long_job_does_not_hold_another_tenants_job(server, held_parse):
    release, parsing, _ = held_parse
    with server.client() as client:
        create_collection(client, "tenant-a")
        create_collection(client, "tenant-b")
        long_job = upload(client, "tenant-a", {"slow-big.md": DOCS["leave-policy.md"]}).json()
        assert parsing.wait(60)
        other = upload(client, "tenant-b", {"vpn-guide.txt": DOCS["vpn-guide.txt"]}).json()
        done = wait_for_job(client, other["id"], timeout_s=60)
        assert done["status"] == "succeeded", done
        assert client.get(f"/v1/jobs/{long_job['id']}").json()["status"] == "running"
        release.set()
        assert wait_for_job(client, long_job["id"])["status"] == "succeeded"


def test_a_file_over_the_per_file_limit_is_refused_by_name(server):
    limit = server.settings.api.max_file_mb * 1024 * 1024
    assert limit < server.settings.api.max_upload_mb * 1024 * 1024
    with server.client() as client:
        create_collection(client, "sizes")
        r = upload(client, "sizes", {"small.md": "# ok\n", "huge.txt": b"word " * (limit // 5 + 10)})
        assert r.status_code == 413, r.text
        assert "huge.txt" in r.json()["detail"] and "per file" in r.json()["detail"]
        assert client.get("/v1/collections/sizes/documents").json() == []
    assert not any((server.settings.home / "uploads" / "sizes").iterdir())
