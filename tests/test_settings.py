"""Settings precedence: explicit overrides > GROUNDED_* env (nested with __) > YAML profile > defaults; a missing
or invalid profile is an error the CLI can print."""

from __future__ import annotations

import pytest

from grounded.settings import GeneratorBackend, load_settings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No GROUNDED_* from the caller's shell; load_settings() sets GROUNDED_PROFILE, and teardown removes it."""
    for key in ("GROUNDED_PROFILE", "GROUNDED_HOME", "GROUNDED_GENERATOR__BACKEND", "GROUNDED_RETRIEVAL__TOP_K"):
        monkeypatch.setenv(key, "")  # records the caller's value (or its absence) for teardown
        monkeypatch.delenv(key)


def test_profile_env_and_overrides_stack_in_order(tmp_path, monkeypatch):
    profile = tmp_path / "p.yaml"
    profile.write_text("home: /from/profile\nretrieval: {top_k: 7}\ngenerator: {backend: openai}\n")
    monkeypatch.setenv("GROUNDED_GENERATOR__BACKEND", "extractive")
    s = load_settings(profile, home=tmp_path)
    assert (s.home, s.retrieval.top_k, s.generator.backend) == (tmp_path, 7, GeneratorBackend.EXTRACTIVE)


def test_a_missing_profile_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="profile not found"):
        load_settings(tmp_path / "nope.yaml")


def test_an_invalid_value_is_a_value_error(monkeypatch):
    monkeypatch.setenv("GROUNDED_GENERATOR__BACKEND", "no-such-backend")
    with pytest.raises(ValueError):
        load_settings()


def test_derived_folders_live_under_home(tmp_path):
    s = load_settings(home=tmp_path)
    assert (s.collections_dir, s.traces_dir, s.models_dir) == (tmp_path / "collections", tmp_path / "traces",
                                                                tmp_path / "models")
