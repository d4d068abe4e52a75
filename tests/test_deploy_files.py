"""The deploy files, checked without a Docker engine: compose wiring (services, env names that exist in
`grounded.settings`, ports, volumes, the `llm` profile) and the Dockerfile (CPU torch first, CMD)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from pydantic import BaseModel

from grounded.settings import GeneratorBackend, Settings

REPO = Path(__file__).resolve().parents[1]
_VAR = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    """Instructions, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}` against `env`."""
    def sub(m: re.Match) -> str:
        name, op, arg = m.groups()
        if name in env:
            return env[name]
        assert op != "?", f"${{{name}}} is required"
        return arg or ""

    return _VAR.sub(sub, value)


def is_settings_env(name: str) -> bool:
    """`GROUNDED_GENERATOR__BASE_URL` -> Settings.generator.base_url exists."""
    if not name.startswith("GROUNDED_"):
        return False
    model: type[BaseModel] = Settings
    parts = name.removeprefix("GROUNDED_").lower().split("__")
    for i, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            return False
        if i < len(parts) - 1:
            if not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
                return False
            model = field.annotation
    return True


def container_ports(service: dict) -> set[int]:
    return {int(str(p).split(":")[-1].split("/")[0]) for p in service.get("ports", [])}


def test_services_and_profiles(compose):
    services = compose["services"]
    assert {"qdrant", "api", "llm"} <= services.keys()
    assert services["qdrant"]["image"].startswith("qdrant/qdrant:")
    assert services["api"]["build"] == "."
    assert "profiles" not in services["api"] and "profiles" not in services["qdrant"]
    assert services["llm"]["profiles"] == ["llm"]
    assert "qdrant" in services["api"]["depends_on"]


def test_every_grounded_env_var_is_a_setting(compose):
    names = [n for svc in compose["services"].values() for n in svc.get("environment", {}) if n.startswith("GROUNDED")]
    assert names
    assert [n for n in names if not is_settings_env(n)] == []


def test_api_is_wired_to_qdrant_and_keeps_its_state(compose):
    services = compose["services"]
    env = services["api"]["environment"]
    qdrant = urlparse(env["GROUNDED_QDRANT_URL"])
    assert (qdrant.hostname, qdrant.port) == ("qdrant", 6333)
    assert 6333 in container_ports(services["qdrant"])
    assert any(str(v).endswith(":/qdrant/storage") for v in services["qdrant"]["volumes"])
    assert "${GROUNDED_ADMIN_KEY" in env["GROUNDED_ADMIN_KEY"]  # from the caller's environment, never inline
    with pytest.raises(AssertionError):
        interpolate(env["GROUNDED_ADMIN_KEY"], {})  # and required
    assert Settings.model_fields["api"].default.port in container_ports(services["api"])
    home = env["GROUNDED_HOME"]
    assert any(str(v).split(":")[1] == home for v in services["api"]["volumes"])
    mounts = [str(v) for s in services.values() for v in s.get("volumes", [])]
    named = {m.split(":")[0] for m in mounts if not m.startswith(".")}
    assert named <= set(compose["volumes"])
    assert all(p.startswith("127.0.0.1:") for s in services.values() for p in s.get("ports", []))


def test_llm_profile_serves_the_openai_backend(compose):
    services = compose["services"]
    env = services["api"]["environment"]
    base = urlparse(env["GROUNDED_GENERATOR__BASE_URL"])
    assert base.hostname == "llm" and base.path == "/v1"
    assert base.port in container_ports(services["llm"])
    assert str(base.port) in services["llm"]["command"]
    switched = interpolate(env["GROUNDED_GENERATOR__BACKEND"], {"GROUNDED_GENERATOR__BACKEND": "openai"})
    assert GeneratorBackend(switched) is GeneratorBackend.OPENAI
    assert GeneratorBackend(interpolate(env["GROUNDED_GENERATOR__BACKEND"], {})) in GeneratorBackend


def test_dockerfile_installs_cpu_torch_first_and_serves_on_all_interfaces(dockerfile, compose):
    assert dockerfile[0] == "FROM python:3.11-slim"
    runs = [line for line in dockerfile if line.startswith("RUN ")]
    torch_at = next(i for i, r in enumerate(runs) if "torch==2.13.0" in r and "download.pytorch.org/whl/cpu" in r)
    project_at = next(i for i, r in enumerate(runs) if re.search(r"pip install (--\S+ \S+ )*\.(\s|$)", r))
    assert torch_at < project_at
    assert "--constraint" in runs[project_at]
    cmd = next(line for line in dockerfile if line.startswith("CMD "))
    assert json.loads(cmd[4:]) == ["grounded", "serve", "--host", "0.0.0.0"]
    assert f"EXPOSE {Settings.model_fields['api'].default.port}" in dockerfile
    env = " ".join(line[4:] for line in dockerfile if line.startswith("ENV "))
    assert dict(kv.split("=", 1) for kv in shlex.split(env))["GROUNDED_HOME"] == (
        compose["services"]["api"]["environment"]["GROUNDED_HOME"]
    )


def test_dockerignore_keeps_the_context_small():
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".grounded", "tests/"} <= ignored
