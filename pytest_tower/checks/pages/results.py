"""The visitor's result JSON turned into metrics and findings, or the reason it cannot be.

Pure (no browser, no I/O), so every way a result can lie is a unit test. A
result is evidence only when it covers every page asked for, each with the
runs asked for and, when axe is on, an axe-core run that applied rules: a
page that did not load, or was not checked, makes the whole result an error
that names the page, never a page of zeros.

Per page: a count is the worst of its runs (a flaky error shows), a time is
the median of its runs; the findings are those of the worst run. Totals:
counts are summed over the pages, times and `cls` are the worst page's. An
accessibility violation counts once per element it names (axe's "nodes").
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_tower.checks.pages.config import IMPACTS, TIMES
from pytest_tower.core.model import Finding, Measurement

EVENTS = ("console_errors", "page_errors", "failed_requests")


class ResultError(ValueError):
    """The result is not evidence (the message says why, naming the page when there is one)."""


def measure(data: Any, pages: Sequence[str], runs: int, axe: bool) -> Measurement:
    """Metrics, findings and known keys from the visitor's result `data`."""
    if not isinstance(data, dict) or "pages" not in data:
        raise ResultError("the visitor's result is not a JSON object with `pages`")
    if data.get("error"):
        raise ResultError(f"the visitor failed: {data['error']}")
    entries = data["pages"]
    if not isinstance(entries, list):
        raise ResultError("`pages` in the visitor's result is not a list")
    visited = [e.get("page") if isinstance(e, dict) else None for e in entries]
    if visited != list(pages):
        missing = [p for p in pages if p not in visited]
        raise ResultError("the visitor's result covers " + (", ".join(map(str, visited))
                          or "no page") + " instead of " + ", ".join(pages)
                          + (f" (not visited: {', '.join(missing)})" if missing else ""))
    broken = [f"{e['page']}: {e['error']}" for e in entries if e.get("error")]
    if broken:
        raise ResultError(f"{len(broken)} of {len(pages)} pages could not be measured: "
                          + "; ".join(broken))
    metrics: dict[str, float] = {"pages": float(len(pages))}
    findings: list[Finding] = []
    a11y_rules: dict[str, float] = {}
    rules: set[str] = set()
    notes: list[str] = []
    for entry in entries:
        page = entry["page"]
        page_metrics, page_findings = _page(entry, runs)
        metrics.update({f"{name}[{page}]": value for name, value in page_metrics.items()})
        findings += page_findings
        if axe:
            counts, axe_findings, applied = _axe(entry)
            findings += axe_findings
            rules |= applied
            for key, value in counts.items():
                if key in IMPACTS:
                    metrics[f"a11y[{page} {key}]"] = value
                    metrics[f"a11y[{key}]"] = metrics.get(f"a11y[{key}]", 0.0) + value
                else:
                    a11y_rules[key] = a11y_rules.get(key, 0.0) + value
            metrics[f"a11y[{page}]"] = sum(counts[i] for i in IMPACTS)
    for name in (*EVENTS, "requests", "transfer_size"):
        metrics[name] = sum(metrics[f"{name}[{p}]"] for p in pages)
    for name in TIMES:
        values = [metrics[f"{name}[{p}]"] for p in pages if f"{name}[{p}]" in metrics]
        if values:
            metrics[name] = max(values)
    known: dict[str, list[str]] = {}
    if axe:
        metrics["a11y"] = sum(metrics[f"a11y[{i}]"] for i in IMPACTS)
        metrics.update({f"a11y_rule[{rule}]": value for rule, value in a11y_rules.items()})
        # the rules axe applied: one it did not (disabled, another tag) is no key, not a 0
        known["a11y_rule"] = sorted(rules | set(a11y_rules))
    for entry in entries:  # `final`: where the page ended, relative to the target
        final = str(entry.get("final") or "")
        if final and final != entry["page"]:
            notes.append(f"{entry['page']} ended at {final} (redirected): its measures are "
                         "that page's")
    totals = {k: v for k, v in metrics.items() if "[/" not in k}  # shown first
    return Measurement({**totals, **metrics}, findings, notes=notes, known_keys=known)


