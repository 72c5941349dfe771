"""Which metric names the services export, and which ones PromQL queries and the dashboard use.

Reusable outside these tests: ``from_exposition(scrape(url))`` gives the names a running router or
trainer serves, and ``dashboard_problems(dashboard, exported)`` lists every query that refers to a
metric or label the services do not export.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

Exported = dict[str, frozenset[str] | None]
"""Exposition sample name -> its label names (``None`` when no sample showed them)."""

# Labels Prometheus itself attaches to every scraped series.
TARGET_LABELS = frozenset({"job", "instance"})
# Series Prometheus makes for every target; the dashboard may use them.
PROMETHEUS_SERIES: Exported = {"up": TARGET_LABELS, "scrape_duration_seconds": TARGET_LABELS}

_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
    "summary": ("", "_sum", "_count"),
    "info": ("_info",),
}


def _family_names(name: str, kind: str) -> list[str]:
    if kind == "counter" and name.endswith("_total"):
        name = name.removesuffix("_total")
    if kind == "info" and name.endswith("_info"):
        name = name.removesuffix("_info")
    return [name + suffix for suffix in _SUFFIXES.get(kind, ("",))]


def from_exposition(text: str) -> Exported:
    """Sample names of a Prometheus text exposition, with the label names its samples carry.

    Families without samples (a labelled metric no child of which exists yet) still count: their
    names follow from the ``# TYPE`` line (counter ``_total``, histogram ``_bucket/_sum/_count``).
    """
    exported: Exported = {}
    for family in text_string_to_metric_families(text):
        for name in _family_names(family.name, family.type):
            exported.setdefault(name, None)
        for sample in family.samples:
            labels = frozenset(sample.labels)
            known = exported.get(sample.name)
            exported[sample.name] = labels if known is None else known | labels
    return exported


def from_registry(registry: CollectorRegistry) -> Exported:
    """``from_exposition`` of what the registry would serve on /metrics."""
    return from_exposition(generate_latest(registry).decode())


def from_bundle(bundle: object) -> Exported:
    """Names and label names of a metrics bundle (``RouterMetrics``/``TrainerMetrics`` instance).

    Label names come from the metric objects themselves, so they are known before any sample exists.
    """
    registry: CollectorRegistry = bundle.registry  # type: ignore[attr-defined]
    exported = from_registry(registry)
    for metric in vars(bundle).values():
        labelnames = getattr(metric, "_labelnames", None)  # prometheus_client keeps them here
        family = getattr(metric, "_name", None)
        kind = getattr(metric, "_type", None)
        if labelnames is None or family is None or kind is None:
            continue
        for name in _family_names(family, kind):
            extra = {"le"} if name.endswith("_bucket") else set()
            exported[name] = frozenset(labelnames) | extra
    return exported


def router_exported() -> Exported:
    """What ``ticket-router serve`` exports, from ``service.metrics.RouterMetrics``."""
    from service.metrics import RouterMetrics

    return from_bundle(RouterMetrics(CollectorRegistry()))


def trainer_exported() -> Exported:
    """What ``ticket-trainer serve`` exports, from ``training.metrics.TrainerMetrics``."""
    from training.metrics import TrainerMetrics

    return from_bundle(TrainerMetrics(CollectorRegistry()))


def console_exported() -> Exported:
    """What ``ticket-console serve`` exports, from ``console.metrics.ConsoleMetrics``."""
    from console.metrics import ConsoleMetrics

    return from_bundle(ConsoleMetrics(CollectorRegistry()))


def merge(*parts: Mapping[str, frozenset[str] | None]) -> Exported:
    """Union of several exports (label sets united where both are known)."""
    merged: Exported = {}
    for part in parts:
        for name, labels in part.items():
            known = merged.get(name)
            merged[name] = labels if known is None else known if labels is None else known | labels
    return merged


def scrape(url: str, timeout: float = 5.0) -> str:
    """The text a /metrics endpoint serves (e.g. ``http://127.0.0.1:9100/metrics``)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - a URL the caller chose
        return response.read().decode()


# ---- PromQL -------------------------------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_RANGE = re.compile(r"\[[^\]]*\]")
_VARIABLE = re.compile(r"\$\{?\w+\}?")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_SELECTOR = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)?\s*\{([^}]*)\}")
_MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")')
_IDENT = re.compile(r"(?<![\w:.])([A-Za-z_:][A-Za-z0-9_:]*)(?![\w:])\s*(\()?")
_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right", "bool"})
_KEYWORDS |= frozenset({"and", "or", "unless", "offset", "inf", "nan", "atan2"})


