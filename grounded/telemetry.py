"""OpenTelemetry spans: one per step of an answer and per phase of an ingest, with the answer contract's versions
as attributes.

Off by default: with no `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) the spans go to the global
tracer provider, which is a no-op unless the application embedding Grounded configured one. With the variable
set, Grounded exports its spans over OTLP/HTTP itself (the exporter reads the standard `OTEL_EXPORTER_OTLP_*`
variables; `OTEL_SERVICE_NAME` defaults to "grounded"). `use_exporter` routes them anywhere, e.g. in memory.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.trace import Span
from pydantic import BaseModel

TRACER_NAME = "grounded"
ENDPOINT_VARS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")

AttributeValue = str | bool | int | float

_lock = threading.Lock()
_tracer: trace.Tracer | None = None


def _tracer_from_env() -> trace.Tracer:
    if not any(os.environ.get(name) for name in ENDPOINT_VARS):
        return trace.get_tracer(TRACER_NAME)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    return _own_provider(BatchSpanProcessor(OTLPSpanExporter())).get_tracer(TRACER_NAME)


def _own_provider(processor):
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider(resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "grounded")}))
    provider.add_span_processor(processor)
    return provider


def tracer() -> trace.Tracer:
    global _tracer
    with _lock:
        if _tracer is None:
            _tracer = _tracer_from_env()
        return _tracer


def use_exporter(exporter) -> None:
    """Send Grounded's spans to `exporter` from now on, synchronously (tests use an in-memory exporter)."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    global _tracer
    with _lock:
        _tracer = _own_provider(SimpleSpanProcessor(exporter)).get_tracer(TRACER_NAME)


def reset() -> None:
    """Forget the configured tracer: the next span reads the environment again."""
    global _tracer
    with _lock:
        _tracer = None


def version_attributes(versions: BaseModel | Mapping[str, str]) -> dict[str, str]:
    """`Versions` (or a dict of them) as `grounded.version.<name>` attributes."""
    items = versions.items() if isinstance(versions, Mapping) else versions.model_dump().items()
    return {f"grounded.version.{name}": str(value) for name, value in items if value is not None}


@contextmanager
def span(name: str, attributes: Mapping[str, AttributeValue] | None = None) -> Iterator[Span]:
    """A span named `name` around the block (an exception is recorded on it and marks it as an error)."""
    with tracer().start_as_current_span(name, attributes=dict(attributes or {})) as current:
        yield current
