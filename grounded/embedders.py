"""One loaded embedder per distinct embedding setting, so an index version built with other settings (another
model folder, another sequence length) is queried with the embedder it was built with."""

from __future__ import annotations

import threading
from pathlib import Path

from grounded.embedder import Embedder
from grounded.settings import EmbedSettings


class EmbedderPool:
    def __init__(self, settings: EmbedSettings, default: Embedder) -> None:
        self._settings, self._default = settings, default
        self._loaded: dict[tuple[str | None, int], Embedder] = {self._key(settings): default}
        self._lock = threading.Lock()

    @staticmethod
    def _key(settings: EmbedSettings) -> tuple[str | None, int]:
        return (str(settings.model_path) if settings.model_path else None, settings.max_seq_length)

    def settings_for(self, build_embed: dict | None) -> EmbedSettings:
        """The running embed settings with a version's recorded `build['embed']` laid over them."""
        if not build_embed:
            return self._settings
        model_path = build_embed.get("model_path")
        return self._settings.model_copy(update={
            "model_path": Path(model_path) if model_path else None,
            "max_seq_length": build_embed.get("max_seq_length", self._settings.max_seq_length),
        })

    def get(self, build_embed: dict | None) -> Embedder:
        settings = self.settings_for(build_embed)
        key = self._key(settings)
        with self._lock:
            if key not in self._loaded:
                self._loaded[key] = Embedder(settings)
            return self._loaded[key]
