"""Embedder backends: int8 ONNX next to torch fp32, token-packed batches, the checksum-verified export, and the
variant recorded in the index (a query never mixes variants with the index)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from grounded.embedder import EmbedderMismatch, open_embedder, pack_batches
from grounded.onnx_model import MANIFEST, MODEL_FILE, ensure_onnx_int8
from grounded.settings import EmbedSettings

from tests.conftest import SMALL_CORPUS

TEXTS = [
    "How long is an RMA number valid?",
    "Expense reports must be submitted within 30 days of the end of the trip.",
    "The on-call engineer acknowledges a page within 15 minutes, day or night. " * 30,  # past the 256 window
    "Oslo",
]


@pytest.fixture(scope="module")
def onnx(components):
    return components.embedder


@pytest.mark.unit
def test_pack_batches_bounds_padding_and_keeps_every_index():
    lengths = [5, 256, 12, 12, 100, 7, 256, 3]
    batches = pack_batches(lengths, batch_tokens=300, max_batch=3)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert len(b) <= 3 and len(b) * max(lengths[i] for i in b) <= max(300, max(lengths[i] for i in b))
    assert [lengths[b[0]] for b in batches] == sorted((lengths[b[0]] for b in batches), reverse=True)


def test_default_is_onnx_int8_and_close_to_torch(onnx, tmp_path):
    assert onnx.variant.value == "onnx-int8" and onnx.dimension == 384
    fp32 = open_embedder(EmbedSettings(backend="torch"), tmp_path)
    got, want = onnx.embed(TEXTS), fp32.embed(TEXTS)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-3)
    assert float(np.min(np.sum(got * want, axis=1))) > 0.97
    # Packing reorders texts internally; each row must still belong to its own text. (Dynamic int8 scales
    # activations per batch, so a text's vector moves slightly with its batch-mates: cosine, not equality.)
    one_by_one = np.stack([onnx.embed([t])[0] for t in TEXTS])
    same = np.sum(got * one_by_one, axis=1)
    assert float(np.min(same)) > 0.98 and np.all(same > (got @ one_by_one.T - np.eye(len(TEXTS))).max(axis=1))
    assert onnx.embed([]).shape == (0, 384)


def test_batches_run_in_parallel_give_each_text_its_own_vector(onnx, shared_onnx_export, tmp_path):
    texts = [f"{t} (variant {i})" for i, t in enumerate(TEXTS * 6)]
    small = dict(batch_tokens=300, batch_size=4, onnx_dir=shared_onnx_export)  # many batches per call
    serial = open_embedder(EmbedSettings(parallel_batches=1, **small), tmp_path)
    parallel = open_embedder(EmbedSettings(parallel_batches=3, **small), tmp_path)
    assert parallel.parallel_batches == 3 and len(pack_batches(parallel.token_lengths(texts), 300, 4)) > 3
    # the same batches either way, so the same numbers; a row written to another text's slot would differ
    assert np.array_equal(parallel.embed(texts), serial.embed(texts))
    assert open_embedder(EmbedSettings(onnx_dir=shared_onnx_export), tmp_path).parallel_batches == len(
        os.sched_getaffinity(0))


def test_export_is_checksum_verified_and_redone_when_corrupt(onnx, tmp_path):
    copy = tmp_path / "export"
    shutil.copytree(onnx.onnx_file.parent, copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    with (copy / MODEL_FILE).open("r+b") as fh:  # flip bytes in the middle of the weights
        fh.seek(len(fh.read()) // 2)
        fh.write(b"\x00corrupt\x00")
    model = ensure_onnx_int8(onnx.model_path, copy, onnx.max_seq_length)
    assert json.loads((copy / MANIFEST).read_text())["model_sha256"] != "" and model.is_file()
    from grounded.onnx_model import sha256_file

    assert sha256_file(model) == json.loads((copy / MANIFEST).read_text())["model_sha256"]
    assert manifest["source_sha256"] == json.loads((copy / MANIFEST).read_text())["source_sha256"]


def test_each_index_version_keeps_its_variant_and_ingest_never_mixes(tmp_path, corpus_copy, settings_factory):
    from grounded.app import Components
    from grounded.evals.promotion import reindex

    home = tmp_path / "home"
    built = Components(settings_factory(home=home, embed={"backend": "torch"}))
    try:
        assert not built.ingestor().sync("docs", corpus_copy).failed
    finally:
        built.close()

    env = {**os.environ, "GROUNDED_HOME": str(home), "GROUNDED_GENERATOR__BACKEND": "extractive"}
    res = subprocess.run([sys.executable, "-m", "grounded.cli", "ingest", str(corpus_copy), "-c", "docs"],
                         capture_output=True, text=True, env=env, timeout=600)  # the default backend, onnx-int8
    assert res.returncode == 2 and "Traceback" not in res.stderr  # never extended with other vectors
    assert "grounded reindex docs" in " ".join(res.stderr.split()) and "torch" in res.stderr

    default = Components(settings_factory(home=home))
    try:
        v1 = default.store.resolve("docs")
        info = default.store.get_collection("docs")
        assert info.embed_variant.value == "torch" and info.index.build["embed"]["backend"] == "torch"
        searcher = default.answers.searcher
        assert searcher.embedder_for(v1).variant.value == "torch"  # queried with the variant that built it
        assert searcher.search("docs", "How many employees does Halvorsen Instruments have?")

        report = reindex(default, "docs")  # rebuilt beside v1 with the configured onnx-int8
        default.store.promote("docs", report.version)
        v2 = default.store.resolve("docs")
        assert v2 != v1 and report.build["embed"]["backend"] == "onnx-int8"
        assert searcher.embedder_for(v2).variant.value == "onnx-int8" and searcher.embedder_for(v2) is default.embedder
        assert searcher.embedder_for(v1).variant.value == "torch"  # the rollback target keeps its own
        assert searcher.search("docs", "How many employees does Halvorsen Instruments have?")
        again = default.ingestor().sync("docs", corpus_copy)
        assert not again.failed and again.unchanged == len(SMALL_CORPUS)
    finally:
        default.close()


def test_searcher_refuses_a_collection_built_by_another_variant(components, demo_collection):
    """Without an embedder pool (one fixed embedder) an index of another variant is an error, not a silent mix."""
    from grounded.retrieval.search import Searcher

    info = components.store.get_collection(demo_collection)
    assert info.embed_variant.value == "onnx-int8" and info.index.build["embed"]["backend"] == "onnx-int8"
    legacy_build = {**info.index.build, "embed": {k: v for k, v in info.index.build["embed"].items() if k != "backend"}}
    legacy = info.model_copy(update={"embed_variant": None,  # as if built before variants were recorded: torch
                                     "index": info.index.model_copy(update={"build": legacy_build})})
    components.store.update_collection(legacy)
    try:
        searcher = Searcher(components.store, components.embedder, components.sparse, components.settings.retrieval)
        with pytest.raises(EmbedderMismatch, match="reindex"):
            searcher.search(demo_collection, "How long is an RMA number valid?")
    finally:
        components.store.update_collection(info)
