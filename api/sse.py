"""Server-Sent Events: framing, and a response whose stream has been run up to its first item."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TypeVar

from starlette.responses import StreamingResponse

T = TypeVar("T")


def frame(data: str, event: str | None = None) -> str:
    lines = [f"event: {event}"] if event else []
    lines += [f"data: {line}" for line in data.splitlines() or [""]]
    return "\n".join(lines) + "\n\n"


def primed(items: Iterator[T]) -> Iterator[T]:
    """Produce the first item now, while a failure (store down, access denied) can still be a proper HTTP
    status; later failures become an `error` event inside the 200 stream."""
    first = next(items, None)
    return iter(()) if first is None else itertools.chain([first], items)


def sse_response(frames: Iterator[str]) -> StreamingResponse:
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(frames, media_type="text/event-stream", headers=headers)
