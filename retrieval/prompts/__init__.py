"""Versioned prompt files: a prompt is changed by adding a new file, so every trace names the one it used."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from grounded.settings import PromptForm

__all__ = ["NO_ANSWER", "PROMPTS", "PROMPT_VERSION", "PromptForm", "system_prompt"]

NO_ANSWER = "NO_ANSWER"

PROMPTS = {PromptForm.TEXT: "grounded_v2", PromptForm.JSON: "grounded_json_v3"}
PROMPT_VERSION = PROMPTS[PromptForm.JSON]


@cache
def system_prompt(version: str = PROMPT_VERSION) -> str:
    return files(__package__).joinpath(f"{version}.txt").read_text(encoding="utf-8").strip()
