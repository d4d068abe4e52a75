"""Prometheus metrics with one registry per app: HTTP requests and latency by route, answers by status,
generator fallbacks and tokens. `MetricsMiddleware` times every request, streamed ones to their last byte."""

from __future__ import annotations

import threading
import time

from collections.abc import Callable, Mapping

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from starlette.types import ASGIApp, Receive, Scope, Send

from grounded.api.asgi import ResponseWatch, route_of
from grounded.contracts import Answer, AnswerStatus
from grounded.retrieval.cache import CacheStats

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "grounded_http_requests", "HTTP requests", ["route", "method", "status"], registry=r
        )
        self.latency = Histogram(
            "grounded_http_request_duration_seconds", "HTTP request latency", ["route", "method"],
            buckets=LATENCY_BUCKETS, registry=r,
        )
        self.answers = Counter("grounded_answers", "Answers by status", ["status"], registry=r)
        self.variants = Counter(
            "grounded_answers_by_variant", "Answers by answer profile (canary routing) and status",
            ["variant", "status"], registry=r,
        )
        self.fallbacks = Counter(
            "grounded_generator_fallbacks", "Answers where the configured generator was not used", registry=r
        )
        self.tokens = Counter("grounded_generator_tokens", "Generator tokens", ["kind"], registry=r)
        self.calls = Counter("grounded_generator_calls", "Generator calls, fallbacks included", registry=r)
        self.cost = Counter("grounded_answer_cost", "Cost of all answers (configured price per 1k tokens)", registry=r)
        self.cost_per_request = Gauge("grounded_cost_per_request", "Mean cost per answered request", registry=r)
        self.cost_per_success = Gauge(
            "grounded_cost_per_successful_answer", "Total cost divided by answers with status answered or partial",
            registry=r,
        )
        self._requests = self._successes = 0
        self._cost = 0.0
        self._lock = threading.Lock()
        for status in AnswerStatus:
            self.answers.labels(status=status.value)
        for kind in ("prompt", "completion"):
            self.tokens.labels(kind=kind)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route=route, method=method, status=str(status)).inc()
        self.latency.labels(route=route, method=method).observe(seconds)

    def observe_answer(self, answer: Answer) -> None:
        self.answers.labels(status=answer.status.value).inc()
        self.variants.labels(variant=answer.versions.variant or "default", status=answer.status.value).inc()
        if answer.fallback:
            self.fallbacks.inc()
        self.tokens.labels(kind="prompt").inc(answer.usage.prompt_tokens)
        self.tokens.labels(kind="completion").inc(answer.usage.completion_tokens)
        self.calls.inc(answer.usage.llm_calls)
        self.cost.inc(answer.usage.cost)
        with self._lock:
            self._requests += 1
            self._successes += answer.status in (AnswerStatus.ANSWERED, AnswerStatus.PARTIAL)
            self._cost += answer.usage.cost
            self.cost_per_request.set(self._cost / self._requests)
            self.cost_per_success.set(self._cost / self._successes if self._successes else 0.0)

    def watch_caches(self, stats: Callable[[], Mapping[str, CacheStats]]) -> None:
        """Export the caches' own counters at scrape time (they count inside the answer path)."""
        self.registry.register(_CacheCollector(stats))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _CacheCollector:
    def __init__(self, stats: Callable[[], Mapping[str, CacheStats]]) -> None:
        self._stats = stats

    def collect(self):
        hits = CounterMetricFamily("grounded_cache_hits", "Cache hits", labels=["cache"])
        misses = CounterMetricFamily("grounded_cache_misses", "Cache misses", labels=["cache"])
        ratio = GaugeMetricFamily("grounded_cache_hit_ratio", "Hits / lookups since start", labels=["cache"])
        for name, s in self._stats().items():
            hits.add_metric([name], s.hits)
            misses.add_metric([name], s.misses)
            ratio.add_metric([name], s.hit_rate)
        return [hits, misses, ratio]


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        def done(status: int) -> None:
            route = route_of(scope)[0]
            self.metrics.observe_request(route, scope["method"], status, time.perf_counter() - started)

        watch = ResponseWatch(send, done)
        try:
            await self.app(scope, receive, watch.send)
        finally:
            watch.finish()
