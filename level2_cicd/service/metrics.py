"""Prometheus metrics of the service, in a registry of its own (one per app).

With several worker processes (`--workers N`), ``PROMETHEUS_MULTIPROC_DIR`` is set before the
workers start: every process writes its values there and one scrape of any worker adds up all of
them (prometheus-client's multiprocess mode). Gauges say how processes combine: the served
version per live worker, the log's health as the worst worker's.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess

from level2_cicd.service.asgi import ASGIApp, Message, Receive, Scope, Send
from shared.schema import LABEL_COLUMN


class ServiceMetrics:
    """The service's metrics, by what they watch: HTTP, the served models, the predictions, the log."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._http()
        self._models()
        self._predictions()
        self._log()

    def _http(self) -> None:
        self.requests = Counter(
            "http_requests_total", "HTTP requests by path and status.", ["path", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Request latency by path.",
            ["path"],
            buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )

    def _models(self) -> None:
        self.model_version = Gauge(
            "model_version",
            "Registry version of the served model.",
            registry=self.registry,
            multiprocess_mode="liveall",
        )
        self.challenger_version = Gauge(
            "challenger_version",
            "Registry version of the challenger under a live test (A/B or shadow); absent without one.",
            registry=self.registry,
            multiprocess_mode="liveall",
        )

    def _predictions(self) -> None:
        self.predictions = Counter(
            "predictions_total",
            "Predictions answered, by predicted class and the variant that answered (champion or challenger).",
            ["prediction", "variant"],
            registry=self.registry,
        )
        self.shadow_predictions = Counter(
            "shadow_predictions_total",
            "The challenger's shadow predictions (logged, never answered), by predicted class.",
            ["prediction"],
            registry=self.registry,
        )
        self.rejected_rows = Counter(
            "rejected_rows_total",
            "Request rows refused for breaking the schema, by field and rule.",
            ["field", "rule"],
            registry=self.registry,
        )
        self.labels_refused = Counter(
            "labels_refused_total",
            "Labels refused at /feedback by reason (conflict, too_old, unknown).",
            ["reason"],
            registry=self.registry,
        )
        self.probability = Histogram(
            "prediction_probability",
            f"Distribution of predicted probabilities of {LABEL_COLUMN}, by variant (champion, challenger, shadow).",
            ["variant"],
            buckets=tuple(round(0.1 * i, 1) for i in range(1, 11)),
            registry=self.registry,
        )

    def _log(self) -> None:
        self.log_dropped_rows = Counter(
            "prediction_log_dropped_rows_total",
            "Rows the prediction log could not write after retries.",
            registry=self.registry,
        )
        self.log_healthy = Gauge(
            "prediction_log_healthy",
            "1 while the prediction log stores what it is given, else 0.",
            registry=self.registry,
            multiprocess_mode="livemin",
        )


def scrape_registry(metrics: ServiceMetrics) -> CollectorRegistry:
    """What one scrape returns: this process's registry, or every worker's values in multiprocess mode."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return metrics.registry

    _forget_dead_workers(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def _forget_dead_workers(folder: str) -> None:
    """A worker that died (killed, crashed) leaves its live gauges behind while uvicorn starts another: drop them,
    or a scrape shows a ghost worker serving a version."""
    for path in Path(folder).glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, folder)
        except PermissionError:  # alive, another user's
            continue


class MetricsMiddleware:
    """Pure ASGI middleware (no per-request task overhead) counting requests and timing them."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics, known_paths: frozenset[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.known_paths = known_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def record_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            path = scope["path"] if scope["path"] in self.known_paths else "other"  # bounded label values
            self.metrics.requests.labels(path, str(status["code"])).inc()
            self.metrics.latency.labels(path).observe(time.perf_counter() - start)
