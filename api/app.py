"""`create_app(settings)`: the FastAPI service. The lifespan builds the heavy `Components` once (embedder and,
for the local backend, the LLM load at start-up, not inside a request), starts the job worker, and closes both
at shutdown. Middlewares, outermost first: metrics, audit, idempotency."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

import grounded
from grounded.api.audit import AuditLog, AuditMiddleware
from grounded.api.auth import KeyStore
from grounded.api.errors import install_error_handlers
from grounded.api.idempotency import IdempotencyMiddleware, IdempotencyStore
from grounded.api.jobs import JobRunner
from grounded.api.metrics import Metrics, MetricsMiddleware
from grounded.api.routes import chat, collections, documents, health, jobs, keys, openai_compat, traces
from grounded.app import Components
from grounded.settings import Settings
from grounded.traces import TraceStore
from grounded.retrieval.generators.base import GeneratorError

log = logging.getLogger("grounded.api")

ROUTERS = (
    chat.router, openai_compat.router, collections.router, documents.router,
    jobs.router, keys.router, traces.router, health.router,
)


def _warm_up(components: Components) -> None:
    _ = components.answers  # loads the embedder and builds the answer service
    try:
        components.generator.warm_up()
    except GeneratorError as exc:
        log.warning("generator unavailable, answers fall back to extractive: %s", exc)


def create_app(settings: Settings, components: Components | None = None) -> FastAPI:
    """`components` given (tests, embedding apps) stay owned by the caller and are not closed here."""
    key_store = KeyStore(settings.home / "keys.json", settings.admin_key)
    if not key_store.has_admin_key:
        log.warning("no admin key: set GROUNDED_ADMIN_KEY to create API keys")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.components = components or Components(settings)
        app.state.jobs = JobRunner()
        try:
            _warm_up(app.state.components)
            yield
        finally:
            app.state.jobs.close()
            if components is None:
                app.state.components.close()

    app = FastAPI(
        title="Grounded",
        summary="Answers only from your documents, cites the exact passages, says when they do not hold the answer.",
        version=grounded.__version__,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.keys = key_store
    app.state.metrics = Metrics()
    app.state.traces = TraceStore(settings.traces_dir)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(IdempotencyMiddleware, store=IdempotencyStore(settings.home / "idempotency"), keys=key_store)
    app.add_middleware(AuditMiddleware, log=AuditLog(settings.home / "audit.log"), keys=key_store)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app
