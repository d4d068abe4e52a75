"""Failures the service knows -> an HTTP status with a message (and a log line); anything else -> a logged 500
that reveals nothing. Streams use `describe` for their `error` event once the headers are gone.

Every error body has one shape, `ErrorBody`: `{"detail": "<message>"}`; validation errors add `errors`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from grounded.api.schemas import ErrorBody
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


def error_response(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(ErrorBody(detail=detail).model_dump(exclude_none=True), status_code=status, headers=headers)


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    log_failure(exc, f"{request.method} {request.url.path}")
    status, message = describe(exc)
    return error_response(status, message)


def _where(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    """A 422 whose `detail` is one readable line; `errors` keeps pydantic's list (without echoing the input)."""
    errors = [{k: v for k, v in e.items() if k not in ("input", "url")} for e in exc.errors()]
    detail = "; ".join(f"{_where(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}" for e in errors[:5])
    body = ErrorBody(detail=detail or "invalid request", errors=jsonable_encoder(errors))
    return JSONResponse(body.model_dump(), status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid)
    for cls, _ in KNOWN:
        app.add_exception_handler(cls, _handle)
    app.add_exception_handler(Exception, _handle)
