"""Reading the page visitor's result: metrics, findings, and every way it is not evidence."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pytest_tower.checks.pages.results import ResultError, measure, tool_name


def load(**values: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"load_time": 100.0, "ttfb": 10.0, "lcp": 90.0, "cls": 0.0,
                             "requests": 3, "transfer_size": 1000, "console_errors": [],
                             "page_errors": [], "failed_requests": []}
    return {**found, **values}


def violation(rule: str, impact: str, *targets: str) -> dict[str, Any]:
    return {"id": rule, "impact": impact, "help": f"{rule} help",
            "help_url": f"https://dequeuniversity.com/rules/axe/4.12/{rule}",
            "nodes": [{"target": [t], "summary": ""} for t in targets]}


def page(path: str, runs: list[dict[str, Any]], *violations: dict[str, Any]) -> dict[str, Any]:
    rules = ["image-alt", "label", "region"] if path == "/" else ["label", "region"]
    return {"page": path, "error": None, "runs": runs, "final": path,
            "axe": {"violations": list(violations), "rules": rules, "url": path}}


def result(*pages: dict[str, Any]) -> dict[str, Any]:
    return {"error": None, "pages": list(pages),
            "versions": {"playwright": "1.65.2", "browser": "143.0", "axe-core": "4.12.1"}}


GOOD = result(
    page("/", [load(lcp=80.0), load(lcp=120.0, console_errors=[{"text": "x", "url": "u",
                                                                "line": 3}]),
               load(lcp=100.0)]),
    page("/tasks", [load(load_time=300.0, requests=5, transfer_size=2000,
                         failed_requests=[{"url": "/a.png", "reason": "404 Not Found",
                                           "kind": "image"}])] * 3,
         violation("label", "critical", "#q", "#r"), violation("region", "moderate", "p")),
)


def test_per_page_metrics_and_totals() -> None:
    m = measure(GOOD, ["/", "/tasks"], 3, axe=True).metrics
    assert m["pages"] == 2
    assert m["lcp[/]"] == 100.0  # the median of 80, 120, 100
    assert m["console_errors[/]"] == 1  # the worst run: a flaky error still shows
    assert m["failed_requests[/tasks]"] == 1 and m["failed_requests"] == 1
    assert m["requests"] == 8 and m["transfer_size"] == 3000  # counts: summed
    assert m["load_time"] == 300.0 and m["lcp"] == 100.0  # times: the worst page
    assert m["a11y[critical]"] == 2 and m["a11y[moderate]"] == 1 and m["a11y"] == 3
    assert m["a11y[/tasks]"] == 3 and m["a11y[/tasks critical]"] == 2
    assert m["a11y[/]"] == 0 and m["a11y[/ serious]"] == 0
    assert m["a11y_rule[label]"] == 2 and "a11y_rule[image-alt]" not in m


def test_findings_name_page_selector_and_help() -> None:
    found = measure(GOOD, ["/", "/tasks"], 3, axe=True)
    shown = [(f.path, f.code, f.severity, f.message) for f in found.findings]
    assert ("/", "console-error", "", "x (u:3)") in shown
    assert ("/tasks", "failed-request", "", "/a.png: 404 Not Found (image)") in shown
    assert ("/tasks", "label", "critical", "label help: #r — "
            "https://dequeuniversity.com/rules/axe/4.12/label") in shown
    assert len(shown) == 5  # one failed request (not one per run), 3 elements, 1 error


def test_the_rules_axe_applied_on_any_page_are_the_known_keys() -> None:
    """A rule axe did not apply (disabled, or outside `axe_tags`) is no key: a condition
    on it errors instead of reading 0."""
    known = measure(GOOD, ["/", "/tasks"], 3, axe=True).known_keys
    assert known == {"a11y_rule": ["image-alt", "label", "region"]}
    data = broken(lambda d: [_set(d, ("pages", i, "axe", "rules"), ["label"]) for i in (0, 1)])
    known = measure(data, ["/", "/tasks"], 3, axe=True).known_keys
    assert known == {"a11y_rule": ["label", "region"]}  # region: it found a violation


def test_a_redirected_page_is_noted() -> None:
    data = broken(lambda d: _set(d, ("pages", 1, "final"), "/login?next=/tasks"))
    notes = measure(data, ["/", "/tasks"], 3, axe=True).notes
    assert notes == ["/tasks ended at /login?next=/tasks (redirected): its measures are "
                     "that page's"]
    assert measure(GOOD, ["/", "/tasks"], 3, axe=True).notes == []


def test_without_axe_there_is_no_a11y_metric() -> None:
    m = measure(GOOD, ["/", "/tasks"], 3, axe=False).metrics
    assert not [k for k in m if k.startswith("a11y")]


def test_a_page_without_a_paint_has_no_lcp() -> None:
    data = result(page("/", [load(lcp=None)]))
    m = measure(data, ["/"], 1, axe=True).metrics
    assert "lcp[/]" not in m and "lcp" not in m and m["load_time[/]"] == 100.0


def test_tool_name_lists_the_versions() -> None:
    assert tool_name(GOOD) == "playwright 1.65.2, chromium 143.0, axe-core 4.12.1"


def broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    change(data)
    return data


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


@pytest.mark.parametrize(("change", "words"), [
    (lambda d: d.update(error="Error: browser closed"), "the visitor failed: Error: browser"),
    (lambda d: d.pop("pages"), "not a JSON object with `pages`"),
    (lambda d: d.update(pages={}), "is not a list"),
    (lambda d: d["pages"].pop(), r"not visited: /tasks"),
    (lambda d: d["pages"].reverse(), "covers /tasks, / instead of /, /tasks"),
    (lambda d: _set(d, ("pages", 1, "error"), "answered 500"), "/tasks: answered 500"),
    (lambda d: _set(d, ("pages", 1, "axe"), None), "page /tasks: axe-core did not run"),
    (lambda d: _set(d, ("pages", 0, "axe", "rules"), []), "axe-core applied no rule"),
    (lambda d: _set(d, ("pages", 0, "axe", "rules"), None), "axe-core applied no rule"),
    (lambda d: _set(d, ("pages", 0, "runs"), d["pages"][0]["runs"][:2]),
     "made 2 measured loads, not the 3"),
    (lambda d: _set(d, ("pages", 0, "runs", 1, "ttfb"), None), "measured no ttfb"),
    (lambda d: _set(d, ("pages", 0, "runs", 1, "load_time"), float("nan")), "not a measurement"),
    (lambda d: _set(d, ("pages", 0, "runs", 1, "requests"), -1), "not a measurement"),
    (lambda d: _set(d, ("pages", 0, "runs", 1, "page_errors"), None), "no list of page_errors"),
])
def test_a_result_that_is_not_evidence_is_an_error(change: Any, words: str) -> None:
    with pytest.raises(ResultError, match=words):
        measure(broken(change), ["/", "/tasks"], 3, axe=True)


def test_not_an_object_is_an_error() -> None:
    with pytest.raises(ResultError, match="not a JSON object"):
        measure([1, 2], ["/"], 1, axe=True)
