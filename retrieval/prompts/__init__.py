"""Versioned prompt files: a prompt is changed by adding a new file, so every trace names the one it used."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

PROMPT_VERSION = "grounded_v2"
NO_ANSWER = "NO_ANSWER"


@cache
def system_prompt(version: str = PROMPT_VERSION) -> str:
    return files(__package__).joinpath(f"{version}.txt").read_text(encoding="utf-8").strip()
