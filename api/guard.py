"""The request guard (ASGI, outside the idempotency layer). Under `/v1/`: a request without a valid key reaches its
route with an empty body, so the route's key check refuses it (401) before a byte of the real body is read;
bodies are bounded while they stream in (JSON: `api.max_json_kb`, uploads: `api.max_upload_mb`); a JSON body
holding a lone surrogate (valid JSON, but no UTF-8 can encode it) is a 422 here, before any route, store or
trace tries to encode it."""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from grounded.api.asgi import bearer_secret, header
from grounded.api.auth import KeyStore
from grounded.api.errors import error_response

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_UPLOAD_PATH = re.compile(r"^/v1/collections/[^/]+/documents/?$")


class BodyTooLarge(Exception):
    pass


def is_upload(scope: Scope) -> bool:
    return scope["method"] == "POST" and bool(_UPLOAD_PATH.match(scope["path"]))


def lone_surrogate(value) -> bool:
    """True if any string in the decoded JSON value cannot be encoded as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class RequestGuard:
    def __init__(self, app: ASGIApp, keys: KeyStore, max_json_bytes: int, max_upload_bytes: int) -> None:
        self.app, self.keys = app, keys
        self.max_json_bytes, self.max_upload_bytes = max_json_bytes, max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        secret = bearer_secret(scope)
        if secret is None or self.keys.authenticate(secret) is None:
            await self.app(scope, _replay(b"", receive), send)  # the route answers 401 (audited and counted by name)
            return
        if scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        upload = is_upload(scope)
        limit = self.max_upload_bytes if upload else self.max_json_bytes
        what = f"{limit // (1024 * 1024)} MB per upload request" if upload else f"{limit // 1024} KB per JSON body"
        too_large = error_response(413, f"request body too large: the limit is {what}")
        declared = header(scope, "content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await too_large(scope, receive, send)
            return
        if upload:
            await self._stream(scope, receive, send, limit, too_large)
            return
        try:
            body = await _read_all(receive, limit)
        except BodyTooLarge:
            await too_large(scope, receive, send)
            return
        if "json" in (header(scope, "content-type") or "") and _has_lone_surrogate(body):
            detail = "the JSON body holds a lone surrogate (an unpaired \\ud800-\\udfff escape); send valid Unicode"
            await error_response(422, detail)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _stream(self, scope: Scope, receive: Receive, send: Send, limit: int, too_large) -> None:
        """Pass the body through, counting; past the limit answer 413 and tell the app the client left."""
        seen, refused, started = 0, False, False

        async def counted() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                refused = True
                if not started:
                    await too_large(scope, receive, send)
                return {"type": "http.disconnect"}
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out already
            started = True
            await send(message)

        await self.app(scope, counted, watched)


def _has_lone_surrogate(body: bytes) -> bool:
    if b"\\u" not in body:
        return False
    try:
        return lone_surrogate(json.loads(body))
    except ValueError:
        return False  # malformed JSON: the route's validation answers 422


async def _read_all(receive: Receive, limit: int) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body.extend(message.get("body", b""))
        if len(body) > limit:
            raise BodyTooLarge
        if not message.get("more_body", False):
            break
    return bytes(body)


def _replay(body: bytes, receive: Receive) -> Receive:
    """`body` as the whole request, then the real channel (a streaming response listens on it for a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
