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
from opentelemetry.trace import Span, Status, StatusCode
from pydantic import BaseModel

TRACER_NAME = "grounded"
ENDPOINT_VARS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")

AttributeValue = str | bool | int | float

_lock = threading.Lock()
_tracer: trace.Tracer | None = None
_provider = None  # Grounded's own TracerProvider, when it exports itself


def _tracer_from_env() -> trace.Tracer:
    if not any(os.environ.get(name) for name in ENDPOINT_VARS):
        return trace.get_tracer(TRACER_NAME)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    return _own_provider(BatchSpanProcessor(OTLPSpanExporter())).get_tracer(TRACER_NAME)


def _own_provider(processor):
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    global _provider
    service = os.environ.get("OTEL_SERVICE_NAME", "grounded")
    _provider = TracerProvider(resource=Resource.create({"service.name": service}))
    _provider.add_span_processor(processor)
    return _provider


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


def flush(timeout_ms: int = 5000) -> None:
    """Export the spans still buffered (at shutdown, or before reading what an exporter received)."""
    if _provider is not None:
        _provider.force_flush(timeout_ms)


def reset() -> None:
    """Flush and forget the configured tracer: the next span reads the environment again."""
    global _tracer, _provider
    with _lock:
        if _provider is not None:
            _provider.shutdown()
        _tracer = _provider = None


def version_attributes(versions: BaseModel | Mapping[str, str]) -> dict[str, str]:
    """`Versions` (or a dict of them) as `grounded.version.<name>` attributes."""
    items = versions.items() if isinstance(versions, Mapping) else versions.model_dump().items()
    return {f"grounded.version.{name}": str(value) for name, value in items if value is not None}


@contextmanager
def span(
    name: str, attributes: Mapping[str, AttributeValue] | None = None, parent: Span | None = None
) -> Iterator[Span]:
    """A span around the block, a child of `parent` (else of the current span). It is not made the current span:
    the answer pipeline is a generator that a server resumes in other threads and contexts, where attaching and
    detaching a context would fail. An exception is recorded on the span and marks it as an error; a consumer
    closing the stream early (GeneratorExit) does not."""
    context = trace.set_span_in_context(parent) if parent is not None else None
    current = tracer().start_span(name, context=context, attributes=dict(attributes or {}))
    try:
        yield current
    except GeneratorExit:
        raise
    except BaseException as exc:
        current.record_exception(exc)
        current.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        raise
    finally:
        current.end()


def record_span(
    name: str, start_ns: int, end_ns: int, attributes: Mapping[str, AttributeValue] | None = None,
    parent: Span | None = None, error: str | None = None,
) -> None:
    """A span for work timed elsewhere (a parse in a worker process), with its measured wall-clock start and end;
    `error` marks it failed."""
    context = trace.set_span_in_context(parent) if parent is not None else None
    done = tracer().start_span(name, context=context, attributes=dict(attributes or {}), start_time=start_ns)
    if error is not None:
        done.set_status(Status(StatusCode.ERROR, error[:200]))
    done.end(end_time=end_ns)
