"""Requests the assistant refuses before retrieval: attempts to extract its instructions or override them."""

from __future__ import annotations

import re

_PATTERNS = [
    r"\b(system|hidden|initial)\s+(prompt|instructions?|message)\b",
    r"\bignore\s+(all\s+)?(your\s+|the\s+)?(previous|prior|above)\s+instructions\b",
    r"\breveal\s+(your|the)\s+(prompt|instructions|rules)\b",
]
_INJECTION = re.compile("|".join(_PATTERNS), re.IGNORECASE)


def refusal_reason(question: str) -> str | None:
    if _INJECTION.search(question):
        return "the question asks for or tries to override the assistant's instructions"
    return None
