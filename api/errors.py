"""Failures the service knows -> an HTTP status with a message (and a log line); anything else -> a logged 500
that reveals nothing. Streams use `describe` for their `error` event once the headers are gone."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from grounded.store import CollectionNotFound, StoreUnavailable, VersionError
from grounded.ingest.sync import EmbedderMismatch
from grounded.retrieval.generators.base import GeneratorError
from grounded.retrieval.search import AccessDenied

log = logging.getLogger("grounded.api")

KNOWN: tuple[tuple[type[Exception], int], ...] = (
    (CollectionNotFound, 404),
    (AccessDenied, 403),
    (EmbedderMismatch, 409),
    (VersionError, 409),
    (StoreUnavailable, 503),
    (GeneratorError, 503),
)


def describe(exc: Exception) -> tuple[int, str]:
    for cls, status in KNOWN:
        if isinstance(exc, cls):
            return status, str(exc)
    return 500, "internal error; the server log has the details"


def log_failure(exc: Exception, where: str) -> None:
    status, message = describe(exc)
    if status == 500:
        log.error("%s failed", where, exc_info=exc)
    elif status == 503:
        log.warning("%s: dependency unavailable: %s", where, message)


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    log_failure(exc, f"{request.method} {request.url.path}")
    status, message = describe(exc)
    return JSONResponse({"detail": message}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    for cls, _ in KNOWN:
        app.add_exception_handler(cls, _handle)
    app.add_exception_handler(Exception, _handle)
