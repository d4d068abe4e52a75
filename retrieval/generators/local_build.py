"""Build the embedded llama.cpp runtime (the `xllamacpp` package) for this CPU.

The PyPI wheel is a baseline AVX2 build. On a CPU with AVX-512 the same version built from its source reads prompts
1.4x faster (103 vs 74 tok/s for the 1.5B; a source build with the wheel's AVX2 flags reads 74, so the gain is the
instruction set; docs/results.md, issue 8, fourth round), and reading the prompt is most of an answer's time.

The flags come from /proc/cpuinfo, never from `-march=native`: CPUs of this machine family report AMX, but AMX
instructions crash (SIGILL on the first multi-token prompt; shared/NOTES.md), so AMX stays off whatever the CPU
says. A fresh build must then answer a multi-token prompt in a child process before it is kept; if it cannot, the
prebuilt wheel is put back. Nothing here runs at import or at serve time: `grounded runtime build` runs it once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from enum import StrEnum
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pydantic import BaseModel, Field

PACKAGE = "xllamacpp"

_ISA_FLAGS: list[tuple[str, tuple[str, ...]]] = [  # ggml's CMake option -> the cpuinfo flags it needs
    ("GGML_SSE42", ("sse4_2",)),
    ("GGML_AVX", ("avx",)),
    ("GGML_AVX2", ("avx2",)),
    ("GGML_FMA", ("fma",)),
    ("GGML_F16C", ("f16c",)),
    ("GGML_BMI2", ("bmi2",)),
    ("GGML_AVX_VNNI", ("avx_vnni",)),
    ("GGML_AVX512", ("avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw")),
    ("GGML_AVX512_VBMI", ("avx512vbmi",)),
    ("GGML_AVX512_VNNI", ("avx512_vnni",)),
    ("GGML_AVX512_BF16", ("avx512_bf16",)),
]
_ALWAYS = [
    "-DGGML_NATIVE=OFF",
    "-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF",  # reported here, but they crash
    "-DLLAMA_LLGUIDANCE=OFF",  # its Rust build fetches crates; llama.cpp's own JSON-schema grammars are used
    "-DLLAMA_OPENSSL=OFF", "-DLLAMA_BUILD_BORINGSSL=OFF",  # the server listens on loopback only
    "-DLLAMA_USE_PREBUILT_UI=OFF", "-DLLAMA_BUILD_UI=OFF",
    "-DCMAKE_BUILD_TYPE=Release",
]
_TOOLS = ("cmake", "c++", "cc", "make")


class Verdict(StrEnum):
    BUILD = "build"
    ALREADY = "already"
    NO_GAIN = "no_gain"
    MISSING_TOOLS = "missing_tools"


class BuildPlan(BaseModel):
    verdict: Verdict
    reason: str
    version: str
    cmake_args: list[str]


class BuildResult(BaseModel):
    built: bool
    seconds: float
    system_info: str
    log: Path
    error: str | None = None
    restored: bool | None = Field(
        default=None, description="after a failed build: whether the prebuilt wheel was put back and answers")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cmake_args(flags: set[str]) -> list[str]:
    """Every instruction-set option the CPU supports, AMX and `-march=native` never."""
    return [f"-D{opt}={'ON' if all(f in flags for f in need) else 'OFF'}" for opt, need in _ISA_FLAGS] + _ALWAYS


def installed_version() -> str:
    try:
        return version(PACKAGE)
    except PackageNotFoundError:
        raise RuntimeError(f"{PACKAGE} is not installed: pip install -e .") from None


def system_info() -> str:
    """llama.cpp's own line of the instruction sets it was built with ("AVX512 = 1 | ...")."""
    import xllamacpp

    return " ".join(xllamacpp.get_system_info().split())


def plan(flags: set[str] | None = None, force: bool = False) -> BuildPlan:
    args = cmake_args(cpu_flags() if flags is None else flags)
    current = installed_version()  # first: a missing package is named before anything imports it
    verdict, reason = _verdict(args, force)
    return BuildPlan(verdict=verdict, reason=reason, version=current, cmake_args=args)


def _verdict(args: list[str], force: bool) -> tuple[Verdict, str]:
    if "-DGGML_AVX512=ON" not in args:
        return Verdict.NO_GAIN, "this CPU has no AVX-512: the prebuilt AVX2 wheel is already the right build"
    if not force and "AVX512 = 1" in system_info():
        return Verdict.ALREADY, "the installed runtime is already built with AVX-512"
    missing = [t for t in _TOOLS if shutil.which(t) is None]
    if missing:
        return Verdict.MISSING_TOOLS, (f"building needs {', '.join(missing)} (Debian: apt-get install -y "
                                       "build-essential cmake); the prebuilt AVX2 runtime stays")
    return Verdict.BUILD, "this CPU has AVX-512: a build from source reads prompts about 1.4x faster"


def build(build_plan: BuildPlan, log: Path, model: Path) -> BuildResult:
    """Compile the installed version from its source with the plan's flags, then keep it only if it answers a
    multi-token prompt with `model` in a child process; otherwise reinstall the prebuilt wheel."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    env = {**os.environ, "CMAKE_ARGS": " ".join(build_plan.cmake_args), "XLLAMACPP_RELEASE": "1"}
    compiled = _pip(["--no-binary", PACKAGE], build_plan.version, log, env)
    error = None if compiled else f"the build failed (see {log})"
    info = _smoke(model, log) if compiled else None
    if compiled and info is None:
        error = f"the new build could not answer a prompt (see {log})"
    restored = None
    if error:
        reinstalled = _pip(["--only-binary", PACKAGE], build_plan.version, log, os.environ.copy())
        info = _smoke(model, log) if reinstalled else None
        restored = info is not None
    return BuildResult(built=error is None, seconds=round(time.monotonic() - started, 1), system_info=info or "",
                       log=log, error=error, restored=restored)


def _pip(choice: list[str], pinned: str, log: Path, env: dict[str, str]) -> bool:
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--force-reinstall", "--no-cache-dir", *choice,
           f"{PACKAGE}=={pinned}"]
    with log.open("a") as out:
        out.write(f"\n$ CMAKE_ARGS='{env.get('CMAKE_ARGS', '')}' {' '.join(cmd)}\n")
        out.flush()
        return subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env).returncode == 0


_SMOKE = """
import json, sys
from grounded.retrieval.generators.local_build import system_info
from grounded.retrieval.generators.local_runtime import LocalLLMServer
with LocalLLMServer(sys.argv[1], n_ctx=1024, n_threads=2) as server:
    reply = server.openai_client(timeout=120).chat.completions.create(
        model=server.model_name, max_tokens=8, temperature=0,
        messages=[{"role": "user", "content": "Reply with the one word that ends this list: north, east, south,"}],
    )
print(json.dumps({"system_info": system_info(), "reply": reply.choices[0].message.content}))
"""


def _smoke(model: Path, log: Path) -> str | None:
    """The runtime's system info if it loads `model` and answers a multi-token prompt in a child process."""
    try:
        run = subprocess.run([sys.executable, "-c", _SMOKE, str(model)], capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        with log.open("a") as out:
            out.write("\n$ smoke test: no answer within 600 s\n")
        return None
    with log.open("a") as out:
        out.write(f"\n$ smoke test: exit {run.returncode}\n{run.stdout}{run.stderr[-4000:]}\n")
    if run.returncode != 0 or not run.stdout.strip():
        return None
    result = json.loads(run.stdout.strip().splitlines()[-1])
    return result["system_info"] if result["reply"].strip() else None