def promql_references(expr: str) -> tuple[set[str], set[str], list[tuple[str, str, str]]]:
    """Metric names, grouping labels and ``(metric, label, value)`` matchers of one PromQL query.

    A deliberately small reader for the queries a dashboard uses, not a full PromQL parser:
    identifiers followed by ``(`` are functions or aggregations, the rest are metric names.
    """
    text = _VARIABLE.sub("", _RANGE.sub("", expr))
    grouping: set[str] = set()
    for labels in _GROUPING.findall(_STRING.sub('""', text)):
        grouping |= {label.strip() for label in labels.split(",") if label.strip()}
    matchers: list[tuple[str, str, str]] = []
    for metric, body in _SELECTOR.findall(text):
        for label, value in _MATCHER.findall(body):
            matchers.append((metric, label, json.loads(value)))
    bare = _SELECTOR.sub(lambda m: m.group(1) or "", _STRING.sub('""', text))
    bare = _GROUPING.sub("", bare)
    names = {name for name, call in _IDENT.findall(bare) if not call and name not in _KEYWORDS}
    names |= {metric for metric, _, _ in matchers if metric}
    return names, grouping, matchers


def dashboard_queries(dashboard: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``(panel title, expr)`` of every query of every panel, rows' nested panels included."""
    for panel in dashboard.get("panels", []):
        for target in panel.get("targets", []):
            if target.get("expr"):
                yield panel.get("title", "?"), target["expr"]
        yield from dashboard_queries({"panels": panel.get("panels", [])})


def query_problems(expr: str, exported: Mapping[str, frozenset[str] | None]) -> list[str]:
    """What is wrong with one query: unknown metrics, labels no metric of the query carries."""
    names, grouping, matchers = promql_references(expr)
    problems = [f"metric {name} is not exported" for name in sorted(names - set(exported))]
    if not names:
        problems.append("refers to no metric")
    known = [exported[name] for name in names if name in exported]
    if problems or any(labels is None for labels in known):
        return problems  # labels can only be checked when every metric's labels are known
    available = frozenset().union(*known) | TARGET_LABELS if known else TARGET_LABELS
    for label in sorted(grouping - available):
        problems.append(f"groups by label {label!r} that none of {sorted(names)} has")
    for metric, label, _ in matchers:
        labels = (exported.get(metric) or frozenset()) | TARGET_LABELS if metric else available
        if label not in labels and label != "__name__":
            problems.append(f"matches label {label!r} that {metric or sorted(names)} does not have")
    return problems


def dashboard_problems(dashboard: Mapping[str, Any], exported: Mapping[str, frozenset[str] | None]) -> list[str]:
    """Every problem of every query of the dashboard, as ``panel: expr: problem`` lines."""
    exported = merge(PROMETHEUS_SERIES, exported)
    return [
        f"{title}: {expr}: {problem}"
        for title, expr in dashboard_queries(dashboard)
        for problem in query_problems(expr, exported)
    ]


def load_dashboards(folder: Path) -> dict[str, dict[str, Any]]:
    """Every dashboard JSON in ``folder``, by file name."""
    return {path.name: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}


def referenced_metrics(queries: Iterable[str]) -> set[str]:
    """Union of the metric names the queries use."""
    names: set[str] = set()
    for expr in queries:
        names |= promql_references(expr)[0]
    return names
