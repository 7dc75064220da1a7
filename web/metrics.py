"""A small Prometheus registry: request counters and latency histogram built in, plus
collectors and health sections other packages (the media plane) register at runtime."""

from __future__ import annotations

import inspect
import math
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass(frozen=True)
class MetricFamily:
    """One metric name with its samples; `kind` is "gauge" or "counter"."""

    name: str
    kind: str
    help: str
    samples: list[tuple[Mapping[str, str], float]] = field(default_factory=list)


Collector = Callable[[], Iterable[MetricFamily] | Awaitable[Iterable[MetricFamily]]]
HealthSection = Callable[[], Mapping[str, Any] | Awaitable[Mapping[str, Any]]]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items()) + "}"


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


async def _resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class Metrics:
    """Stored under `METRICS`; `add_collector` / `add_gauge` / `health_sections` extend it."""

    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self._buckets = buckets
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._latency: dict[str, list[int]] = {}
        self._latency_sum: dict[str, float] = defaultdict(float)
        self._collectors: list[Collector] = []
        self.health_sections: dict[str, HealthSection] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request and record its latency under its route pattern (not the raw path)."""
        self._requests[(method, route, str(status))] += 1
        counts = self._latency.setdefault(route, [0] * (len(self._buckets) + 1))
        for i, bound in enumerate(self._buckets):
            if seconds <= bound:
                counts[i] += 1
        counts[-1] += 1
        self._latency_sum[route] += seconds

    def add_collector(self, collector: Collector) -> None:
        """Register a (sync or async) callable returning MetricFamily objects at each scrape."""
        self._collectors.append(collector)

    def add_gauge(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        """Shorthand for a single unlabelled gauge read at scrape time."""
        self.add_collector(lambda: [MetricFamily(name, "gauge", help_text, [({}, read())])])

    def request_count(self, method: str, route: str, status: int) -> int:
        """How many requests were counted (for tests and health)."""
        return self._requests.get((method, route, str(status)), 0)

    async def health(self) -> dict[str, Any]:
        """Extra /health sections registered by other packages."""
        return {name: dict(await _resolve(section())) for name, section in self.health_sections.items()}

    async def render(self) -> str:
        """The Prometheus text exposition format (version 0.0.4)."""
        lines = [
            "# HELP hubbub_http_requests_total HTTP requests by method, route pattern and status.",
            "# TYPE hubbub_http_requests_total counter",
        ]
        for (method, route, status), n in sorted(self._requests.items()):
            lines.append(f"hubbub_http_requests_total{_labels({'method': method, 'route': route, 'status': status})} {n}")
        lines += [
            "# HELP hubbub_http_request_duration_seconds HTTP request latency by route pattern.",
            "# TYPE hubbub_http_request_duration_seconds histogram",
        ]
        for route, counts in sorted(self._latency.items()):
            for bound, n in zip((*self._buckets, math.inf), counts, strict=True):
                labels = _labels({"route": route, "le": _number(bound)})
                lines.append(f"hubbub_http_request_duration_seconds_bucket{labels} {n}")
            lines.append(f"hubbub_http_request_duration_seconds_sum{_labels({'route': route})} {self._latency_sum[route]!r}")
            lines.append(f"hubbub_http_request_duration_seconds_count{_labels({'route': route})} {counts[-1]}")
        for collector in self._collectors:
            for family in await _resolve(collector()):
                lines.append(f"# HELP {family.name} {family.help}")
                lines.append(f"# TYPE {family.name} {family.kind}")
                for labels, value in family.samples:
                    lines.append(f"{family.name}{_labels(labels)} {_number(value)}")
        return "\n".join(lines) + "\n"
