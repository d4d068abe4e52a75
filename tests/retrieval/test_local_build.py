"""`grounded runtime`: the llama.cpp build flags chosen from the CPU (AMX never, `-march=native` never), the
decision to build or not, the prebuilt wheel put back when a build fails, and `runtime info` on the real runtime."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from grounded.retrieval.generators import local_build
from grounded.retrieval.generators.local_build import Verdict

AVX512_CPU = set(
    "fpu sse4_2 avx avx2 fma f16c bmi2 avx512f avx512dq avx512cd avx512bw avx512vl avx512vbmi avx512_vnni "
    "avx512_bf16 amx_tile amx_int8 amx_bf16".split()
)
AVX2_CPU = set("fpu sse4_2 avx avx2 fma f16c bmi2".split())


@pytest.mark.unit
def test_an_avx512_cpu_gets_every_avx512_option_and_never_amx_or_native():
    args = local_build.cmake_args(AVX512_CPU)
    for on in ("GGML_AVX2", "GGML_AVX512", "GGML_AVX512_VNNI", "GGML_AVX512_VBMI", "GGML_AVX512_BF16"):
        assert f"-D{on}=ON" in args
    for off in ("GGML_NATIVE", "GGML_AMX_TILE", "GGML_AMX_INT8", "GGML_AMX_BF16", "LLAMA_LLGUIDANCE"):
        assert f"-D{off}=OFF" in args, "AMX is reported here but crashes; llguidance's build fetches crates"
    assert "-DGGML_AVX_VNNI=OFF" in args, "an option the CPU lacks is off"


@pytest.mark.unit
def test_avx512_needs_all_five_of_its_parts():
    assert "-DGGML_AVX512=OFF" in local_build.cmake_args(AVX512_CPU - {"avx512dq"})


@pytest.mark.unit
def test_a_cpu_without_avx512_keeps_the_prebuilt_wheel():
    plan = local_build.plan(AVX2_CPU)
    assert plan.verdict is Verdict.NO_GAIN and "AVX2 wheel" in plan.reason


@pytest.mark.unit
def test_an_avx512_cpu_is_built_for_unless_the_runtime_already_uses_it(monkeypatch):
    monkeypatch.setattr(local_build, "system_info", lambda: "CPU : AVX2 = 1 | FMA = 1 |")
    assert local_build.plan(AVX512_CPU).verdict is Verdict.BUILD
    monkeypatch.setattr(local_build, "system_info", lambda: "CPU : AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 |")
    assert local_build.plan(AVX512_CPU).verdict is Verdict.ALREADY
    assert local_build.plan(AVX512_CPU, force=True).verdict is Verdict.BUILD


@pytest.mark.unit
def test_missing_build_tools_are_named_and_nothing_is_built(monkeypatch):
    monkeypatch.setattr(local_build, "system_info", lambda: "CPU : AVX2 = 1 |")
    monkeypatch.setattr(local_build.shutil, "which", lambda tool: None if tool == "cmake" else f"/usr/bin/{tool}")
    plan = local_build.plan(AVX512_CPU)
    assert plan.verdict is Verdict.MISSING_TOOLS and "cmake" in plan.reason


@pytest.mark.unit
def test_a_failed_build_puts_the_prebuilt_wheel_back(monkeypatch, tmp_path):
    """Fault injected: the compile fails. The wheel is reinstalled and the result says why."""
    calls: list[list[str]] = []

    def pip(choice, pinned, log, env):
        calls.append(choice)
        return choice[0] == "--only-binary"

    monkeypatch.setattr(local_build, "_pip", pip)
    monkeypatch.setattr(local_build, "_smoke", lambda model, log: "CPU : AVX2 = 1 |")
    plan = local_build.BuildPlan(verdict=Verdict.BUILD, reason="", version="1.0", cmake_args=["-DGGML_AVX512=ON"])
    result = local_build.build(plan, tmp_path / "build.log", tmp_path / "model.gguf")
    assert calls == [["--no-binary", "xllamacpp"], ["--only-binary", "xllamacpp"]]
    assert not result.built and "build failed" in result.error and result.system_info == "CPU : AVX2 = 1 |"
    assert result.restored


@pytest.mark.unit
def test_a_wheel_that_cannot_be_put_back_is_reported(monkeypatch, tmp_path):
    """Faults injected: the compile fails and so does reinstalling the wheel; the result must not claim it is back."""
    monkeypatch.setattr(local_build, "_pip", lambda *a: False)
    monkeypatch.setattr(local_build, "_smoke", lambda model, log: pytest.fail("nothing installed to smoke-test"))
    plan = local_build.BuildPlan(verdict=Verdict.BUILD, reason="", version="1.0", cmake_args=[])
    result = local_build.build(plan, tmp_path / "build.log", tmp_path / "model.gguf")
    assert not result.built and result.restored is False and result.system_info == ""


@pytest.mark.unit
def test_a_build_that_cannot_answer_is_not_kept(monkeypatch, tmp_path):
    calls: list[list[str]] = []
    monkeypatch.setattr(local_build, "_pip", lambda choice, *a: calls.append(choice) or True)
    smoke = iter([None, "CPU : AVX2 = 1 |"])  # the new build crashes (SIGILL), the wheel answers
    monkeypatch.setattr(local_build, "_smoke", lambda model, log: next(smoke))
    plan = local_build.BuildPlan(verdict=Verdict.BUILD, reason="", version="1.0", cmake_args=[])
    result = local_build.build(plan, tmp_path / "build.log", tmp_path / "model.gguf")
    assert calls[-1] == ["--only-binary", "xllamacpp"]
    assert not result.built and "could not answer" in result.error and result.restored


def test_runtime_info_reports_the_installed_runtime(tmp_path):
    env = {**os.environ, "GROUNDED_HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "grounded.cli", "runtime", "info", "--json"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    info = json.loads(run.stdout)
    assert info["package"] == "xllamacpp" and "AVX2 = 1" in info["system_info"]
    assert info["build"] in {v.value for v in Verdict}
