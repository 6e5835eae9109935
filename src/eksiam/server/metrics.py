"""Prometheus metrics for the AWS endpoint: request counts and latency by service, operation, code.

Each app owns its registry (never the process-global one), so several servers in one process, as in
tests, keep separate counts. Labelled children are cached: ``labels()`` costs a lock and a dict lookup
per call, and the hot path should pay that once per label combination.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._requests = Counter(
            "eksiam_aws_requests",
            "AWS API requests answered, by service, operation and result code (OK for success).",
            ("service", "operation", "code"),
            registry=self.registry,
        )
        self._latency = Histogram(
            "eksiam_aws_request_duration_seconds",
            "Time from the last body byte received to the response written.",
            ("service", "operation"),
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self._counters: dict[tuple[str, str, str], Counter] = {}
        self._histograms: dict[tuple[str, str], Histogram] = {}

    def observe(self, service: str, operation: str, code: str, seconds: float) -> None:
        counter = self._counters.get((service, operation, code))
        if counter is None:
            counter = self._counters[(service, operation, code)] = self._requests.labels(
                service, operation, code
            )
        counter.inc()
        histogram = self._histograms.get((service, operation))
        if histogram is None:
            histogram = self._histograms[(service, operation)] = self._latency.labels(service, operation)
        histogram.observe(seconds)

    def render(self) -> bytes:
        return bytes(generate_latest(self.registry))
