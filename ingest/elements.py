"""What every format reader produces before layout: raw elements, or a ParseError for the one document."""

from __future__ import annotations

from dataclasses import dataclass

from grounded.contracts import ElementKind


class ParseError(ValueError):
    """The document cannot be read; the message says why, and only this document fails."""


@dataclass
class RawElement:
    kind: ElementKind
    text: str
    depth: int | None = None  # heading level for titles (0 = top)
    page: int | None = None
