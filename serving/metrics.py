"""Prometheus metrics: requests by route and status, latency, and which model is served.

gunicorn runs several worker processes behind one port, and a scrape reaches
one of them at random; prometheus_client's multiprocess mode (files in
``PROMETHEUS_MULTIPROC_DIR``, which ``gunicorn_conf`` creates before anything
imports prometheus_client) sums them so every scrape sees the whole task.
Without that variable (tests, a single process) a per-app registry is used.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from serving.model_loading import ServedModel

#: Sub-millisecond to a second: a single-row prediction is ~1 ms, a batch more.
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class ServingMetrics:
    """The server's metrics; ``observe`` is on the hot path, so label children are cached."""

    def __init__(self, model: ServedModel, task_id: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "drydock_requests",
            "HTTP requests answered, by route template, method and status code.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "drydock_request_duration_seconds",
            "Time from request start to response, by route template.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.model_info = Gauge(
            "drydock_model_info",
            "The model this task serves (value is always 1).",
            ["name", "version", "sklearn_version", "task_id"],
            registry=self.registry,
            multiprocess_mode="max",
        )
        self.model_info.labels(model.name, model.version, model.sklearn_version, task_id).set(1)
        self._counters: dict[tuple[str, str, int], Counter] = {}
        self._histograms: dict[str, Histogram] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = self.requests.labels(route, method, str(status))
        counter.inc()
        histogram = self._histograms.get(route)
        if histogram is None:
            histogram = self._histograms[route] = self.latency.labels(route)
        histogram.observe(seconds)

    def exposition(self) -> tuple[bytes, str]:
        """The text format body and its content type, across all workers when multiprocess."""
        directory = multiprocess_dir()
        if directory:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=directory)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
