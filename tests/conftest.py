"""Session-wide test set-up: the network is cut for everything but loopback, so any hidden download (model hub,
NLTK, tiktoken, telemetry) fails the suite; one embedder and one demo collection are shared."""

from __future__ import annotations

import ipaddress
import shutil
import socket
import sys
from pathlib import Path

import pytest

import grounded  # noqa: F401  (switches off the stack's downloads before anything else loads)

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo"


class NetworkBlocked(OSError):
    pass


def _is_loopback(host) -> bool:
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _audit(event: str, args: tuple) -> None:
    if event == "socket.connect":
        sock, address = args
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise NetworkBlocked(f"test tried to reach the network: {address}")
    elif event == "socket.getaddrinfo":
        if not _is_loopback(args[0]):
            raise NetworkBlocked(f"test tried to resolve a host: {args[0]}")


sys.addaudithook(_audit)


@pytest.fixture(scope="session", autouse=True)
def shared_onnx_export(tmp_path_factory):
    """Export the int8 ONNX embedder once per session for every GROUNDED_HOME (CLI subprocesses inherit it)."""
    import os

    onnx_dir = tmp_path_factory.mktemp("models") / "minilm-onnx-int8"
    os.environ["GROUNDED_EMBED__ONNX_DIR"] = str(onnx_dir)
    return onnx_dir


@pytest.fixture(scope="session")
def settings_factory(tmp_path_factory):
    from grounded.settings import Settings

    def make(**overrides) -> Settings:
        home = overrides.pop("home", None) or tmp_path_factory.mktemp("home")
        overrides.setdefault("generator", {"backend": "extractive"})
        return Settings(home=home, **overrides)

    return make


@pytest.fixture(scope="session")
def components(settings_factory):
    from grounded.app import Components

    c = Components(settings_factory())
    yield c
    c.close()


@pytest.fixture(scope="session")
def demo_collection(components) -> str:
    report = components.ingestor().sync("demo", DEMO)
    assert not report.failed, report.failed
    return "demo"


SMALL_CORPUS = [
    "policies/remote-work.md",
    "company/company-overview.md",
    "office/rotterdam-office.txt",
    "engineering/on-call-rota.html",
    "products/hx200-datasheet.pdf",
    "hr/onboarding-guide.docx",
]


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable copy of six demo documents, one or two per format."""
    dst = tmp_path / "corpus"
    for rel in SMALL_CORPUS:
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(DEMO / rel, dst / rel)
    return dst


SMALL_GOLDEN_IDS = ("g010", "g011", "g018", "g019", "g028", "g029", "g031", "g032", "g040", "g049", "g057")


@pytest.fixture
def worse_build() -> dict:
    """Index settings that measurably hurt: 32-token chunks embedded through a 16-token window."""
    return {"chunk": {"max_tokens": 32, "overlap_tokens": 0}, "embed": {"max_seq_length": 16}}


@pytest.fixture
def small_golden(tmp_path, corpus_copy) -> Path:
    """An eval dataset over `corpus_copy`: the golden questions about those six documents plus two off-topic."""
    import json

    root = tmp_path / "small-golden"
    root.mkdir()
    (root / "corpus").symlink_to(corpus_copy)
    lines = (REPO / "data" / "golden" / "questions.jsonl").read_text().splitlines()
    keep = [line for line in lines if line.strip() and json.loads(line)["id"] in SMALL_GOLDEN_IDS]
    (root / "questions.jsonl").write_text("\n".join(keep) + "\n")
    return root
