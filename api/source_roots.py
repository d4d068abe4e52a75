"""`source_path` confinement: a collection's server-side source must lie inside one of `api.source_roots` (and
never inside GROUNDED_HOME, which holds the keys and the store), and responses show it relative to that root,
never as an absolute server path."""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException, status

from grounded.settings import Settings


def _roots(settings: Settings) -> list[Path]:
    return [root.resolve() for root in settings.api.source_roots]


def allowed_source(settings: Settings, given: str, field: str = "source_path") -> Path:
    """The resolved path for a requested server path (absolute, or relative to the first root), or a 422 naming
    the request's `field`."""
    roots = _roots(settings)
    if not roots:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"{field}: server paths are disabled on this server: an operator lists allowed folders in api.source_roots "
            "(GROUNDED_API__SOURCE_ROOTS); upload files instead",
        )
    candidate = Path(given)
    resolved = (candidate if candidate.is_absolute() else roots[0] / candidate).resolve()
    home = settings.home.resolve()
    if resolved.is_relative_to(home) or not any(resolved.is_relative_to(root) for root in roots):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"{field} must lie inside one of the allowed source roots (api.source_roots), outside GROUNDED_HOME",
        )
    if not resolved.exists():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{field} not found on the server: {given}")
    return resolved


def inside_roots(settings: Settings, stored: str) -> Path | None:
    """A stored source path if it lies inside an allowed root (re-ingest reads only those), else None."""
    resolved = Path(stored).resolve()
    return resolved if any(resolved.is_relative_to(root) for root in _roots(settings)) else None


def public_source(settings: Settings, stored: str | None) -> str | None:
    """What a response shows of a stored source path: relative to its root; None if unset or outside every root."""
    if not stored:
        return None
    resolved = Path(stored).resolve()
    for root in _roots(settings):
        if resolved.is_relative_to(root):
            return resolved.relative_to(root).as_posix()
    return None
