"""Small helpers shared by the pure-ASGI middlewares (metrics, audit, idempotency)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.types import Message, Scope, Send

READ_ONLY_POSTS = frozenset({"/v1/chat", "/v1/chat/completions"})
"""POST endpoints that only read (questions): neither audited nor idempotency-keyed."""

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_mutation(scope: Scope) -> bool:
    return scope["method"] in MUTATING_METHODS and scope["path"].rstrip("/") not in READ_ONLY_POSTS


def header(scope: Scope, name: str) -> str | None:
    wanted = name.lower().encode()
    for key, value in scope.get("headers", []):
        if key == wanted:
            return value.decode("latin-1")
    return None


def bearer_secret(scope: Scope) -> str | None:
    value = header(scope, "authorization")
    if value is None:
        return None
    scheme, _, secret = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip() or None


def request_state(scope: Scope) -> dict[str, Any]:
    """The dict behind `request.state`: dependencies and middlewares leave notes for each other in it."""
    return scope.setdefault("state", {})


def route_of(scope: Scope) -> tuple[str, str]:
    """(path template, route name) of the matched route, or of the replayed one; 'unmatched' otherwise."""
    route = scope.get("route")
    if route is not None:
        return getattr(route, "path", "unmatched"), getattr(route, "name", "unmatched")
    state = scope.get("state", {})
    return state.get("route_path", "unmatched"), state.get("route_name", "unmatched")


class ResponseWatch:
    """Wraps `send`: notes the status and calls `done(status)` once, just before the last body message leaves (so
    a client that reads the effect after its response sees it), or from `finish()` if no response went out."""

    def __init__(self, send: Send, done: Callable[[int], None]) -> None:
        self._send, self._done = send, done
        self.status = 500
        self._called = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            self.finish()
        await self._send(message)

    def finish(self) -> None:
        if not self._called:
            self._called = True
            self._done(self.status)