def tool_name(data: Mapping[str, Any]) -> str:
    """"playwright 1.65.2, chromium 143.0, axe-core 4.12.1" from the result's versions."""
    versions = data.get("versions") or {}
    names = {"playwright": "playwright", "browser": "chromium", "axe-core": "axe-core"}
    return ", ".join(f"{shown} {versions[key]}" for key, shown in names.items()
                     if versions.get(key))


def _page(entry: Mapping[str, Any], runs: int) -> tuple[dict[str, float], list[Finding]]:
    page, loads = entry["page"], entry.get("runs")
    if not isinstance(loads, list) or len(loads) != runs:
        raise ResultError(f"page {page}: the visitor made {_count(loads)} measured loads, "
                          f"not the {runs} asked for")
    metrics: dict[str, float] = {}
    findings: list[Finding] = []
    for name in EVENTS:
        worst = max(loads, key=lambda load: len(_list(load, name, page)))
        metrics[name] = float(len(worst[name]))
        findings += [_finding(page, name, event) for event in worst[name]]
    for name in ("requests", "transfer_size"):
        metrics[name] = max(_number(load, name, page) for load in loads)
    for name in TIMES:
        values = [_number(load, name, page) for load in loads if load.get(name) is not None]
        if name == "lcp" and not values:
            continue  # nothing contentful was painted: no value, so a condition on it errors
        if name != "lcp" and len(values) != len(loads):  # an LCP may come late, or never
            raise ResultError(f"page {page}: the visitor measured no {name} on some loads")
        metrics[name] = float(statistics.median(values))
    return metrics, findings


def _axe(entry: Mapping[str, Any]) -> tuple[dict[str, float], list[Finding], set[str]]:
    """{impact or rule id: elements}, one finding per element, and the rules applied,
    for one page."""
    page, result = entry["page"], entry.get("axe")
    if not isinstance(result, dict) or not isinstance(result.get("violations"), list):
        raise ResultError(f"page {page}: axe-core did not run, so its accessibility was "
                          "not checked")
    if not isinstance(result.get("rules"), list) or not result["rules"]:
        raise ResultError(f"page {page}: axe-core applied no rule (do `axe_tags` name any?), "
                          "so its accessibility was not checked")
    counts: dict[str, float] = dict.fromkeys(IMPACTS, 0.0)
    findings = []
    for violation in result["violations"]:
        impact = violation.get("impact") if violation.get("impact") in IMPACTS else "minor"
        rule = str(violation["id"])
        for node in violation.get("nodes") or [{}]:
            counts[impact] += 1
            counts[rule] = counts.get(rule, 0.0) + 1
            selector = " ".join(str(t) for t in node.get("target") or []) or "(the page)"
            findings.append(Finding(page, code=rule, severity=impact, message=(
                f"{violation.get('help') or rule}: {selector} — {violation.get('help_url')}")))
    return counts, findings, {str(rule) for rule in result["rules"]}


def _finding(page: str, kind: str, event: Mapping[str, Any]) -> Finding:
    if kind == "console_errors":
        where = f" ({event.get('url')}:{event.get('line')})" if event.get("url") else ""
        return Finding(page, code="console-error", message=f"{event.get('text')}{where}")
    if kind == "page_errors":
        return Finding(page, code="page-error", message=f"uncaught {event.get('message')}")
    return Finding(page, code="failed-request",
                   message=f"{event.get('url')}: {event.get('reason')}"
                   + (f" ({event['kind']})" if event.get("kind") else ""))


def _list(load: Any, name: str, page: str) -> list[Any]:
    value = load.get(name) if isinstance(load, dict) else None
    if not isinstance(value, list):
        raise ResultError(f"page {page}: the visitor's result has no list of {name}")
    return value


def _number(load: Any, name: str, page: str) -> float:
    value = load.get(name) if isinstance(load, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or value < 0:
        raise ResultError(f"page {page}: the visitor's {name} is {value!r}, not a measurement")
    return float(value)


def _count(loads: Any) -> int:
    return len(loads) if isinstance(loads, list) else 0
