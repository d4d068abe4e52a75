"""Answer profiles behind flags: a named profile fixes the prompt version, the generator and the retrieval
settings; a collection (or an API key) sends a share of its requests to a canary profile, chosen by a stable
hash of the conversation (or user) id so one conversation never flips between variants; a kill switch (the
setting, or the file `GROUNDED_HOME/variants-off`, which takes effect without a restart) sends everything back."""

from __future__ import annotations

import hashlib
from pathlib import Path

from grounded.settings import AnswerProfile, GeneratorSettings, RetrievalSettings, Settings, VariantSettings


class UnknownProfile(KeyError):
    def __str__(self) -> str:
        return f"unknown answer profile: {self.args[0]}"

DEFAULT_PROFILE = "default"
KILL_SWITCH_FILE = "variants-off"


def profile_settings(settings: Settings, profile: AnswerProfile) -> tuple[GeneratorSettings, RetrievalSettings]:
    """The profile's generator and retrieval settings, validated like the settings they override."""
    return (
        GeneratorSettings.model_validate({**settings.generator.model_dump(), **profile.generator}),
        RetrievalSettings.model_validate({**settings.retrieval.model_dump(), **profile.retrieval}),
    )


def bucket(route_key: str, stable_id: str) -> float:
    """A uniform number in [0, 1) that is the same for the same conversation on every replica and restart."""
    digest = hashlib.sha256(f"{route_key}\x00{stable_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class VariantRouter:
    def __init__(self, variants: VariantSettings, home: Path) -> None:
        self.variants = variants
        self._kill_file = home / KILL_SWITCH_FILE

    def killed(self) -> bool:
        return self.variants.kill_switch or self._kill_file.exists()

    def set_kill_switch(self, on: bool) -> None:
        if on:
            self._kill_file.parent.mkdir(parents=True, exist_ok=True)
            self._kill_file.touch()
        else:
            self._kill_file.unlink(missing_ok=True)

    def route(self, collection: str, stable_id: str | None, key_id: str | None = None) -> str:
        """The profile for this request; without a stable id nothing is routed to a canary."""
        if stable_id is None or self.killed():
            return DEFAULT_PROFILE
        for route_key in (f"key:{key_id}" if key_id else None, collection):
            route = self.variants.canary.get(route_key) if route_key else None
            if route is not None:
                return route.profile if bucket(route_key, stable_id) < route.share else DEFAULT_PROFILE
        return DEFAULT_PROFILE
