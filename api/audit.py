"""Append-only audit log (`GROUNDED_HOME/audit.log`, JSON lines) of every mutating or admin request.

Entries say who (the key presented: id, name, role), what (method, path, action), when and the result
(status). They never hold a secret: request and response bodies are not logged. The file is private (0600).
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from grounded.api.asgi import ResponseWatch, bearer_secret, is_mutation, request_state, route_of
from grounded.api.auth import KeyStore
from grounded.contracts import utcnow


class AuditEntry(BaseModel):
    at: datetime
    key_id: str | None
    key_name: str | None
    role: str | None
    method: str
    path: str
    action: str
    status: int
    replayed: bool = False


class AuditLog:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        if self._path.exists():
            self._path.chmod(0o600)  # written world-readable by earlier versions

    def write(self, entry: AuditEntry) -> None:
        line = entry.model_dump_json() + "\n"
        with self._lock:
            fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(line)


def _audited(scope: Scope) -> bool:
    return is_mutation(scope) or scope["path"].startswith("/v1/keys")


class AuditMiddleware:
    def __init__(self, app: ASGIApp, log: AuditLog, keys: KeyStore) -> None:
        self.app, self.log, self.keys = app, log, keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _audited(scope):
            await self.app(scope, receive, send)
            return
        watch = ResponseWatch(send, lambda status: self._record(scope, status))
        try:
            await self.app(scope, receive, watch.send)
        finally:
            watch.finish()

    def _record(self, scope: Scope, status: int) -> None:
        secret = bearer_secret(scope)
        who = self.keys.authenticate(secret) if secret else None
        self.log.write(
            AuditEntry(
                at=utcnow(),
                key_id=who.key_id if who else None,
                key_name=who.name if who else None,
                role=who.role.value if who else None,
                method=scope["method"],
                path=scope["path"],
                action=route_of(scope)[1],
                status=status,
                replayed=bool(request_state(scope).get("replayed")),
            )
        )
