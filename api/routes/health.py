"""Probes and metrics, without a key: `/healthz` (process up), `/readyz` (store and generator), `/metrics`."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse

from grounded.api.deps import ComponentsDep, MetricsDep, SettingsDep
from grounded.api.schemas import Health, Readiness, ReadyState
from grounded.app import Components
from grounded.store import StoreUnavailable

router = APIRouter(tags=["health"])


def generator_problem(components: Components) -> str | None:
    """None when the generator can answer, else why not (each backend knows its own readiness)."""
    try:
        generator = components.generator
    except (ValueError, RuntimeError) as exc:
        return f"generator not configured: {exc}"
    return generator.readiness()


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
        ready.reason = generator_problem(components)
    except StoreUnavailable as exc:
        ready.reason = f"store unavailable: {exc}"
    if ready.reason is None:
        return ready
    ready.status = ReadyState.UNAVAILABLE
    return JSONResponse(ready.model_dump(mode="json"), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)


@router.get("/metrics", response_class=Response)
def metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.render(), media_type=metrics.content_type)
