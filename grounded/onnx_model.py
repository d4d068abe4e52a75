"""The int8 ONNX MiniLM: exported from the shipped sentence-transformers folder and quantised once, offline,
checksum-verified on every load, and run with onnxruntime.

Why not sentence-transformers' own ONNX backend: `sentence-transformers[onnx]` needs optimum-onnx, which pins
transformers < 4.58 (we ship 5.x), so the same two steps it wraps are called directly: `torch.onnx.export` and
onnxruntime's `quantize_dynamic` (int8 weights, per channel: optimum's "avx512_vnni" preset).

The model is exported with eager attention: the SDPA export wraps every attention in NaN guards (`IsNaN`/`Where`,
15% of the int8 graph's time), the eager one is plain MatMul/Softmax (13% less CPU per word piece at the same
cosine to torch, docs/results.md issue 12, third round). The graph includes mean pooling and L2 normalisation, so
its output is the sentence embedding itself. The result
lands in a folder with `export.json` (sha256 of the int8 file and of the source weights); `ensure_onnx_int8`
verifies both on every load and re-exports when either disagrees.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
from pydantic import BaseModel

log = logging.getLogger(__name__)

MODEL_FILE = "model_qint8.onnx"
MANIFEST = "export.json"
EXPORT_FORMAT = 2
"""2: eager attention (1: SDPA). A folder of another format is exported again on load."""
PROBES = [
    "How long is an RMA number valid?",
    "Expense reports must be submitted within 30 days of the end of the trip.",
    "Mitochondrial dysfunction is associated with insulin resistance in skeletal muscle.",
]
MIN_PROBE_COSINE = 0.97
"""An export whose vectors drift further than this from the torch model on the probes is refused."""


class OnnxExportError(RuntimeError):
    """The int8 model could not be exported or does not match its checksum after a fresh export."""


class ExportManifest(BaseModel):
    format: int
    model_sha256: str
    source_sha256: str
    probe_min_cosine: float


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def source_weights(source: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (source / name).is_file():
            return source / name
    raise OnnxExportError(f"no model weights in {source}")


def _verified(target: Path, source_sha: str) -> bool:
    manifest_path, model = target / MANIFEST, target / MODEL_FILE
    if not manifest_path.is_file() or not model.is_file():
        return False
    try:
        manifest = ExportManifest.model_validate_json(manifest_path.read_text())
    except ValueError:
        return False
    return (
        manifest.format == EXPORT_FORMAT
        and manifest.source_sha256 == source_sha
        and manifest.model_sha256 == sha256_file(model)
    )


def ensure_onnx_int8(source: Path, target: Path, max_seq_length: int) -> Path:
    """The verified int8 model file under `target`, exported from `source` first if missing or not matching."""
    source_sha = sha256_file(source_weights(source))
    if _verified(target, source_sha):
        return target / MODEL_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be exporting the same model right now
        if _verified(target, source_sha):
            return target / MODEL_FILE
        if target.exists():
            log.warning("int8 ONNX model at %s is missing, stale or corrupt; exporting it again", target)
        _export(source, target, source_sha, max_seq_length)
    if not _verified(target, source_sha):
        raise OnnxExportError(f"the int8 ONNX model at {target} fails its checksum right after export")
    return target / MODEL_FILE


def _export(source: Path, target: Path, source_sha: str, max_seq_length: int) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from sentence_transformers import SentenceTransformer

    log.info("exporting %s to int8 ONNX in %s (once)", source, target)
    st = SentenceTransformer(str(source), device="cpu", local_files_only=True)
    st.max_seq_length = max_seq_length
    encoder = st[0].auto_model.eval()
    encoder.set_attn_implementation("eager")
    inputs = ["input_ids", "attention_mask", "token_type_ids"]
    sample = st.tokenizer(PROBES[:2], padding=True, return_tensors="pt")
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        fp32, int8 = work / "model_fp32.onnx", work / MODEL_FILE
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on a fixed graph are not the user's concern
            torch.onnx.export(
                _pooled_encoder(encoder),
                tuple(sample[k] for k in inputs),
                str(fp32),
                input_names=inputs,
                output_names=["sentence_embedding"],
                dynamic_axes={**{k: {0: "batch", 1: "tokens"} for k in inputs}, "sentence_embedding": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
        with _no_root_handler_installed():
            quantize_dynamic(
                str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, reduce_range=False,
                extra_options={"WeightSymmetric": True, "ActivationSymmetric": False},
            )
        fp32.unlink()
        probe = st.tokenizer(PROBES, padding=True, truncation=True, max_length=max_seq_length, return_tensors="np")
        got = onnx_forward(onnx_session(int8, threads=1), probe["input_ids"], probe["attention_mask"])
        want = st.encode(PROBES, normalize_embeddings=True, convert_to_numpy=True)
        cosine = float(np.min(np.sum(got * want, axis=1)))
        if cosine < MIN_PROBE_COSINE:
            raise OnnxExportError(f"int8 export drifted from the torch model (min cosine {cosine:.3f})")
        shutil.copy2(source / "tokenizer.json", work / "tokenizer.json")
        manifest = ExportManifest(
            format=EXPORT_FORMAT, model_sha256=sha256_file(int8), source_sha256=source_sha,
            probe_min_cosine=round(cosine, 4),
        )
        (work / MANIFEST).write_text(manifest.model_dump_json(indent=2))
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)  # readers see the whole folder or none of it
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def _no_root_handler_installed() -> Iterator[None]:
    """onnxruntime's quantizer calls `logging.warning()` on the root logger, which installs a stderr handler for
    the whole process when the root has none; a NullHandler meanwhile keeps its advice out of CLI output."""
    root, null = logging.getLogger(), logging.NullHandler()
    root.addHandler(null)
    try:
        yield
    finally:
        root.removeHandler(null)


def _pooled_encoder(model):
    """The transformer plus mean pooling and L2 normalisation, so the graph returns sentence embeddings."""
    import torch

    class PooledEncoder(torch.nn.Module):
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    return PooledEncoder(model)


def onnx_session(model_file: Path, threads: int):
    try:
        import onnxruntime as ort
    except ImportError as exc:  # an environment installed before the dependency was added
        raise OnnxExportError(
            "the onnx-int8 embedder needs onnxruntime and onnx (pip install -e .), or set GROUNDED_EMBED__BACKEND=torch"
        ) from exc

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])


def onnx_forward(session, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    return session.run(["sentence_embedding"], feeds)[0].astype(np.float32, copy=False)
