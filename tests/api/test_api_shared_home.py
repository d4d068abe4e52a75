"""Issue 9 finding 4 and 12: one GROUNDED_HOME, many processes. While the server runs, CLI commands on the same
home go through its API (or exit 2 with one line); a collection another process holds is a 503 and a not-ready
probe, never a 500; CLI collection names and questions are checked before any work, without a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from api_e2e import DOCS, LEAVE_QUESTION

GROUNDED = [sys.executable, "-m", "grounded.cli"]
REPO = Path(__file__).resolve().parents[2]
HOLD_SHARD = """
import sys, time
from grounded.settings import Settings
from grounded.store import open_store
from grounded.contracts import CollectionInfo
store = open_store(Settings(home=sys.argv[1]))
if store.get_collection("held") is None:
    store.create_collection(CollectionInfo(name="held", embed_model="sentence-transformers/all-MiniLM-L6-v2",
                                           dimension=384))
store.count("held")
print("holding", flush=True)
sys.stdin.read()  # until the test closes stdin
"""


def cli(args: list[str], home: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "GROUNDED_HOME": str(home)}
    return subprocess.run(GROUNDED + args, env=env, capture_output=True, text=True, timeout=timeout)


def one_clean_line(done: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.fixture
def holder(server):
    """Another process (as a CLI ingest would) holding the embedded shard of collection 'held'."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD_SHARD, str(server.settings.home)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "holding"
        yield proc
    finally:
        proc.stdin.close()
        proc.wait(30)


def test_cli_commands_go_through_the_running_server(server, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text)
    home = server.settings.home

    ingest = cli(["ingest", str(folder), "-c", "via-server", "--json"], home)
    assert ingest.returncode == 0, ingest.stderr
    assert "Traceback" not in ingest.stderr
    assert json.loads(ingest.stdout)["added"] == len(DOCS)

    listed = cli(["collections", "list"], home)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {"name": "via-server", "chunks": rows[[r["name"] for r in rows].index("via-server")]["chunks"]}
    assert next(r for r in rows if r["name"] == "via-server")["chunks"] > 0

    ask = cli(["ask", LEAVE_QUESTION, "-c", "via-server", "--json"], home)
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert answer["status"] == "answered" and "28" in answer["answer"]

    with server.client() as client:  # the server saw the work: it owns the store
        docs = {d["doc_id"] for d in client.get("/v1/collections/via-server/documents").json()}
    assert docs == set(DOCS)

    missing = cli(["ask", LEAVE_QUESTION, "-c", "nope"], home)
    assert missing.returncode == 2
    assert "nope" in one_clean_line(missing)


def test_commands_that_need_the_store_exit_2_with_one_line_while_served(server, tmp_path):
    done = cli(["eval", "run", str(REPO / "data" / "golden"), "-c", "via-server"], server.settings.home)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "server" in one_clean_line(done)


def test_a_collection_held_by_another_process_is_503_and_not_ready(server, holder):
    with server.client() as client:
        listed = client.get("/v1/collections")
        assert listed.status_code == 200, listed.text
        held = next(c for c in listed.json() if c["name"] == "held")
        assert held["chunks"] is None
        r = client.post("/v1/chat", json={"collection": "held", "question": LEAVE_QUESTION})
        assert r.status_code == 503, r.text
        assert "another process" in r.json()["detail"]
        assert client.delete("/v1/collections/held").status_code == 503
        assert client.get("/v1/collections/held/documents").status_code == 503
    with server.client(None) as anonymous:
        ready = anonymous.get("/readyz")
    assert ready.status_code == 503 and "held" in ready.json()["reason"], ready.text
    assert any((server.settings.home / "collections").glob("held*"))  # the holder's data is intact


def test_the_api_recovers_once_the_other_process_lets_go(server, holder):
    holder.stdin.close()
    holder.wait(30)
    deadline = time.monotonic() + 30
    with server.client(None) as anonymous:
        while anonymous.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, anonymous.get("/readyz").text
            time.sleep(0.2)
    with server.client() as client:
        assert client.get("/v1/collections/held/documents").status_code == 200


@pytest.mark.parametrize("name", ["../../x", "a/b", ".hidden", ""])
def test_cli_rejects_collection_names_that_are_not_folder_names(tmp_path, name):
    home = tmp_path / "home"
    done = cli(["ingest", str(tmp_path), "-c", name], home)
    assert done.returncode == 2
    assert "collection name" in one_clean_line(done)
    assert not (tmp_path / "x").exists() and not (home / "collections").exists()


def test_cli_ask_with_an_empty_question_is_a_clear_error(tmp_path):
    done = cli(["ask", "  ", "-c", "demo"], tmp_path / "home")
    assert done.returncode == 2
    assert "question" in one_clean_line(done)


def test_a_cli_ingest_into_a_collection_another_process_holds_exits_2(tmp_path):
    home = tmp_path / "home"
    proc = subprocess.Popen([sys.executable, "-c", HOLD_SHARD, str(home)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "holding"
        folder = tmp_path / "docs"
        folder.mkdir()
        (folder / "a.md").write_text(DOCS["expenses.md"])
        done = cli(["ingest", str(folder), "-c", "held"], home)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        assert "another process" in done.stderr.strip().splitlines()[-1]  # above it only the model-loading bar
    finally:
        proc.stdin.close()
        proc.wait(30)
