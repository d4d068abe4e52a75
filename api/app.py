"""`create_app(settings)`: the FastAPI service. The lifespan builds the heavy `Components` once (embedder and,
for the local backend, the LLM load at start-up, not inside a request), starts the job worker, and closes both
at shutdown. Middlewares, outermost first: metrics, audit, guard (key and body limits), idempotency."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

import grounded
from grounded.api.audit import AuditLog, AuditMiddleware
from grounded.api.auth import KeyStore
from grounded.api.errors import install_error_handlers
from grounded.api.guard import RequestGuard
from grounded.api.idempotency import IdempotencyMiddleware, IdempotencyStore
from grounded.api.jobs import JobRunner, JobStore, job_run
from grounded.api.metrics import Metrics, MetricsMiddleware
from grounded.api.openapi import document_errors
from grounded.api.presence import Presence
from grounded.api.routes import (
    chat, collections, documents, health, jobs, keys, openai_compat, traces, ui, variants, verify, versions,
)
from grounded.app import Components
from grounded.settings import Settings
from grounded.traces import TraceStore
from grounded.retrieval.generators.base import GeneratorError

log = logging.getLogger("grounded.api")

ROUTERS = (
    chat.router, openai_compat.router, collections.router, documents.router,
    jobs.router, keys.router, traces.router, health.router, versions.router, variants.router, verify.router,
)


def _warm_up(components: Components) -> None:
    _ = components.answers  # loads the embedder and builds the answer service
    try:
        components.generator.warm_up()
    except GeneratorError as exc:
        log.warning("generator unavailable, answers fall back to extractive: %s", exc)


def _cache_stats(components: Components) -> dict:
    answer, embedding = components.caches
    return {"answer": answer.stats(), "embedding": embedding.stats()} if answer is not None else {}


HOUSEKEEPING_EVERY_S = 3600


async def _housekeeping(app: FastAPI, settings: Settings) -> None:
    """Prune traces past `api.retention_days` and expired idempotency records, at start and then hourly."""
    while True:
        traces = app.state.traces.prune(settings.api.retention_days * 86400)
        records = app.state.idempotency.prune()
        if traces or records:
            log.info("pruned %d trace(s) and %d idempotency record(s)", traces, records)
        await asyncio.sleep(HOUSEKEEPING_EVERY_S)


def create_app(settings: Settings, components: Components | None = None, url: str | None = None) -> FastAPI:
    """`components` given (tests, embedding apps) stay owned by the caller and are not closed here. While the app
    runs it owns GROUNDED_HOME (api/presence.py); `url` is where local CLI commands reach it."""
    key_store = KeyStore(settings.home / "keys.json", settings.admin_key)
    if not key_store.has_admin_key:
        log.warning("no admin key: set GROUNDED_ADMIN_KEY to create API keys")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        presence = Presence(settings.home, url)
        key_store.allow_local(presence.info.token)
        housekeeping = asyncio.create_task(_housekeeping(app, settings))
        app.state.components = components or Components(settings)
        app.state.jobs = JobRunner(
            JobStore(settings.home / "jobs.sqlite3"), job_run(app.state.components), settings.api.job_workers
        )
        app.state.metrics.watch_caches(lambda: _cache_stats(app.state.components))
        try:
            _warm_up(app.state.components)
            yield
        finally:
            housekeeping.cancel()
            app.state.jobs.close()
            if components is None:
                app.state.components.close()
            key_store.allow_local(None)
            presence.close()

    app = FastAPIOffline(  # Swagger UI and ReDoc from the fastapi-offline package's files, not a CDN
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
    ui.install(app)
    document_errors(app)
    app.state.idempotency = IdempotencyStore(settings.home / "idempotency")
    app.add_middleware(IdempotencyMiddleware, store=app.state.idempotency, keys=key_store)
    app.add_middleware(
        RequestGuard, keys=key_store,
        max_json_bytes=settings.api.max_json_kb * 1024, max_upload_bytes=settings.api.max_upload_mb * 1024 * 1024,
    )
    app.add_middleware(AuditMiddleware, log=AuditLog(settings.home / "audit.log"), keys=key_store)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app
