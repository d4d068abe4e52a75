"""Probes and metrics, without a key: `/healthz` (process up), `/readyz` (store and generator), `/metrics`."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse

from grounded.api.deps import ComponentsDep, MetricsDep, SettingsDep
from grounded.api.schemas import Health, Readiness, ReadyState
from grounded.app import Components
from grounded.settings import GeneratorBackend, Settings
from grounded.store import StoreUnavailable

router = APIRouter(tags=["health"])

PROBE_TIMEOUT_S = 2.0


def generator_problem(settings: Settings, components: Components) -> str | None:
    """None when the generator can answer: extractive always; local once its object exists (the model
    starts at app start-up or on first use); openai when its server answers on /models."""
    g = settings.generator
    if g.backend is GeneratorBackend.EXTRACTIVE:
        return None
    try:
        _ = components.generator
    except (ValueError, RuntimeError) as exc:
        return f"generator not configured: {exc}"
    if g.backend is GeneratorBackend.LOCAL:
        return None
    try:
        headers = {"Authorization": f"Bearer {g.api_key.get_secret_value()}"}
        httpx.get(f"{(g.base_url or '').rstrip('/')}/models", headers=headers, timeout=PROBE_TIMEOUT_S)
    except httpx.HTTPError as exc:
        return f"generator server unreachable at {g.base_url}: {type(exc).__name__}"
    return None


@router.get("/healthz")
def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "store or generator unavailable"}},
)
def readyz(settings: SettingsDep, components: ComponentsDep) -> Readiness | JSONResponse:
    ready = Readiness(status=ReadyState.READY, store=components.store.kind, generator=settings.generator.backend)
    try:
        components.store.ping()
        ready.reason = generator_problem(settings, components)
    except StoreUnavailable as exc:
        ready.reason = f"store unavailable: {exc}"
    if ready.reason is None:
        return ready
    ready.status = ReadyState.UNAVAILABLE
    return JSONResponse(ready.model_dump(mode="json"), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)


@router.get("/metrics", response_class=Response)
def metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.render(), media_type=metrics.content_type)
