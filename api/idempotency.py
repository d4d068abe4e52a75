"""`Idempotency-Key` on mutating requests: a retry with the same key from the same caller gets the first result
(status and body) and the work is done once.

Records are keyed by (key id, method, path, Idempotency-Key) and kept for a day under
`GROUNDED_HOME/idempotency/`. A retry that arrives while the first request is still running waits for it
(one lock per record). Responses marked `Cache-Control: no-store` (a new API key's secret) are remembered in
memory only, never written to disk. 5xx results are not remembered: the retry runs again.

A record also keeps a fingerprint of the request body: the same key sent with another body is a 422, not a
replay of the first result. Records are private files (0600); `prune` deletes the expired ones.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import time
import weakref
from pathlib import Path

from pydantic import BaseModel
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from grounded.api.asgi import bearer_secret, header, is_mutation, request_state, route_of
from grounded.api.auth import KeyStore
from grounded.api.errors import error_response
from grounded.traces import prune_older_than, write_private

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255
TTL_S = 24 * 3600


class StoredResponse(BaseModel):
    status: int
    content_type: str | None
    body_b64: str
    route_path: str
    route_name: str
    stored_at: float
    body_sha256: str | None = None  # None: the route answered without reading the whole body

    def response(self) -> Response:
        headers = {"idempotent-replayed": "true"}
        if self.content_type:
            headers["content-type"] = self.content_type
        return Response(base64.b64decode(self.body_b64), status_code=self.status, headers=headers)


class IdempotencyStore:
    def __init__(self, root: Path) -> None:
        self._root = root
        self._root.mkdir(parents=True, exist_ok=True)
        self._memory: dict[str, StoredResponse] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @staticmethod
    def record_key(key_id: str, method: str, path: str, idempotency_key: str) -> str:
        return hashlib.sha256(json.dumps([key_id, method, path, idempotency_key]).encode()).hexdigest()

    def lock(self, record: str) -> asyncio.Lock:
        lock = self._locks.get(record)
        if lock is None:
            lock = self._locks[record] = asyncio.Lock()
        return lock

    def load(self, record: str) -> StoredResponse | None:
        stored = self._memory.get(record)
        path = self._root / f"{record}.json"
        if stored is None and path.is_file():
            stored = StoredResponse.model_validate_json(path.read_bytes())
        if stored is None or time.time() - stored.stored_at > TTL_S:
            return None
        return stored

    def save(self, record: str, stored: StoredResponse, to_disk: bool) -> None:
        if not to_disk:
            self._memory[record] = stored
            return
        write_private(self._root / f"{record}.json", stored.model_dump_json())

    def prune(self) -> int:
        return prune_older_than(self._root, "*.json", TTL_S)


class BodyFingerprint:
    """sha256 of a request body as it streams. A multipart boundary is random per request, so it is left out:
    the same files sent again match."""

    def __init__(self, scope: Scope) -> None:
        content_type = header(scope, "content-type") or ""
        found = re.search(r'boundary="?([^";]+)"?', content_type) if "multipart/" in content_type else None
        self._boundary = found.group(1).encode("latin-1") if found else b""
        self._hash = hashlib.sha256()
        self._carry = b""
        self.complete = False

    def update(self, message: Message) -> None:
        if message["type"] != "http.request" or self.complete:
            return
        last = not message.get("more_body", False)
        data = self._carry + message.get("body", b"")
        if self._boundary:
            data = data.replace(self._boundary, b"")
        keep = 0 if last or not self._boundary else len(self._boundary) - 1  # a boundary may span two messages
        self._hash.update(data[: len(data) - keep])
        self._carry = data[len(data) - keep:]
        self.complete = last

    def hexdigest(self) -> str | None:
        return self._hash.hexdigest() if self.complete else None

    async def drain(self, receive: Receive) -> str | None:
        """Read (and drop) the rest of the body, returning its fingerprint."""
        while not self.complete:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            self.update(message)
        return self.hexdigest()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, store: IdempotencyStore, keys: KeyStore) -> None:
        self.app, self.store, self.keys = app, store, keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = header(scope, HEADER) if scope["type"] == "http" and is_mutation(scope) else None
        secret = bearer_secret(scope) if given is not None else None
        principal = self.keys.authenticate(secret) if secret else None
        if given is None or principal is None:  # no key, or an unauthenticated call the route will refuse
            await self.app(scope, receive, send)
            return
        if not 0 < len(given) <= MAX_KEY_LENGTH:
            detail = f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters"
            await JSONResponse({"detail": detail}, status_code=400)(scope, receive, send)
            return
        record = self.store.record_key(principal.key_id, scope["method"], scope["path"], given)
        async with self.store.lock(record):
            stored = self.store.load(record)
            if stored is not None:
                sent = await BodyFingerprint(scope).drain(receive)
                if stored.body_sha256 and sent != stored.body_sha256:
                    detail = "this Idempotency-Key was used with a different request body; use a new key"
                    await error_response(422, detail)(scope, receive, send)
                    return
                request_state(scope).update(route_path=stored.route_path, route_name=stored.route_name, replayed=True)
                await stored.response()(scope, receive, send)
                return
            await self._run_and_store(scope, receive, send, record)

    async def _run_and_store(self, scope: Scope, receive: Receive, send: Send, record: str) -> None:
        start: Message | None = None
        body = bytearray()
        fingerprint = BodyFingerprint(scope)

        async def fingerprinted() -> Message:
            message = await receive()
            fingerprint.update(message)
            return message

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            await send(message)

        await self.app(scope, fingerprinted, capture)
        if start is None or start["status"] >= 500:
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start.get("headers", [])}
        route_path, route_name = route_of(scope)
        self.store.save(
            record,
            StoredResponse(
                status=start["status"],
                content_type=headers.get("content-type"),
                body_b64=base64.b64encode(bytes(body)).decode(),
                route_path=route_path,
                route_name=route_name,
                stored_at=time.time(),
                body_sha256=fingerprint.hexdigest(),
            ),
            to_disk="no-store" not in headers.get("cache-control", ""),
        )
