"""One loaded embedder per distinct embedding setting, so an index version built with other settings (another
model folder, another sequence length, another backend) is queried with the embedder it was built with."""

from __future__ import annotations

import threading
from pathlib import Path

from grounded.contracts import EmbedBackend
from grounded.embedder import Embedder, open_embedder
from grounded.settings import EmbedSettings

_Key = tuple[str | None, int, EmbedBackend]


class EmbedderPool:
    def __init__(self, settings: EmbedSettings, default: Embedder, models_dir: Path) -> None:
        self._settings, self._default, self._models_dir = settings, default, models_dir
        self._loaded: dict[_Key, Embedder] = {self._key(settings): default}
        self._lock = threading.Lock()

    @staticmethod
    def _key(settings: EmbedSettings) -> _Key:
        return (str(settings.model_path) if settings.model_path else None, settings.max_seq_length, settings.backend)

    def settings_for(self, build_embed: dict | None) -> EmbedSettings:
        """The running embed settings with a version's recorded `build['embed']` laid over them. A record without
        a backend was written before backends were recorded: those versions were embedded with torch."""
        if not build_embed:
            return self._settings
        model_path = build_embed.get("model_path")
        return self._settings.model_copy(update={
            "model_path": Path(model_path) if model_path else None,
            "max_seq_length": build_embed.get("max_seq_length", self._settings.max_seq_length),
            "backend": EmbedBackend(build_embed.get("backend", EmbedBackend.TORCH)),
        })

    def get(self, build_embed: dict | None) -> Embedder:
        settings = self.settings_for(build_embed)
        key = self._key(settings)
        with self._lock:
            if key not in self._loaded:
                self._loaded[key] = open_embedder(settings, self._models_dir)
            return self._loaded[key]
